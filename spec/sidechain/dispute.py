"""Sidechain fraud proofs: the bisection game and its one-step proof (rules SC-DSP-1..10).

A checkpoint (spec/sidechain/header.py) is optimistic: during its challenge period anyone may
dispute the block it carries. Normative text and diagrams: docs/disputes.md.

* **SC-DSP-1** the *trace* of a block of ``n >= 1`` transactions is ``r_0 .. r_n``: ``r_0`` is the
  parent checkpoint's ``state_root`` (agreed: it is final on the mainchain), ``r_i`` the state root
  after transaction ``i - 1``; ``r_1`` also includes the block's *credits* (SCB-2: the deposits and
  inbound messages of its cursor range, SC-HDR-5, in canonical order), which the block transition
  applies before transaction 0 and the header commits to (``credits_root``, SC-HDR-1). The
  defender (the federation that signed the checkpoint) claims
  ``r_1 .. r_n`` by the header's ``trace_root`` (leaf ``i - 1`` is ``r_i``) and ``r_n`` by its
  ``state_root``; ``n`` is the header's ``tx_count``. A block of ``n = 0`` transactions has the
  trace ``r_0, r_1`` of one step, its *credit step*: ``r_1`` is the root after the credits alone,
  claimed by ``state_root`` (:func:`compute_step_count`).
* **SC-DSP-2** a challenger opens a game with its statement of the block, ``tx_count`` and
  ``credits``, equal to the header's ``tx_count`` and hashing to its ``credits_root``
  (``DSP_OPENING_MISMATCH``: so no statement can make an honest defender's proofs fail), its own
  trace root and its final root ``r'_n != state_root`` (``DSP_NO_DISAGREEMENT``), and a bond of at
  least ``min_challenger_bond`` (``DSP_BOND_TOO_SMALL``); the defender's bond is ``defender_bond``.
  The game starts with the interval ``(lo, hi) = (0, max(n, 1))``: ``r_lo`` agreed, ``r_hi``
  disputed (an empty block's game starts at its one credit step).
* **SC-DSP-3** while ``hi - lo >= 2`` the parties alternate, the defender first: the defender
  posts its root at ``mid = (lo + hi) // 2`` with a Merkle proof (leaf ``mid - 1`` of ``n``)
  against ``trace_root``; the challenger answers with its root at ``mid`` proven against its own
  trace root. Equal roots move ``lo`` to ``mid`` (that root is agreed), different ones move ``hi``
  to ``mid``. Any other point is ``DSP_BISECTION_POINT``, a proof that does not fold to the mover's
  root ``DSP_PROOF_INVALID``, the other party's move ``DSP_WRONG_TURN``.
* **SC-DSP-4** deadlines: the party to move must move at a mainchain height at most
  ``last_move + min(move_blocks, its clock)``; the blocks it took are charged to its chess clock
  (``clock_blocks`` per side). A late move is ``DSP_LATE_MOVE``; after the deadline anyone may
  claim the timeout and the party to move loses (``DSP_NOT_EXPIRED`` before it).
* **SC-DSP-5** when ``hi = lo + 1`` the defender must give the one-step proof: transaction
  ``hi - 1`` with its Merkle proof against ``tx_root`` and a :class:`~spec.vm.interface.StateWitness`
  holding the node of ``r_lo``. The transaction is re-executed statelessly from ``r_lo`` through the
  VM of the sidechain's kind (:data:`ONE_STEP_EXECUTORS`, VM-2..VM-6). A witness without the root
  node is ``DSP_WITNESS_ROOT_MISMATCH``, one that misses a node execution reads is
  ``VM_WITNESS_INCOMPLETE``: the move is rejected and the defender, still to move, loses at its
  deadline. The step from ``lo = 0`` first applies the credits with the block transition's own
  credit step (:func:`get_credit_step`, SCB-2: VMF-8 / EVM-7 / VMW-10; a credit the recipient
  cannot accept is refunded and leaves the state unchanged), so a deposit credited twice or never
  makes ``r_1`` wrong and the one-step proves it. In a block without transactions the step is the
  credit step alone: the proof carries no transaction and no transaction proof
  (``DSP_EMPTY_TRACE`` otherwise) and the root after the credits decides. The defender supplies
  the proof because the defender asserts the checkpoint and holds the state it signed; a
  challenger never needs the sidechain's state to win against a wrong claim.
* **SC-DSP-6** the one-step decides: the defender wins iff the transaction is valid and its
  post-state root equals the defender's ``r_hi``; an invalid transaction or any other root makes
  the challenger win. The loser's bond pays the winner but for ``burn_share_bps`` of it, burnt, so
  ``winner_receives + burnt == both bonds``.
* **SC-DSP-7** a defender that loses reverts the checkpoint at the disputed height and every later
  one (their withdrawals and messages cancelled) and names every federation member that signed it
  for penalty (docs/disputes.md: PoSe ban and collateral slashing, applied by the mainchain).
* **SC-DSP-8** non-interactive: two checkpoints of one sidechain at one height with different
  headers, both signed under the federation key, revert that height (equivocation).
* **SC-DSP-9** non-interactive: a withdrawal proven in a checkpoint's outbox whose amount is above
  the sidechain's escrow balance reverts the checkpoint.
* **SC-DSP-10** moves are canonically encoded (:func:`decode_bisect_move`,
  :func:`decode_one_step_proof`); the game ends within ``2 * ceil(log2 n) + 1`` moves and
  ``2 * clock_blocks`` mainchain blocks (:func:`max_moves`).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from types import MappingProxyType

from spec.encoding import FixedBytes, ListOf, Struct, VarBytes, Varint, decode, encode
from spec.errors import (
    DisputeBisectionPoint,
    DisputeBondTooSmall,
    DisputeEmptyTrace,
    DisputeGameOver,
    DisputeLateMove,
    DisputeNoDisagreement,
    DisputeNotExpired,
    DisputeNotFraud,
    DisputeOpeningMismatch,
    DisputeProofInvalid,
    DisputeUnknownVm,
    DisputeWitnessRootMismatch,
    DisputeWrongTurn,
    MerkleError,
    NotEquivocation,
    VmError,
    WitnessIncomplete,
)
from spec.merkle import merkle_root, root_from_inclusion_proof
from spec.presets import DisputeParams, Preset
from spec.sidechain.chain import Credit, vm_table
from spec.sidechain.checkpoint import check_equivocation
from spec.sidechain.header import BlockCredit, Checkpoint, SidechainHeader, compute_credits_root
from spec.trie import EMPTY_NODE_RLP
from spec.vm import evm, ferris, wasm
from spec.vm.interface import (
    OUTBOX_ENTRY_CODEC,
    ApplyTransaction,
    ExecutionContext,
    OutboxEntry,
    OutboxKind,
    RecordingNodes,
    StateWitness,
    VmKind,
    decode_witness,
    state_hasher,
    witness_nodes,
)

HASH = FixedBytes(32)
MAX_PROOF_HASHES = 64
MAX_TX_BYTES = 1 << 20
MAX_WITNESS_BYTES = 1 << 26
BPS = 10_000


class Party(IntEnum):
    """SC-DSP-3: the two sides of a game."""

    DEFENDER = 0
    CHALLENGER = 1


def _other(party: Party) -> Party:
    return Party.CHALLENGER if party is Party.DEFENDER else Party.DEFENDER


ONE_STEP_EXECUTORS: Mapping[VmKind, ApplyTransaction] = MappingProxyType(
    {
        VmKind.FERRIS: ferris.apply_transaction,
        VmKind.EVM: evm.apply_transaction,
        VmKind.WASM: wasm.apply_transaction,
    }
)
"""SC-DSP-5: the stateless executor of each VM kind: the VM's own ``apply_transaction`` (VM-3),
the very function the sidechain's block transition runs, under the network's preset."""


def get_credit_step(preset: Preset, kind: VmKind) -> Credit:
    """SC-DSP-5: how ``kind`` credits the block's inputs before transaction 0: the block
    transition's own credit step (SCB-2, ``vm_table(preset)[kind].credit``: VMF-8 for FerrisScript,
    EVM-7 for the EVM with a recipient that is not an address refunded, VMW-10 for WASM)."""
    return vm_table(preset)[kind].credit


@dataclass(frozen=True)
class DisputeOpening:
    """SC-DSP-2: what a challenger posts, with what the mainchain knows of the checkpoint.

    ``gas_limit`` and ``fee_recipient`` (the execution context, VM-2) and ``federation`` (the
    members that signed) come from mainchain state; ``tx_count`` and ``credits`` are the
    challenger's statement, which :func:`open_game` holds to the header's ``tx_count`` and
    ``credits_root`` (SC-HDR-1).
    """

    header: SidechainHeader
    vm_kind: int
    tx_count: int
    parent_state_root: bytes
    gas_limit: int
    fee_recipient: bytes
    federation: tuple[bytes, ...]
    challenger_trace_root: bytes
    challenger_final_root: bytes
    challenger_bond: int
    opened_at: int
    credits: tuple[BlockCredit, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """SC-DSP-6, SC-DSP-7: who won, how the bonds are paid, what is reverted and who is penalised."""

    winner: int
    reason: str
    winner_receives: int
    burnt: int
    reverted_height: int | None
    penalised: tuple[bytes, ...]


@dataclass(frozen=True)
class Game:
    """SC-DSP-2..7: the state of one dispute game."""

    opening: DisputeOpening
    defender_bond: int
    burn_share_bps: int
    lo: int
    hi: int
    agreed_root: bytes
    defender_root: bytes
    challenger_root: bytes
    pending_root: bytes | None
    turn: int
    last_move_at: int
    clocks: tuple[int, int]
    moves: int
    outcome: Outcome | None


@dataclass(frozen=True)
class BisectMove:
    """SC-DSP-3: a party's root at ``position`` and its Merkle proof against the party's trace root."""

    position: int
    root: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class OneStepProof:
    """SC-DSP-5: the disputed transaction, its proof against ``tx_root`` and the encoded witness."""

    tx: bytes
    tx_proof: tuple[bytes, ...]
    witness: bytes


BISECT_MOVE_CODEC: Struct[BisectMove] = Struct(
    BisectMove,
    (("position", Varint()), ("root", HASH), ("proof", ListOf(HASH, MAX_PROOF_HASHES))),
)
ONE_STEP_PROOF_CODEC: Struct[OneStepProof] = Struct(
    OneStepProof,
    (
        ("tx", VarBytes(MAX_TX_BYTES)),
        ("tx_proof", ListOf(HASH, MAX_PROOF_HASHES)),
        ("witness", VarBytes(MAX_WITNESS_BYTES)),
    ),
)


def encode_bisect_move(move: BisectMove) -> bytes:
    """SC-DSP-10: the canonical encoding of a bisection move."""
    return encode(BISECT_MOVE_CODEC, move)


def decode_bisect_move(data: bytes) -> BisectMove:
    """SC-DSP-10: the bisection move encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(BISECT_MOVE_CODEC, data)


