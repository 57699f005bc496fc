"""Dispute games played in mainchain blocks (SC-DSP-14..18), for vectors, tests and fuzz seeds.

A FerrisScript sidechain (:data:`SPEC_G`, id 3 like :mod:`conformance.disputebuilder`'s blocks;
or the EVM or WASM sidechain of that id, :data:`SPECS`) accepts checkpoint 0 (the pre-state of a
block of transfers) and checkpoint 1 (the block itself,
honest or signed with a lying trace). The parties then play through :func:`spec.sidechain.state.
apply_block_to_sidechains` one mainchain block per move: each move is built from the game the
state holds (``state.games``), as a node would from the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from conformance import disputebuilder as db
from conformance import sidechainbuilder as sb
from spec.ledger.transaction import Transaction, TxOutput
from spec.masternode.quorum import QuorumType
from spec.merkle import merkle_root
from spec.presets import Preset
from spec.sidechain.chain import vm_table
from spec.sidechain.dispute import Game, Party, encode_bisect_move, encode_one_step_proof
from spec.sidechain.games import (
    MOVE_BISECT,
    MOVE_ONE_STEP,
    BondClaim,
    DisputeMoveMessage,
    DisputeOpenMessage,
    compute_expiry,
    on_chain_params,
)
from spec.sidechain.header import (
    BlockCredit,
    Checkpoint,
    SidechainHeader,
    compute_header_hash,
    encode_sidechain_header,
)
from spec.sidechain.registry import SidechainSpec, SidechainsState, register_sidechains
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains
from spec.vm.interface import OutboxEntry, VmKind

SPEC_G = SidechainSpec(db.SIDECHAIN_ID, VmKind.FERRIS, QuorumType.FINALITY, 2, 40, 4, 10**12, 10**10)
"""A FerrisScript sidechain under the finality federation: peg-in depth 2, challenge period 40."""
SPEC_E = replace(SPEC_G, vm_kind=VmKind.EVM)
""":data:`SPEC_G` as an EVM sidechain (same id, registered instead of it: :func:`initial`)."""
SPEC_W = replace(SPEC_G, vm_kind=VmKind.WASM)
""":data:`SPEC_G` as a WASM sidechain."""
SPECS = MappingProxyType({VmKind.FERRIS: SPEC_G, VmKind.EVM: SPEC_E, VmKind.WASM: SPEC_W})
"""The game sidechain of each VM kind."""
ACTIVATION = 10
CHECKPOINT_0_AT = 12
CHECKPOINT_1_AT = 13
CHALLENGER_PAYEE = sb.ALICE
TxOutputs = Sequence[TxOutput]


@dataclass(frozen=True)
class Scenario:
    """A sidechain block, the checkpoints posted for it and the traces each party claims."""

    block: db.Block
    checkpoint_0: Checkpoint
    checkpoint_1: Checkpoint
    defender_roots: tuple[bytes, ...]
    challenger_roots: tuple[bytes, ...]
    spec: SidechainSpec = SPEC_G


def initial(spec: SidechainSpec = SPEC_G) -> SidechainsState:
    """``spec`` (:data:`SPEC_G` unless another kind's) registered at :data:`ACTIVATION`."""
    return register_sidechains(sb.initial(), (spec,), ACTIVATION)


def build_block(
    tx_count: int, preset: Preset, vm: VmKind = VmKind.FERRIS, credits: Sequence[BlockCredit] = ()
) -> db.Block:
    """Block 1 of ``tx_count`` transactions of the VM kind ``vm`` (FerrisScript transfers, EVM
    transfers, or a WASM token deploy and calls) after ``credits``, executed under SCB-3's context:
    the kind's ``max_tx_gas`` and fee sink (``vm_table``), as the block transition and an on-chain
    game do. With ``tx_count = 0`` the block's one step is its credit step (SC-DSP-1)."""
    if vm is VmKind.FERRIS:
        built = db.build_ferris_block(tx_count, height=1, preset=preset)
    elif vm is VmKind.EVM:
        built = db.build_block(tx_count, height=1, preset=preset)
    else:
        built = db.build_wasm_block(tx_count, height=1, preset=preset)
    entry = vm_table(preset)[vm]
    stub = replace(
        built, trace=built.trace[:1], gas_limit=entry.max_tx_gas, fee_recipient=entry.fee_recipient
    )
    return db.execute_block(stub, built.txs, credits)


def corrupt(roots: Sequence[bytes], positions: Sequence[int]) -> tuple[bytes, ...]:
    """``roots`` with the roots at ``positions`` (0-based: ``r_{p+1}``) replaced by wrong ones."""
    return tuple(
        bytes([0xEE, position % 256]) + root[2:] if position in positions else root
        for position, root in enumerate(roots)
    )


def scenario(
    tx_count: int,
    preset: Preset,
    *,
    federation_lies_at: Sequence[int] = (),
    challenger_lies_at: Sequence[int] = (),
    vm: VmKind = VmKind.FERRIS,
    outbox: Sequence[OutboxEntry] = (),
    cursor: int | None = None,
    credits: Sequence[BlockCredit] = (),
) -> Scenario:
    """Checkpoint 0 (the pre-state) and checkpoint 1 over ``tx_count`` transactions of the VM kind
    ``vm`` (:func:`build_block`) on ``SPECS[vm]``; the federation signs the trace corrupted at
    ``federation_lies_at``, the challenger claims the one corrupted at ``challenger_lies_at`` (each
    a list of 0-based transaction indexes); checkpoint 1's ``outbox_root`` commits ``outbox`` (the
    entries its claims and relays prove: the game never reads them) and carries ``cursor`` as its
    ``deposit_cursor`` when given (the messages it acknowledges, SC-MSG-3: the game never reads it).
    The block credits ``credits`` first (its ``credits_root``; the game holds the opening to it);
    with ``tx_count = 0`` its one step is the credit step and index 0 its state root."""
    spec = SPECS[vm]
    pre = build_block(tx_count, preset, vm, credits)
    head_0 = SidechainHeader(
        spec.sidechain_id, 0, bytes(32), 1_699_999_000, merkle_root([]), 1, pre.trace[0],
        merkle_root([]), 0, merkle_root([]), merkle_root([]),
    )  # fmt: skip
    checkpoint_0 = sb.sign(head_0, spec.federation)
    honest = pre.trace[1:]
    defender = corrupt(honest, federation_lies_at)
    challenger = corrupt(honest, challenger_lies_at)
    header_1 = replace(
        pre.header,
        parent=compute_header_hash(head_0),
        state_root=defender[-1],
        trace_root=merkle_root(list(defender) if tx_count else []),
        outbox_root=merkle_root([sb.entry_leaf(entry) for entry in outbox]),
    )
    if cursor is not None:
        header_1 = replace(header_1, deposit_cursor=cursor)
    block = replace(pre, header=header_1)
    return Scenario(block, checkpoint_0, sb.sign(header_1, spec.federation), defender, challenger, spec)


def checkpoint_blocks(
    sc: Scenario, at: tuple[int, int] = (CHECKPOINT_0_AT, CHECKPOINT_1_AT)
) -> list[tuple[int, list[TxOutputs]]]:
    """The mainchain blocks that post both checkpoints (at the heights ``at``)."""
    return [
        (at[0], [[sb.message_output(sc.checkpoint_0)]]),
        (at[1], [[sb.message_output(sc.checkpoint_1)]]),
    ]


def opening(sc: Scenario, *, bond: int, preset: Preset) -> TxOutput:
    """SC-DSP-14: the challenger's opening output over checkpoint 1 (its value is the bond)."""
    message = DisputeOpenMessage(
        header=sc.block.header,
        parent_header=encode_sidechain_header(sc.checkpoint_0.header),
        tx_count=sc.block.tx_count,
        credits=sc.block.credits,
        challenger_trace_root=merkle_root(list(sc.challenger_roots)),
        challenger_final_root=sc.challenger_roots[-1],
        payout_script=CHALLENGER_PAYEE,
    )
    return sb.message_output(message, bond, preset)


def move_output(game_id: int, party: Party, kind: int, data: bytes, preset: Preset) -> TxOutput:
    """SC-DSP-15: a move output."""
    return sb.message_output(DisputeMoveMessage(game_id, party, kind, data), 0, preset)


def honest_move(sc: Scenario, game: Game, preset: Preset) -> tuple[int, bytes]:
    """The move of the party to move, from the roots it committed (``(kind, data)``)."""
    party = Party(game.turn)
    if game.hi - game.lo == 1:
        return MOVE_ONE_STEP, encode_one_step_proof(db.one_step_proof(sc.block, game))
    roots = sc.defender_roots if party is Party.DEFENDER else sc.challenger_roots
    return MOVE_BISECT, encode_bisect_move(db.bisect_move(roots, game))


def bond_claim(game_id: int, amount: int, preset: Preset) -> list[TxOutput]:
    """SC-DSP-18: a bond claim and its payout to the challenger's payee."""
    return [sb.message_output(BondClaim(game_id), 0, preset), TxOutput(amount, CHALLENGER_PAYEE)]


Strategy = Callable[[Game, int], TxOutputs | None]
"""A party's play: given the game and the block height, the move outputs to post, or ``None``."""


def apply(
    state: SidechainsState, height: int, outputs: Sequence[TxOutputs], preset: Preset
) -> SidechainBlock:
    """One mainchain block of the given transactions (coinbase first) on ``state``."""
    transactions: tuple[Transaction, ...] = sb.block(height, *outputs)
    return apply_block_to_sidechains(state, transactions, height, sb.keys(), preset)


Delay = Callable[[Party, Game], int | None]
"""A strategy's timing: the blocks after the last move at which the party to move moves (at least
1), or ``None`` for silence (it lets its deadline pass)."""


def always(blocks: int = 1) -> Delay:
    """Both parties move ``blocks`` after the last move."""
    return lambda party, game: blocks


@dataclass(frozen=True)
class Played:
    """A whole game on the mainchain: every block (height, outputs) after the checkpoints, the
    results of every block, and the state after the last."""

    blocks: tuple[tuple[int, tuple[TxOutputs, ...]], ...]
    results: tuple[SidechainBlock, ...]
    state: SidechainsState


def play(
    sc: Scenario,
    preset: Preset,
    *,
    open_at: int = CHECKPOINT_1_AT + 1,
    bond: int | None = None,
    delay: Delay | None = None,
    max_blocks: int = 10_000,
    prefix: Sequence[tuple[int, Sequence[TxOutputs]]] = (),
    checkpoints_at: tuple[int, int] = (CHECKPOINT_0_AT, CHECKPOINT_1_AT),
) -> Played:
    """Post both checkpoints, open the game at ``open_at`` and play it to its end (each party moves
    from the roots it committed, at the block ``delay`` gives), then one block after the end with the
    challenger's bond claim if one is payable. The ``prefix`` blocks (below the checkpoints'
    heights) come first; the checkpoints are posted at ``checkpoints_at``."""
    timing = delay or always()
    state = initial(sc.spec)
    blocks: list[tuple[int, tuple[TxOutputs, ...]]] = []
    results: list[SidechainBlock] = []

    def step(height: int, outputs: Sequence[TxOutputs]) -> None:
        nonlocal state
        result = apply(state, height, outputs, preset)
        blocks.append((height, tuple(outputs)))
        results.append(result)
        state = result.state

    for height, outputs in [*prefix, *checkpoint_blocks(sc, checkpoints_at)]:
        step(height, outputs)
    game_id = state.next_game
    step(open_at, [[opening(sc, bond=bond or preset.dispute.min_challenger_bond, preset=preset)]])
    height = open_at
    for _ in range(max_blocks):
        opened = state.games.get(game_id)
        if opened is None:
            break
        game = opened.game
        wait = timing(Party(game.turn), game)
        expiry = compute_expiry(game, on_chain_params(preset.dispute))
        if wait is None or max(height + 1, game.last_move_at + wait) >= expiry:
            height = expiry  # silence, or a move too late to be valid: the clock runs out
            step(height, [])
            continue
        height = max(height + 1, game.last_move_at + wait)
        kind, data = honest_move(sc, game, preset)
        step(height, [[move_output(game_id, Party(game.turn), kind, data, preset)]])
    payout = state.bond_payouts.get(game_id)
    if payout is not None:
        step(height + 1, [bond_claim(game_id, payout.amount, preset)])
    return Played(tuple(blocks), tuple(results), state)
