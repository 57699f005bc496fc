"""A finished dispute's outcome on the mainchain (rules SC-DSP-11..13, fork ``sidechains``).

The game itself (spec/sidechain/dispute.py, SC-DSP-1..10) decides who was right; this module is
what the mainchain does with the decision. Normative text and diagram: docs/disputes.md.

* **SC-DSP-11 window** a game over the checkpoint at sidechain height ``h`` may be opened at a
  mainchain height ``o`` with ``posted_height <= o < posted_height + challenge_period`` (the
  checkpoint is accepted and not yet matured, SC-PEG-3; ``SC_UNKNOWN_CHECKPOINT`` for a height the
  mainchain has not accepted, ``DSP_WINDOW_CLOSED`` outside the window). A game lasts at most
  ``2 * clock_blocks + 1`` blocks (SC-DSP-10, the timeout claim one block after the last deadline),
  so with ``challenge_period >= 2 * clock_blocks + 2`` every game ends before the disputed
  checkpoint, or any later one, matures: none of their withdrawals or messages can have been
  claimed or relayed (:func:`is_settled_before_maturity`).
* **SC-DSP-12 revert** a game the defender lost (or an SC-DSP-8/9 proof) at height ``h`` removes
  the accepted checkpoints at ``h`` and above from the sidechain's record
  (:func:`revert_checkpoints`; ``SC_UNKNOWN_CHECKPOINT`` for a height it does not hold). Their
  withdrawals and messages are cancelled: SC-PEG-3 / SC-MSG-1 name a checkpoint by height, and
  those heights no longer hold them. No value moves: escrows, the spent-withdrawal and
  delivered-message sets and the pending messages are unchanged (SC-PEG-6: supply and escrow are
  conserved; a key that was spent stays spent, so nothing is ever paid twice). A message a
  reverted checkpoint acknowledged is still pending (the acknowledgement was held, SC-MSG-3) and
  no longer acknowledged: it times out and is refunded (SC-MSG-4) unless a replacement
  checkpoint's cursor reaches it again. The sidechain resumes from the last good checkpoint: the
  next accepted checkpoint is at height ``h`` with that checkpoint as parent (SC-CP-1/2) and a
  cursor at least its cursor (SC-CP-3), so the deposits and messages the reverted blocks consumed
  are credited again by the replacement blocks (SC-HDR-5).
  A defender that won changes nothing.
* **SC-DSP-19 claims wait for open games** a withdrawal claim (SC-PEG-3) or a relay (SC-MSG-1)
  against the checkpoint of ``sidechain_id`` at height ``c`` is ``SC_UNDER_DISPUTE`` while an open
  game (SC-DSP-14) of that sidechain disputes a checkpoint at a height ``<= c`` (its revert would
  remove ``c``, SC-DSP-12), checked right after maturity; it may be posted again once the game has
  ended and the checkpoint still stands. So a reverted checkpoint never paid a withdrawal or
  relayed a message, however late in the window its game was opened or however long it lasts
  (:func:`is_under_dispute`).
* **SC-DSP-13 penalty** the members penalised are the federation quorum whose committed key the
  reverted checkpoint was accepted under (SC-CP-4: the finality or PoSe quorum in charge at its
  ``posted_height``, :func:`federation_quorum`): every member of it, since a threshold signature
  does not say which ``t`` members signed. Each member's registered masternode is SLASHED and its
  collateral burnt (SLASH-4, :func:`~spec.masternode.slashing.slash_federation`); equivocation
  (SC-DSP-8) is also provable by anyone as SLASH-1 evidence of tag 3.
"""

from __future__ import annotations

from dataclasses import replace

from spec.errors import CheckpointUnderDispute, DisputeWindowClosed, UnknownCheckpoint
from spec.masternode.finality import QuorumRecord, QuorumRegistry, finality_quorum_height
from spec.masternode.quorum import QuorumType
from spec.masternode.registry import pose_quorum_height
from spec.presets import DisputeParams, Preset
from spec.sidechain.dispute import Outcome
from spec.sidechain.registry import CheckpointRecord, SidechainsState, get_sidechain, with_record