def encode_one_step_proof(proof: OneStepProof) -> bytes:
    """SC-DSP-10: the canonical encoding of a one-step proof."""
    return encode(ONE_STEP_PROOF_CODEC, proof)


def decode_one_step_proof(data: bytes) -> OneStepProof:
    """SC-DSP-10: the one-step proof encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(ONE_STEP_PROOF_CODEC, data)


# --------------------------------------------------------------------------------------------
# Arithmetic (SC-DSP-3, SC-DSP-4, SC-DSP-10): the functions the symbolic contracts check
# --------------------------------------------------------------------------------------------


def compute_midpoint(lo: int, hi: int) -> int:
    """SC-DSP-3: the bisection point of ``(lo, hi)``; pre ``hi - lo >= 2``, post ``lo < mid < hi``."""
    return (lo + hi) // 2


def compute_step_count(tx_count: int) -> int:
    """SC-DSP-1: the number of steps of the trace of a block of ``tx_count >= 0`` transactions:
    one per transaction, and the one credit step of a block without transactions."""
    return max(tx_count, 1)


def max_moves(tx_count: int) -> int:
    """SC-DSP-10: the most moves a game over ``tx_count >= 0`` transactions takes.

    Each round of two moves at least halves ``hi - lo`` (rounding up), so ``ceil(log2 s)`` rounds
    reach one step of the ``s`` (:func:`compute_step_count`); the one-step proof is the last move.
    """
    return 2 * (compute_step_count(tx_count) - 1).bit_length() + 1


def compute_deadline(last_move_at: int, clock_left: int, move_blocks: int) -> int:
    """SC-DSP-4: the last mainchain height at which the party to move may move."""
    return last_move_at + min(clock_left, move_blocks)


def compute_bond_split(loser_bond: int, winner_bond: int, burn_share_bps: int) -> tuple[int, int]:
    """SC-DSP-6: ``(winner_receives, burnt)``: the winner's bond and the loser's, less the burnt share."""
    burnt = loser_bond * burn_share_bps // BPS
    return winner_bond + loser_bond - burnt, burnt


# --------------------------------------------------------------------------------------------
# The game
# --------------------------------------------------------------------------------------------


def check_opening_statement(opening: DisputeOpening) -> None:
    """SC-DSP-2: the opening's ``tx_count`` and ``credits`` are the header's (``tx_count``,
    ``credits_root``, SC-HDR-1); ``DSP_OPENING_MISMATCH`` otherwise."""
    header = opening.header
    if opening.tx_count != header.tx_count:
        raise DisputeOpeningMismatch(f"tx_count {opening.tx_count}, the header commits {header.tx_count}")
    if compute_credits_root(opening.credits) != header.credits_root:
        raise DisputeOpeningMismatch("the credits are not the header's credits_root")


def open_game(opening: DisputeOpening, params: DisputeParams) -> Game:
    """SC-DSP-1, SC-DSP-2: the game a valid opening starts, the defender to move (over the one
    credit step if the block has no transactions)."""
    check_opening_statement(opening)
    if opening.challenger_final_root == opening.header.state_root:
        raise DisputeNoDisagreement("the challenger's final root is the checkpoint's state root")
    if opening.challenger_bond < params.min_challenger_bond:
        raise DisputeBondTooSmall(f"bond {opening.challenger_bond} below {params.min_challenger_bond}")
    return Game(
        opening=opening,
        defender_bond=params.defender_bond,
        burn_share_bps=params.burn_share_bps,
        lo=0,
        hi=compute_step_count(opening.tx_count),
        agreed_root=opening.parent_state_root,
        defender_root=opening.header.state_root,
        challenger_root=opening.challenger_final_root,
        pending_root=None,
        turn=Party.DEFENDER,
        last_move_at=opening.opened_at,
        clocks=(params.clock_blocks, params.clock_blocks),
        moves=0,
        outcome=None,
    )


def get_deadline(game: Game, params: DisputeParams) -> int:
    """SC-DSP-4: the deadline of the party to move."""
    return compute_deadline(game.last_move_at, game.clocks[game.turn], params.move_blocks)


def _check_move(game: Game, party: Party, now: int, params: DisputeParams) -> tuple[int, int]:
    if game.outcome is not None:
        raise DisputeGameOver("the game has ended")
    if party != game.turn:
        raise DisputeWrongTurn(f"{party.name} moved, {Party(game.turn).name} is to move")
    if not game.last_move_at <= now <= get_deadline(game, params):
        raise DisputeLateMove(f"move at {now}, deadline {get_deadline(game, params)}")
    clocks = list(game.clocks)
    clocks[party] -= now - game.last_move_at
    return clocks[0], clocks[1]


def _finish(game: Game, winner: Party, reason: str) -> Game:
    opening = game.opening
    bonds = {Party.DEFENDER: game.defender_bond, Party.CHALLENGER: opening.challenger_bond}
    receives, burnt = compute_bond_split(bonds[_other(winner)], bonds[winner], game.burn_share_bps)
    defender_lost = winner is Party.CHALLENGER
    outcome = Outcome(
        winner=winner,
        reason=reason,
        winner_receives=receives,
        burnt=burnt,
        reverted_height=opening.header.height if defender_lost else None,
        penalised=opening.federation if defender_lost else (),
    )
    return replace(game, outcome=outcome)


def _proven_leaf(
    leaf: bytes, index: int, count: int, proof: Sequence[bytes], expected: bytes, what: str
) -> None:
    try:
        folded = root_from_inclusion_proof(leaf, index, count, proof)
    except MerkleError as error:
        raise DisputeProofInvalid(f"{what}: {error}") from error
    if folded != expected:
        raise DisputeProofInvalid(f"{what}: the proof does not lead to the committed root")


def apply_bisect_move(game: Game, party: Party, move: BisectMove, now: int, params: DisputeParams) -> Game:
    """SC-DSP-3, SC-DSP-4: the game after ``party`` posts its root at the midpoint."""
    clocks = _check_move(game, party, now, params)
    if game.hi - game.lo < 2:
        raise DisputeWrongTurn("the game is at one step: the defender owes the one-step proof")
    mid = compute_midpoint(game.lo, game.hi)
    if move.position != mid:
        raise DisputeBisectionPoint(
            f"position {move.position}, the midpoint of ({game.lo}, {game.hi}) is {mid}"
        )
    opening = game.opening
    committed = opening.header.trace_root if party is Party.DEFENDER else opening.challenger_trace_root
    _proven_leaf(move.root, mid - 1, opening.tx_count, move.proof, committed, f"{party.name} root at {mid}")
    moved = replace(game, last_move_at=now, clocks=clocks, moves=game.moves + 1, turn=_other(party))
    if party is Party.DEFENDER:
        return replace(moved, pending_root=move.root)
    if game.pending_root is None:
        raise DisputeWrongTurn("the challenger answers only a posted defender root")
    if move.root == game.pending_root:
        return replace(moved, lo=mid, agreed_root=move.root, pending_root=None)
    return replace(
        moved, hi=mid, defender_root=game.pending_root, challenger_root=move.root, pending_root=None
    )


def compute_context(opening: DisputeOpening) -> ExecutionContext:
    """SC-DSP-5: the execution context of the block's transactions (VM-2)."""
    header = opening.header
    return ExecutionContext(
        header.sidechain_id, header.height, header.timestamp, opening.fee_recipient, opening.gas_limit
    )


