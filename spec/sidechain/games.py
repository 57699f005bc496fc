"""Dispute games played in mainchain blocks (rules SC-DSP-14..18, fork ``sidechains``).

The game (spec/sidechain/dispute.py, SC-DSP-1..10) and its outcome (spec/sidechain/settlement.py,
SC-DSP-11..13) are pure functions; this module is how mainchain transactions carry them and how the
block transition (SC-BLK-1, spec/sidechain/state.py) runs them. Normative text: docs/disputes.md.

* **SC-DSP-14 opening** a sidechain message of kind 5 (:class:`DisputeOpenMessage`, SC-TX-0) whose
  output value is the challenger's bond opens a game over the accepted checkpoint at
  ``header.height``, in this order: the sidechain is registered (``SC_UNKNOWN_SIDECHAIN``), the
  checkpoint is accepted (``SC_UNKNOWN_CHECKPOINT``) and its window open (SC-DSP-11,
  ``DSP_WINDOW_CLOSED``), ``header`` hashes to the accepted header hash and ``parent_header`` to the
  accepted parent's (empty at height 0, whose agreed root is the VM kind's empty state root;
  ``DSP_HEADER_MISMATCH``), the VM kind has a block transition (``DSP_UNKNOWN_VM``), then
  SC-DSP-2 (``DSP_OPENING_MISMATCH``, ``DSP_NO_DISAGREEMENT``, ``DSP_BOND_TOO_SMALL``; a block
  without transactions opens a game over its one credit step, SC-DSP-1). The execution
  context is SCB-3's (``gas_limit`` the kind's ``max_tx_gas``, ``fee_recipient`` the kind's fee
  sink, :data:`~spec.sidechain.chain.FEE_SINKS`); ``tx_count`` and
  ``credits`` are the challenger's statement of the block, held to the header's ``tx_count`` and
  ``credits_root`` by SC-DSP-2 (``DSP_OPENING_MISMATCH``). The game gets the id
  ``next_game`` (then incremented) and is opened at the block's height.
* **SC-DSP-15 moves** a kind 6 message (:class:`DisputeMoveMessage`) names an open game
  (``DSP_UNKNOWN_GAME``), the party it moves for (0 defender, 1 challenger) and a bisection move
  (``move_kind`` 0, SC-DSP-3) or a one-step proof (1, SC-DSP-5), encoded as SC-DSP-10 (another
  party or kind is ``DECODE_INVALID_TAG``); the move is checked by
  :func:`~spec.sidechain.dispute.apply_bisect_move` / :func:`~spec.sidechain.dispute.apply_one_step`
  at the block's height. Anyone may post a move for either party: every claim is bound by a Merkle
  proof to the trace root its party committed, so a third party can only help it.
* **SC-DSP-16 clocks** before the block's messages, every open game whose party to move let its
  deadline (SC-DSP-4) pass before the block's height ends by timeout
  (:func:`~spec.sidechain.dispute.claim_timeout` at that height), in game id order.
* **SC-DSP-17 settlement** a finished game leaves the open set. If the defender lost, the
  checkpoint and every later one are reverted (SC-DSP-12), the open games over reverted
  checkpoints are cancelled (each challenger's bond becomes payable to it in full), the federation
  quorum in charge at the checkpoint's posting is penalised (SC-DSP-13: ``penalties``), and the
  challenger's bond is payable to its ``payout_script``. While a game is open, claims and relays
  against its checkpoint and every later one wait (SC-DSP-19, spec/sidechain/settlement.py), and
  so do the acknowledgements of those checkpoints (SC-MSG-3, spec/sidechain/messages.py). On
  the mainchain the defender locks no bond (its stake is the federation's collateral, SC-DSP-13):
  ``defender_bond`` is 0 there, so a winning challenger receives its own bond and a losing one
  forfeits it whole (``burnt``). Each penalty names its **claim id** (the game's id) and the
  winner's payout script, for SC-DSP-25's reward.
* **SC-DSP-18 bond claim** a kind 7 message (:class:`BondClaim`) names a game with a payable bond
  (``DSP_UNKNOWN_GAME``); the next output must pay exactly the amount to the payout script
  (``SC_BAD_PAYOUT``); the amount is released into the transaction's inputs (as SC-PEG-4) and the
  bond is paid once. A fraud proof's reward (SC-DSP-25) is claimed the same way, by the id the
  proof took (:func:`settle_proof`).
* **SC-DSP-25 the winner's reward** after the mainchain transition has slashed a penalised quorum
  (SC-DSP-13), the winner of the revert (the challenger of a lost game, the prover of a kind 8/9/10
  proof) is owed :func:`compute_winner_reward` of the collaterals that settlement newly slashed:
  ``min(winner_reward, the smallest of them)`` less ``burn_share_bps`` of it (rounded so that the
  burnt part is at least one atom), none if it slashed nobody; everything else slashed is burnt.
  :func:`pay_rewards` adds it to the payable bond of the penalty's claim id (a new one for a proof),
  so a member who proves its own federation's fraud loses its collateral and gains less than it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

from spec.encoding import U8, FixedBytes, ListOf, Struct, VarBytes, Varint, decode
from spec.errors import (
    BadPegPayout,
    DisputeHeaderMismatch,
    DisputeUnknownGame,
    DisputeUnknownVm,
    InvalidEnumTag,
)
from spec.ledger.transaction import TxOutput
from spec.presets import DisputeParams, Preset
from spec.sidechain.chain import vm_table
from spec.sidechain.dispute import (
    MAX_WITNESS_BYTES,
    DisputeOpening,
    Game,
    Party,
    apply_bisect_move,
    apply_one_step,
    claim_timeout,
    compute_deadline,
    decode_bisect_move,
    decode_one_step_proof,
    open_game,
)
from spec.sidechain.header import (
    BLOCK_CREDIT_CODEC,
    SIDECHAIN_HEADER_CODEC,
    BlockCredit,
    SidechainHeader,
    compute_header_hash,
    decode_sidechain_header,
)
from spec.sidechain.registry import SidechainsState, get_sidechain
from spec.sidechain.settlement import check_dispute_window, revert_checkpoints
from spec.vm.interface import VmKind, state_hasher

HASH = FixedBytes(32)
MOVE_BISECT = 0
MOVE_ONE_STEP = 1


@dataclass(frozen=True)
class DisputeOpenMessage:
    """SC-DSP-14: a challenger's opening (SC-TX-0 kind 5); the output's value is its bond."""

    header: SidechainHeader
    parent_header: bytes
    tx_count: int
    credits: tuple[BlockCredit, ...]
    challenger_trace_root: bytes
    challenger_final_root: bytes
    payout_script: bytes


@dataclass(frozen=True)
class DisputeMoveMessage:
    """SC-DSP-15: a move in an open game (SC-TX-0 kind 6)."""

    game_id: int
    party: int
    move_kind: int
    data: bytes


@dataclass(frozen=True)
class BondClaim:
    """SC-DSP-18: claim a finished game's payable bond (SC-TX-0 kind 7); the next output pays it."""

    game_id: int


