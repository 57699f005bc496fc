"""Dispute games over a real EVM block, for vectors, tests, fuzz seeds and benchmarks (SC-DSP-*).

:func:`build_block` executes ``n`` signed transfers from one pre-state with the EVM VM and keeps
the honest trace ``r_0 .. r_n``; :class:`Party` strategies play a game move by move: an honest
party answers from the true trace, a lying one from any list of roots it committed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conformance.evm_tx import TxFields, address_of, private_key, sign
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import MAINNET, DisputeParams
from spec.sidechain.dispute import (
    BisectMove,
    DisputeOpening,
    Game,
    OneStepProof,
    Party,
    compute_context,
    compute_midpoint,
)
from spec.sidechain.header import SidechainHeader
from spec.vm.evm import EvmAccount, apply_transaction, compute_state
from spec.vm.interface import StateWitness, VmKind, encode_witness, record_witness

PARAMS: DisputeParams = MAINNET.dispute
SIDECHAIN_ID = 3
CHAIN_ID = MAINNET.evm.chain_id_base + SIDECHAIN_ID
KEYS = [private_key(bytes([i])) for i in range(4)]
SENDERS = [address_of(key) for key in KEYS]
RECIPIENT = b"\x77" * 20
FEDERATION = (b"\x01" * 32, b"\x02" * 32, b"\x03" * 32)
GAS_LIMIT = 10**7


@dataclass(frozen=True)
class Block:
    """A sidechain block of EVM transfers, its honest trace and everything a one-step proof needs."""

    header: SidechainHeader
    txs: tuple[bytes, ...]
    trace: tuple[bytes, ...]
    nodes: dict[bytes, bytes]

    @property
    def tx_count(self) -> int:
        """``n``: the block's transaction count."""
        return len(self.txs)


def build_block(tx_count: int, *, height: int = 5) -> Block:
    """``tx_count`` transfers (round-robin over four senders) executed from a fixed pre-state."""
    accounts = {sender: EvmAccount(balance=10**15) for sender in SENDERS}
    root, nodes = compute_state(accounts)
    txs: list[bytes] = []
    trace = [root]
    header = SidechainHeader(SIDECHAIN_ID, height, b"\x00" * 32, 1_700_000_000, b"", b"", b"", 0, b"")
    opening_stub = _opening(header, tx_count, root, b"\x00" * 32, b"\x00" * 32)
    context = compute_context(opening_stub)
    for i in range(tx_count):
        fields = TxFields(nonce=i // 4, gas=21_000, to=RECIPIENT, value=1000 + i, chain_id=CHAIN_ID)
        tx = sign(fields, KEYS[i % 4])
        outcome, created = apply_transaction(nodes, trace[-1], tx, context)
        nodes.update(created)
        txs.append(tx)
        trace.append(outcome.post_root)
    header = SidechainHeader(
        SIDECHAIN_ID,
        height,
        b"\x00" * 32,
        1_700_000_000,
        merkle_root(txs),
        trace[-1],
        merkle_root(trace[1:]),
        0,
        merkle_root([]),
    )
    return Block(header, tuple(txs), tuple(trace), nodes)


def _opening(
    header: SidechainHeader, tx_count: int, parent_root: bytes, trace_root: bytes, final_root: bytes
) -> DisputeOpening:
    return DisputeOpening(
        header=header,
        vm_kind=VmKind.EVM,
        tx_count=tx_count,
        parent_state_root=parent_root,
        gas_limit=GAS_LIMIT,
        fee_recipient=b"\xfe" * 20,
        federation=FEDERATION,
        challenger_trace_root=trace_root,
        challenger_final_root=final_root,
        challenger_bond=PARAMS.min_challenger_bond,
        opened_at=1000,
    )


def opening_against(
    block: Block, claimed: Sequence[bytes], *, header: SidechainHeader | None = None
) -> DisputeOpening:
    """The opening of a challenger that claims the post-state roots ``claimed`` (``r'_1 .. r'_n``)."""
    return _opening(header or block.header, block.tx_count, block.trace[0], merkle_root(claimed), claimed[-1])


def lying_header(block: Block, claimed: Sequence[bytes]) -> SidechainHeader:
    """The header a lying federation signs: the block's transactions with the trace ``claimed``."""
    from dataclasses import replace

    return replace(block.header, state_root=claimed[-1], trace_root=merkle_root(claimed))


def bisect_move(roots: Sequence[bytes], game: Game) -> BisectMove:
    """A party's move from the post-state roots it committed to (``roots[i - 1]`` is ``r_i``)."""
    mid = compute_midpoint(game.lo, game.hi)
    return BisectMove(mid, roots[mid - 1], inclusion_proof(roots, mid - 1))


def one_step_proof(block: Block, game: Game) -> OneStepProof:
    """The honest one-step proof of the game's disputed transaction (the recorded witness, VM-6)."""
    index = game.hi - 1
    witness: StateWitness = record_witness(
        apply_transaction, block.nodes, game.agreed_root, block.txs[index], compute_context(game.opening)
    )
    return OneStepProof(block.txs[index], inclusion_proof(block.txs, index), encode_witness(witness))


def mover(game: Game) -> Party:
    """The party to move."""
    return Party(game.turn)