def compute_one_step(game: Game, proof: OneStepProof, preset: Preset) -> bytes | None:
    """SC-DSP-5: the post-state root of the disputed transaction under ``preset``, ``None`` if it is
    invalid; in a block without transactions, the root after its credits (the credit step).

    Raises ``DSP_PROOF_INVALID`` (transaction not in ``tx_root``), ``DSP_EMPTY_TRACE`` (a
    transaction or proof in the credit step's proof), ``DSP_WITNESS_ROOT_MISMATCH``,
    ``VM_WITNESS_INCOMPLETE``, a ``DECODE_*`` or ``VM_WITNESS_NOT_CANONICAL`` code: the submitter's fault.
    """
    opening = game.opening
    kind = VmKind(opening.vm_kind) if opening.vm_kind in ONE_STEP_EXECUTORS else None
    if kind is None:
        raise DisputeUnknownVm(f"no one-step executor for VM kind {opening.vm_kind}")
    index = game.hi - 1
    if opening.tx_count == 0:
        if proof.tx or proof.tx_proof:
            raise DisputeEmptyTrace("the block has no transaction: its step is the credit step alone")
    else:
        _proven_leaf(
            proof.tx, index, opening.tx_count, proof.tx_proof, opening.header.tx_root, f"transaction {index}"
        )
    credits = opening.credits if game.lo == 0 else ()
    hasher = state_hasher(kind)
    witness: StateWitness = decode_witness(proof.witness, hasher)
    nodes = witness_nodes(witness, hasher)
    if game.agreed_root not in nodes:
        raise DisputeWitnessRootMismatch(f"no witness node hashes to {game.agreed_root.hex()}")
    try:
        if opening.tx_count == 0:
            return execute_credit_step(preset, kind, nodes, game.agreed_root, credits)
        return execute_step(
            preset, kind, nodes, game.agreed_root, credits, proof.tx, compute_context(opening)
        )
    except WitnessIncomplete:
        raise
    except VmError:
        return None