@dataclass(frozen=True)
class OpenGame:
    """SC-DSP-14: a game on the mainchain: the pure game, its sidechain and the challenger's payee."""

    sidechain_id: int
    game: Game
    payout_script: bytes


@dataclass(frozen=True)
class BondPayout:
    """SC-DSP-17: a bond payable to ``script`` by a :class:`BondClaim`."""

    script: bytes
    amount: int


@dataclass(frozen=True)
class Penalty:
    """SC-DSP-17: a federation to penalise (SC-DSP-13): the quorum of ``quorum_type`` in charge at
    mainchain height ``posted_height``; SC-DSP-25: the winner's reward is payable to
    ``payout_script`` under the game id ``claim_id``."""

    sidechain_id: int
    quorum_type: int
    posted_height: int
    claim_id: int
    payout_script: bytes


@dataclass(frozen=True)
class GameCodecs:
    """SC-TX-0 kinds 5..7 under one preset."""

    open: Struct[DisputeOpenMessage]
    move: Struct[DisputeMoveMessage]
    claim: Struct[BondClaim]


@cache
def game_codecs(preset: Preset) -> GameCodecs:
    """SC-DSP-14/15/18: the codecs of the dispute messages (bounds from ``preset.dispute``)."""
    params = preset.dispute
    opening = Struct(
        DisputeOpenMessage,
        (
            ("header", SIDECHAIN_HEADER_CODEC),
            ("parent_header", VarBytes(1024)),
            ("tx_count", Varint()),
            ("credits", ListOf(BLOCK_CREDIT_CODEC, params.max_opening_credits)),
            ("challenger_trace_root", HASH),
            ("challenger_final_root", HASH),
            ("payout_script", VarBytes(params.max_payout_script_bytes)),
        ),
    )
    move = Struct(
        DisputeMoveMessage,
        (("game_id", Varint()), ("party", U8), ("move_kind", U8), ("data", VarBytes(MAX_WITNESS_BYTES))),
    )
    claim = Struct(BondClaim, (("game_id", Varint()),))
    return GameCodecs(opening, move, claim)


