"""Dispute games over real sidechain blocks, for vectors, tests, fuzz seeds and benchmarks (SC-DSP-*).

:func:`build_block` executes ``n`` signed transfers from one pre-state with the EVM VM,
:func:`build_ferris_block` with the FerrisScript VM and :func:`build_wasm_block` with the WASM VM
(a token contract's transfers), each through the VM's ``apply_transaction(preset, ...)`` (VM-3,
the one-step executor of SC-DSP-5), and keeps the honest trace ``r_0 .. r_n``; the party
strategies play a game move by move: an honest party answers from the true trace, a lying one from
any list of roots it committed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from conformance.evm_tx import TxFields, address_of, private_key, sign
from conformance.seeded import seeded_bytes
from conformance.wasm_contracts import address_of as wasm_address
from conformance.wasm_contracts import contract_module, make_tx, token_transfer_input
from spec.encoding import encode
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import MAINNET, DisputeParams, Preset
from spec.sidechain.dispute import (
    ONE_STEP_EXECUTORS,
    BisectMove,
    DisputeOpening,
    Game,
    OneStepProof,
    Party,
    compute_context,
    compute_midpoint,
    execute_step,
    get_credit_step,
    record_credit_step_witness,
)
from spec.sidechain.header import BlockCredit, SidechainHeader, compute_credits_root
from spec.trie import RUSTY_TRIE_HASHER, Trie
from spec.vm import ferris, wasm
from spec.vm.evm import EvmAccount, compute_state
from spec.vm.interface import (
    ExecutionContext,
    RecordingNodes,
    StateWitness,
    VmKind,
    encode_witness,
    record_witness,
)

PARAMS: DisputeParams = MAINNET.dispute
SIDECHAIN_ID = 3
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
    vm_kind: int = VmKind.EVM
    gas_limit: int = GAS_LIMIT
    fee_recipient: bytes = b"\xfe" * 20
    preset: Preset = MAINNET
    credits: tuple[BlockCredit, ...] = ()

    @property
    def tx_count(self) -> int:
        """``n``: the block's transaction count."""
        return len(self.txs)

    @property
    def steps(self) -> tuple[bytes, ...]:
        """The honest roots at positions ``1 .. max(n, 1)`` of the game (SC-DSP-1): ``r_1 .. r_n``,
        or the root after the credits alone for a block without transactions."""
        return self.trace[1:]