def execute_step(
    preset: Preset,
    kind: VmKind,
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    credits: Sequence[BlockCredit],
    tx: bytes,
    context: ExecutionContext,
) -> bytes:
    """SC-DSP-5: the root after ``credits`` (in order) and then ``tx``, from ``pre_root`` over
    ``nodes`` (a ``VM_*`` code if ``tx`` is invalid, ``VM_WITNESS_INCOMPLETE`` for a missing node)."""
    created: dict[bytes, bytes] = {}
    view: Mapping[bytes, bytes] = ChainMap(created, nodes) if credits else nodes  # type: ignore[arg-type]
    root = _apply_credits(preset, kind, view, created, pre_root, credits)
    outcome, _ = ONE_STEP_EXECUTORS[kind](preset, view, root, tx, context)
    return outcome.post_root


def execute_credit_step(
    preset: Preset,
    kind: VmKind,
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    credits: Sequence[BlockCredit],
) -> bytes:
    """SC-DSP-1, SC-DSP-5: the root after ``credits`` (in order, each by :func:`get_credit_step`)
    from ``pre_root`` over ``nodes``: the one step of a block without transactions
    (``VM_WITNESS_INCOMPLETE`` for a missing node)."""
    created: dict[bytes, bytes] = {}
    view: Mapping[bytes, bytes] = ChainMap(created, nodes)  # type: ignore[arg-type]
    return _apply_credits(preset, kind, view, created, pre_root, credits)