def on_chain_params(params: DisputeParams) -> DisputeParams:
    """SC-DSP-17: the game parameters on the mainchain, where the defender locks no bond."""
    return replace(params, defender_bond=0)


def compute_expiry_height(last_move_at: int, clock_left: int, move_blocks: int) -> int:
    """SC-DSP-16: the first height past the mover's deadline (SC-DSP-4's ``compute_deadline`` + 1)."""
    return compute_deadline(last_move_at, clock_left, move_blocks) + 1


def compute_expiry(game: Game, params: DisputeParams) -> int:
    """SC-DSP-16: the first mainchain height at which the game ends by timeout (deadline + 1)."""
    return compute_expiry_height(game.last_move_at, game.clocks[game.turn], params.move_blocks)


def is_expired(game: Game, height: int, params: DisputeParams) -> bool:
    """SC-DSP-16: does the block at ``height`` end ``game`` by timeout before its messages?"""
    return game.outcome is None and height >= compute_expiry(game, params)


def _parent_root(state: SidechainsState, sidechain_id: int, message: DisputeOpenMessage) -> bytes:
    record = get_sidechain(state, sidechain_id)
    height = message.header.height
    if height == 0:
        if message.parent_header:
            raise DisputeHeaderMismatch("the first checkpoint has no parent header")
        return state_hasher(VmKind(record.spec.vm_kind)).empty_root
    parent = decode_sidechain_header(message.parent_header)
    if compute_header_hash(parent) != record.checkpoints[height - 1].header_hash:
        raise DisputeHeaderMismatch(f"the parent header is not the accepted checkpoint {height - 1}")
    return parent.state_root


def check_opening(
    state: SidechainsState, message: DisputeOpenMessage, bond: int, height: int, preset: Preset
) -> Game:
    """SC-DSP-14: the game ``message`` (with ``bond``) opens in the block at ``height``."""
    header = message.header
    record = get_sidechain(state, header.sidechain_id)
    check_dispute_window(state, header.sidechain_id, header.height, height)
    if compute_header_hash(header) != record.checkpoints[header.height].header_hash:
        raise DisputeHeaderMismatch(f"the header is not the accepted checkpoint {header.height}")
    parent_root = _parent_root(state, header.sidechain_id, message)
    vm = vm_table(preset).get(VmKind(record.spec.vm_kind))
    if vm is None:
        raise DisputeUnknownVm(f"no block transition for VM kind {record.spec.vm_kind}")
    opening = DisputeOpening(
        header=header,
        vm_kind=record.spec.vm_kind,
        tx_count=message.tx_count,
        parent_state_root=parent_root,
        gas_limit=vm.max_tx_gas,
        fee_recipient=vm.fee_recipient,
        federation=(),
        challenger_trace_root=message.challenger_trace_root,
        challenger_final_root=message.challenger_final_root,
        challenger_bond=bond,
        opened_at=height,
        credits=message.credits,
    )
    return open_game(opening, on_chain_params(preset.dispute))