def build_block(tx_count: int, *, height: int = 5, preset: Preset = MAINNET) -> Block:
    """``tx_count`` EVM transfers (round-robin over four senders) executed from a fixed pre-state."""
    accounts = {sender: EvmAccount(balance=10**15) for sender in SENDERS}
    root, nodes = compute_state(accounts)
    chain_id = preset.evm.chain_id_base + SIDECHAIN_ID
    txs = [
        sign(TxFields(nonce=i // 4, gas=21_000, to=RECIPIENT, value=1000 + i, chain_id=chain_id), KEYS[i % 4])
        for i in range(tx_count)
    ]
    stub = Block(_stub_header(height), (), (root,), nodes, preset=preset)
    return execute_block(stub, txs)


def _stub_header(height: int) -> SidechainHeader:
    return SidechainHeader(SIDECHAIN_ID, height, b"\x00" * 32, 1_700_000_000, b"", 0, b"", b"", 0, b"", b"")


def execute_block(stub: Block, txs: Sequence[bytes], credits: Sequence[BlockCredit] = ()) -> Block:
    """``credits`` (SC-DSP-1, the block's deposits and inbound messages) and then ``txs`` executed
    in order from ``stub``'s pre-state (``stub.trace[0]``) by the credit step and the one-step
    executor of ``stub``'s VM kind (SC-DSP-5, the VM's ``apply_transaction``): the block, its header
    and its honest trace."""
    kind = VmKind(stub.vm_kind)
    execute = ONE_STEP_EXECUTORS[kind]
    nodes = dict(stub.nodes)
    root = stub.trace[0]
    credit_step = get_credit_step(stub.preset, kind)
    for credit in credits:
        credited = credit_step(nodes, root, credit.recipient, credit.amount)
        if credited is not None:
            root, created_by_credit = credited
            nodes.update(created_by_credit)
    trace = [stub.trace[0]]
    if not txs:  # SC-DSP-1: an empty block's one step is its credit step
        trace.append(root)
    context = ExecutionContext(
        SIDECHAIN_ID, stub.header.height, stub.header.timestamp, stub.fee_recipient, stub.gas_limit
    )
    for tx in txs:
        outcome, created = execute(stub.preset, nodes, root, tx, context)
        nodes.update(created)
        root = outcome.post_root
        trace.append(root)
    header = replace(
        stub.header,
        tx_root=merkle_root(list(txs)),
        tx_count=len(txs),
        state_root=trace[-1],
        trace_root=merkle_root(trace[1:] if txs else []),
        credits_root=compute_credits_root(credits),
        outbox_root=merkle_root([]),
    )
    return replace(
        stub, header=header, txs=tuple(txs), trace=tuple(trace), nodes=nodes, credits=tuple(credits)
    )


def empty_block(block: Block, credits: Sequence[BlockCredit]) -> Block:
    """A block without transactions on ``block``'s pre-state crediting ``credits``: its trace is
    the one credit step (SC-DSP-1), its ``trace_root`` the empty Merkle root."""
    return execute_block(replace(block, trace=block.trace[:1]), (), credits)


def trace_with_credits(block: Block, credits: Sequence[BlockCredit]) -> tuple[bytes, ...]:
    """``r_1 .. r_n`` of ``block``'s transactions after ``credits`` instead of its own."""
    return execute_block(replace(block, trace=block.trace[:1]), block.txs, credits).trace[1:]


def _ferris_seed(index: int) -> bytes:
    return seeded_bytes(f"dispute/ferris/{index}", 32)


def ferris_accounts() -> list[bytes]:
    """The account ids of :func:`build_ferris_block`'s four P2PKH accounts (VMF-1)."""
    return [ferris.compute_account_id(ferris.p2pkh_locking_script(_ferris_seed(i))) for i in range(4)]


def build_ferris_block(
    tx_count: int, *, height: int = 5, preset: Preset = MAINNET, credits: Sequence[BlockCredit] = ()
) -> Block:
    """``tx_count`` FerrisScript transfers (VMF-2, round-robin over four P2PKH accounts) from a
    fixed pre-state, after ``credits`` (VMF-8), executed by ``spec.vm.ferris`` under ``preset``."""
    locks = [ferris.p2pkh_locking_script(_ferris_seed(i)) for i in range(4)]
    ids = ferris_accounts()
    trie = Trie.from_items(
        {
            ferris.account_key(account): encode(ferris.ACCOUNT_CODEC, ferris.Account(10**9, 0))
            for account in ids
        },
        RUSTY_TRIE_HASHER,
    )
    txs = []
    for i in range(tx_count):
        sender = i % 4
        unsigned = ferris.FerrisTransaction(
            kind=ferris.FerrisTxKind.TRANSFER,
            chain_id=SIDECHAIN_ID,
            nonce=i // 4,
            fee=5000,
            amount=1000 + i,
            target_chain=0,
            recipient=ids[(sender + 1) % 4],
            payload=b"",
            locking_script=locks[sender],
            unlocking_script=b"",
        )
        txs.append(ferris.encode_transaction(ferris.sign_transaction(unsigned, _ferris_seed(sender))))
    stub = Block(
        _stub_header(height),
        (),
        (trie.root_hash,),
        dict(trie.node_store),
        vm_kind=VmKind.FERRIS,
        gas_limit=preset.vm_ferris.max_tx_gas,
        fee_recipient=b"",
        preset=preset,
    )
    return execute_block(stub, txs, credits)


WASM_HOLDERS = ("alice", "bob", "carol", "dave")


def build_wasm_block(tx_count: int, *, height: int = 5, preset: Preset = MAINNET) -> Block:
    """``tx_count`` WASM transactions from a fixed pre-state, executed by
    ``spec.vm.wasm.apply_transaction`` under ``preset``: the first deploys the token contract,
    the others are token transfers between four holders (contract calls, fuel metered)."""
    holders = [wasm_address(label) for label in WASM_HOLDERS]
    root, nodes = wasm.build_genesis(dict.fromkeys(holders, 10**12))
    token = wasm.compute_contract_address(holders[0], 0)
    txs = [make_tx("alice", wasm.TxKind.DEPLOY, 0, data=contract_module("token"), sidechain_id=SIDECHAIN_ID)]
    for i in range(1, tx_count):
        txs.append(
            make_tx(
                "alice",
                wasm.TxKind.CALL,
                i,
                to=token,
                data=token_transfer_input(holders[i % 4], 10 + i),
                sidechain_id=SIDECHAIN_ID,
            )
        )
    stub = Block(
        _stub_header(height),
        (),
        (root,),
        nodes,
        vm_kind=VmKind.WASM,
        gas_limit=10_000_000,
        fee_recipient=bytes(32),
        preset=preset,
    )
    return execute_block(stub, txs[:tx_count])


def _opening(block: Block, header: SidechainHeader, trace_root: bytes, final_root: bytes) -> DisputeOpening:
    return DisputeOpening(
        header=header,
        vm_kind=block.vm_kind,
        tx_count=block.tx_count,
        parent_state_root=block.trace[0],
        gas_limit=block.gas_limit,
        fee_recipient=block.fee_recipient,
        federation=FEDERATION,
        challenger_trace_root=trace_root,
        challenger_final_root=final_root,
        challenger_bond=PARAMS.min_challenger_bond,
        opened_at=1000,
        credits=block.credits,
    )


def opening_against(
    block: Block, claimed: Sequence[bytes], *, header: SidechainHeader | None = None
) -> DisputeOpening:
    """The opening of a challenger that claims the post-state roots ``claimed`` (``r'_1 .. r'_n``)."""
    return _opening(block, header or block.header, merkle_root(claimed), claimed[-1])


def lying_header(block: Block, claimed: Sequence[bytes]) -> SidechainHeader:
    """The header a lying federation signs: the block's transactions with the trace ``claimed``
    (for a block without transactions, ``claimed`` is its one credit step: the state root)."""
    trace_root = merkle_root(claimed if block.txs else [])
    return replace(block.header, state_root=claimed[-1], trace_root=trace_root)


def bisect_move(roots: Sequence[bytes], game: Game) -> BisectMove:
    """A party's move from the post-state roots it committed to (``roots[i - 1]`` is ``r_i``)."""
    mid = compute_midpoint(game.lo, game.hi)
    return BisectMove(mid, roots[mid - 1], inclusion_proof(roots, mid - 1))


def one_step_proof(block: Block, game: Game) -> OneStepProof:
    """The honest one-step proof of the game's disputed transaction (the recorded witness, VM-6),
    or of an empty block's credit step (no transaction, no transaction proof)."""
    index = game.hi - 1
    kind = VmKind(block.vm_kind)
    context = compute_context(game.opening)
    witness: StateWitness
    if not block.txs:
        witness = record_credit_step_witness(block.preset, kind, block.nodes, game.agreed_root, block.credits)
        return OneStepProof(b"", (), encode_witness(witness))
    if game.lo == 0 and block.credits:
        recording = RecordingNodes(block.nodes)
        execute_step(
            block.preset, kind, recording, game.agreed_root, block.credits, block.txs[index], context
        )
        witness = StateWitness(tuple(recording.read[h] for h in sorted(recording.read)))
    else:
        witness = record_witness(
            ONE_STEP_EXECUTORS[kind], block.preset, block.nodes, game.agreed_root, block.txs[index], context
        )
    return OneStepProof(block.txs[index], inclusion_proof(block.txs, index), encode_witness(witness))


def mover(game: Game) -> Party:
    """The party to move."""
    return Party(game.turn)