def record_credit_step_witness(
    preset: Preset,
    kind: VmKind,
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    credits: Sequence[BlockCredit],
) -> StateWitness:
    """SC-DSP-5, VM-6: the witness of an empty block's credit step: the nodes
    :func:`execute_credit_step` reads from ``nodes`` and the node of ``pre_root`` (read by no
    credit when there are none; ``0x80``, MPT-3, for the empty state), sorted by hash."""
    recording = RecordingNodes(nodes)
    execute_credit_step(preset, kind, recording, pre_root, credits)
    read = dict(recording.read)
    hasher = state_hasher(kind)
    read[pre_root] = EMPTY_NODE_RLP if pre_root == hasher.empty_root else recording[pre_root]
    return StateWitness(tuple(read[h] for h in sorted(read)))


def _apply_credits(
    preset: Preset,
    kind: VmKind,
    view: Mapping[bytes, bytes],
    created: dict[bytes, bytes],
    root: bytes,
    credits: Sequence[BlockCredit],
) -> bytes:
    if not credits:
        return root
    credit_step = get_credit_step(preset, kind)
    for credit in credits:
        credited = credit_step(view, root, credit.recipient, credit.amount)
        if credited is not None:
            root, new_nodes = credited
            created.update(new_nodes)
    return root


def compute_trace(
    preset: Preset,
    kind: VmKind,
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    credits: Sequence[BlockCredit],
    txs: Sequence[bytes],
    context: ExecutionContext,
) -> tuple[bytes, ...]:
    """SC-DSP-1: the honest trace ``r_1 .. r_n`` of ``txs`` after ``credits`` from ``pre_root`` over
    ``nodes`` (each step SC-DSP-5's; a ``VM_*`` code if a transaction is invalid), or ``(r_1,)``,
    the root after the credits, when ``txs`` is empty (the one credit step): what a watcher
    re-executes to decide whether to challenge a checkpoint (:func:`is_trace_claimed`)."""
    created: dict[bytes, bytes] = {}
    view: Mapping[bytes, bytes] = ChainMap(created, nodes)  # type: ignore[arg-type]
    root = _apply_credits(preset, kind, view, created, pre_root, credits)
    if not txs:
        return (root,)
    trace: list[bytes] = []
    for tx in txs:
        outcome, new_nodes = ONE_STEP_EXECUTORS[kind](preset, view, root, tx, context)
        created.update(new_nodes)
        root = outcome.post_root
        trace.append(root)
    return tuple(trace)