def apply_opening(
    state: SidechainsState, message: DisputeOpenMessage, bond: int, height: int, preset: Preset
) -> SidechainsState:
    """SC-DSP-14: the state with the game ``message`` opens."""
    game = check_opening(state, message, bond, height, preset)
    opened = OpenGame(message.header.sidechain_id, game, message.payout_script)
    return replace(state, games={**state.games, state.next_game: opened}, next_game=state.next_game + 1)


def _open(state: SidechainsState, game_id: int) -> OpenGame:
    opened = state.games.get(game_id)
    if opened is None:
        raise DisputeUnknownGame(f"no open game {game_id}")
    return opened


def _settle(
    state: SidechainsState, game_id: int, opened: OpenGame, game: Game
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-17: record ``game`` (a move's result); settle it if it has ended."""
    outcome = game.outcome
    if outcome is None:
        return replace(state, games={**state.games, game_id: replace(opened, game=game)}), ()
    games = {key: value for key, value in state.games.items() if key != game_id}
    payouts = dict(state.bond_payouts)
    if outcome.reverted_height is None:
        return replace(state, games=games, bond_payouts=payouts), ()
    payouts[game_id] = BondPayout(opened.payout_script, outcome.winner_receives)
    settled = replace(state, games=games, bond_payouts=payouts)
    return settle_revert(settled, opened.sidechain_id, outcome.reverted_height, game_id, opened.payout_script)


def settle_revert(
    state: SidechainsState, sidechain_id: int, reverted: int, claim_id: int, payout_script: bytes
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-17 (a lost game) and SC-DSP-22/23 (a fraud proof): revert the checkpoints of
    ``sidechain_id`` from ``reverted`` on (SC-DSP-12), cancel the open games over them (their
    challengers' bonds payable in full) and penalise the quorum in charge at the reverted
    checkpoint's posting (SC-DSP-13), its winner's reward payable to ``payout_script`` under
    ``claim_id`` (SC-DSP-25)."""
    record = get_sidechain(state, sidechain_id)
    posted = record.checkpoints[reverted].posted_height
    penalties = (Penalty(sidechain_id, record.spec.federation, posted, claim_id, payout_script),)
    games = dict(state.games)
    payouts = dict(state.bond_payouts)
    for key, other in sorted(games.items()):
        if other.sidechain_id == sidechain_id and other.game.opening.header.height >= reverted:
            payouts[key] = BondPayout(other.payout_script, other.game.opening.challenger_bond)
            del games[key]
    state = revert_checkpoints(state, sidechain_id, reverted)
    return replace(state, games=games, bond_payouts=payouts), penalties


def settle_proof(
    state: SidechainsState, sidechain_id: int, reverted: int, payout_script: bytes
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-22/23: settle a valid fraud proof as a game the defender lost: the proof takes the
    game id ``next_game`` (then incremented; SC-DSP-25's claim id) and :func:`settle_revert` reverts
    and penalises."""
    claim_id = state.next_game
    return settle_revert(
        replace(state, next_game=claim_id + 1), sidechain_id, reverted, claim_id, payout_script
    )


def compute_winner_reward(slashed: Sequence[int], winner_reward: int, burn_share_bps: int) -> tuple[int, int]:
    """SC-DSP-25: ``(paid, burnt)`` of a settlement that newly slashed the collaterals ``slashed``:
    the winner is paid ``min(winner_reward, min(slashed))`` less its ``burn_share_bps`` share
    (rounded up, so at least one atom is burnt when ``burn_share_bps >= 1``); the rest of the
    collateral is burnt: ``paid + burnt == sum(slashed)``. Nobody slashed: nothing paid."""
    if not slashed:
        return 0, 0
    gross = min(winner_reward, min(slashed))
    paid = gross * (10_000 - burn_share_bps) // 10_000
    return paid, sum(slashed) - paid


def pay_rewards(
    state: SidechainsState,
    penalties: Sequence[Penalty],
    slashed: Sequence[Sequence[int]],
    params: DisputeParams,
) -> SidechainsState:
    """SC-DSP-25: the state with each penalty's reward (``slashed[i]``: the collaterals penalty
    ``i`` newly slashed, in the mainchain transition's order) added to the payable bond of its
    claim id, payable to its payout script; a reward of 0 adds nothing."""
    payouts = dict(state.bond_payouts)
    for penalty, values in zip(penalties, slashed, strict=True):
        paid, _ = compute_winner_reward(values, params.winner_reward, params.burn_share_bps)
        if paid:
            due = payouts.get(penalty.claim_id)
            owed = paid + (due.amount if due is not None else 0)
            payouts[penalty.claim_id] = BondPayout(penalty.payout_script, owed)
    if payouts == state.bond_payouts:
        return state
    return replace(state, bond_payouts=payouts)


def apply_move(
    state: SidechainsState, message: DisputeMoveMessage, height: int, preset: Preset
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-15, SC-DSP-17: the state after ``message`` in the block at ``height``."""
    opened = _open(state, message.game_id)
    if message.party not in (Party.DEFENDER, Party.CHALLENGER):
        raise InvalidEnumTag(f"party {message.party} is not 0 (defender) or 1 (challenger)")
    party = Party(message.party)
    on_chain = replace(preset, dispute=on_chain_params(preset.dispute))
    if message.move_kind == MOVE_BISECT:
        move = decode_bisect_move(message.data)
        game = apply_bisect_move(opened.game, party, move, height, on_chain.dispute)
    elif message.move_kind == MOVE_ONE_STEP:
        game = apply_one_step(opened.game, party, decode_one_step_proof(message.data), height, on_chain)
    else:
        raise InvalidEnumTag(f"move kind {message.move_kind} is not 0 (bisect) or 1 (one-step)")
    return _settle(state, message.game_id, opened, game)


def expire_games(
    state: SidechainsState, height: int, preset: Preset
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-16: the state after the timeouts the block at ``height`` resolves (game id order)."""
    params = on_chain_params(preset.dispute)
    penalties: list[Penalty] = []
    for game_id in sorted(state.games):
        opened = state.games.get(game_id)
        if opened is None or not is_expired(opened.game, height, params):
            continue  # cancelled by an earlier revert in this loop, or still running
        state, more = _settle(state, game_id, opened, claim_timeout(opened.game, height, params))
        penalties.extend(more)
    return state, tuple(penalties)


def apply_bond_claim(
    state: SidechainsState, claim: BondClaim, payout: TxOutput | None
) -> tuple[SidechainsState, int]:
    """SC-DSP-18: the state after paying ``claim`` by ``payout`` (the next output) and the amount released."""
    due = state.bond_payouts.get(claim.game_id)
    if due is None:
        raise DisputeUnknownGame(f"game {claim.game_id} has no payable bond")
    if payout is None or payout.value != due.amount or payout.script_pubkey != due.script:
        raise BadPegPayout("the output after a bond claim must pay the bond to the payout script")
    payouts: Mapping[int, BondPayout] = {k: v for k, v in state.bond_payouts.items() if k != claim.game_id}
    return replace(state, bond_payouts=payouts), due.amount


def decode_open_message(data: bytes, preset: Preset) -> DisputeOpenMessage:
    """SC-DSP-14: the opening encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(game_codecs(preset).open, data)


def decode_move_message(data: bytes, preset: Preset) -> DisputeMoveMessage:
    """SC-DSP-15: the move message encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(game_codecs(preset).move, data)