def _accepted(state: SidechainsState, sidechain_id: int, height: int) -> CheckpointRecord:
    record = get_sidechain(state, sidechain_id)
    if not 0 <= height < len(record.checkpoints):
        raise UnknownCheckpoint(f"sidechain {sidechain_id} has no checkpoint {height}")
    return record.checkpoints[height]


def is_settled_before_maturity(challenge_period: int, params: DisputeParams) -> bool:
    """SC-DSP-11: does every game opened in the window end before the checkpoint matures?"""
    return challenge_period >= 2 * params.clock_blocks + 2


def is_within_window(posted_height: int, challenge_period: int, opened_at: int) -> bool:
    """SC-DSP-11: may a game over a checkpoint posted at ``posted_height`` open at ``opened_at``?"""
    return posted_height <= opened_at < posted_height + challenge_period


def check_dispute_window(state: SidechainsState, sidechain_id: int, height: int, opened_at: int) -> None:
    """SC-DSP-11: raise unless a game over checkpoint ``height`` may be opened at ``opened_at``."""
    checkpoint = _accepted(state, sidechain_id, height)
    period = get_sidechain(state, sidechain_id).spec.challenge_period
    if not is_within_window(checkpoint.posted_height, period, opened_at):
        raise DisputeWindowClosed(
            f"posted at {checkpoint.posted_height}, challenge period {period}, opened at {opened_at}"
        )


def is_under_dispute(state: SidechainsState, sidechain_id: int, checkpoint_height: int) -> bool:
    """SC-DSP-19: could an open game revert the checkpoint of ``sidechain_id`` at ``checkpoint_height``?"""
    return any(
        opened.sidechain_id == sidechain_id and opened.game.opening.header.height <= checkpoint_height
        for opened in state.games.values()
    )


def check_not_under_dispute(state: SidechainsState, sidechain_id: int, checkpoint_height: int) -> None:
    """SC-DSP-19: raise ``SC_UNDER_DISPUTE`` while an open game could revert the checkpoint."""
    if is_under_dispute(state, sidechain_id, checkpoint_height):
        raise CheckpointUnderDispute(
            f"checkpoint {checkpoint_height} of sidechain {sidechain_id} waits for an open dispute game"
        )


def revert_checkpoints(state: SidechainsState, sidechain_id: int, height: int) -> SidechainsState:
    """SC-DSP-12: the state without the checkpoints of ``sidechain_id`` at ``height`` and above."""
    _accepted(state, sidechain_id, height)
    record = get_sidechain(state, sidechain_id)
    return with_record(state, replace(record, checkpoints=record.checkpoints[:height]))


def apply_outcome(state: SidechainsState, sidechain_id: int, outcome: Outcome) -> SidechainsState:
    """SC-DSP-12: the state after a finished game: reverted from ``outcome.reverted_height`` if the
    defender lost, unchanged otherwise."""
    if outcome.reverted_height is None:
        return state
    return revert_checkpoints(state, sidechain_id, outcome.reverted_height)


def federation_quorum(
    quorums: QuorumRegistry, quorum_type: int, posted_height: int, preset: Preset
) -> QuorumRecord | None:
    """SC-DSP-13: the quorum whose committed key checkpoints in the block at ``posted_height`` were
    accepted under (SC-CP-4, :func:`~spec.sidechain.checkpoint.federation_keys`), ``None`` if none."""
    if quorum_type == QuorumType.FINALITY:
        base = finality_quorum_height(posted_height, preset)
    else:
        base = pose_quorum_height(posted_height, preset)
    record = None if base is None else quorums.of_type(quorum_type).get(base)
    return None if record is None or record.group_public_key is None else record