def is_trace_claimed(header: SidechainHeader, trace: Sequence[bytes]) -> bool:
    """SC-DSP-1: does ``header`` claim ``trace`` (:func:`compute_trace`)? Its ``state_root`` is the
    last root and, for a block with transactions, its ``trace_root`` their Merkle root (an empty
    block's one credit step is claimed by ``state_root`` alone)."""
    if not trace or trace[-1] != header.state_root:
        return False
    return header.tx_count == 0 or merkle_root(list(trace)) == header.trace_root


def apply_one_step(game: Game, party: Party, proof: OneStepProof, now: int, preset: Preset) -> Game:
    """SC-DSP-5, SC-DSP-6: the finished game after the defender's one-step proof, executed under
    ``preset`` (its ``dispute`` block gives the deadlines, its VM block the execution limits)."""
    clocks = _check_move(game, party, now, preset.dispute)
    if game.hi - game.lo != 1:
        raise DisputeWrongTurn(f"the interval ({game.lo}, {game.hi}) is not one step yet")
    post_root = compute_one_step(game, proof, preset)
    moved = replace(game, last_move_at=now, clocks=clocks, moves=game.moves + 1)
    if post_root is None:
        return _finish(moved, Party.CHALLENGER, "invalid_transaction")
    if post_root == game.defender_root:
        return _finish(moved, Party.DEFENDER, "one_step")
    return _finish(moved, Party.CHALLENGER, "one_step")


def claim_timeout(game: Game, now: int, params: DisputeParams) -> Game:
    """SC-DSP-4: after the deadline the party to move loses."""
    if game.outcome is not None:
        raise DisputeGameOver("the game has ended")
    deadline = get_deadline(game, params)
    if now <= deadline:
        raise DisputeNotExpired(f"height {now}, deadline {deadline}")
    return _finish(game, _other(Party(game.turn)), "timeout")


# --------------------------------------------------------------------------------------------
# Non-interactive fraud proofs (SC-DSP-8, SC-DSP-9)
# --------------------------------------------------------------------------------------------


def check_equivocation_proof(first: Checkpoint, second: Checkpoint, public_key: bytes) -> int:
    """SC-DSP-8: the height to revert if the checkpoints prove equivocation (SC-CP-5's
    :func:`~spec.sidechain.checkpoint.check_equivocation`; ``DSP_NOT_FRAUD`` if not)."""
    try:
        check_equivocation(first, second, public_key)
    except NotEquivocation as error:
        raise DisputeNotFraud(error.detail) from None
    return first.header.height


def check_overdraw(
    outbox_root: bytes,
    entry: OutboxEntry,
    index: int,
    count: int,
    proof: Sequence[bytes],
    escrow_balance: int,
) -> None:
    """SC-DSP-9: return iff ``entry`` is leaf ``index`` of ``count`` under ``outbox_root``
    (``DSP_PROOF_INVALID``) and a withdrawal to the mainchain above ``escrow_balance``
    (``DSP_NOT_FRAUD``)."""
    _proven_leaf(encode(OUTBOX_ENTRY_CODEC, entry), index, count, proof, outbox_root, "outbox entry")
    if not is_escrow_overdraw(entry.kind, entry.target_chain, entry.amount, escrow_balance):
        raise DisputeNotFraud(
            f"entry of kind {entry.kind} to chain {entry.target_chain}, {entry.amount} atoms, "
            f"is no withdrawal above the escrow {escrow_balance}"
        )


def is_escrow_overdraw(kind: int, target_chain: int, amount: int, escrow_balance: int) -> bool:
    """SC-DSP-9: is an outbox entry of ``kind`` to ``target_chain`` for ``amount`` a withdrawal to
    the mainchain above ``escrow_balance``?"""
    return kind == OutboxKind.WITHDRAWAL and target_chain == 0 and amount > escrow_balance


def check_escrow_overdraw_proof(
    header: SidechainHeader,
    entry: OutboxEntry,
    index: int,
    count: int,
    proof: Sequence[bytes],
    escrow_balance: int,
) -> int:
    """SC-DSP-9: the height to revert if ``entry`` (leaf ``index`` of ``count`` in ``outbox_root``) is a
    withdrawal above ``escrow_balance``; ``DSP_PROOF_INVALID`` or ``DSP_NOT_FRAUD`` otherwise."""
    check_overdraw(header.outbox_root, entry, index, count, proof, escrow_balance)
    return header.height
