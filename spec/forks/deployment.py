"""Stakeholder-voted activation of forks: vote bits, windows, tallies, states (protocol steps "UPG-2..6").

Decred's agenda voting is the model (dcrd ``blockchain/thresholdstate.go``): ticket votes carry
choices, and a deployment's state changes only at the first block of a *window* of
``window_blocks`` blocks, from the previous state and the previous window's votes. Everything here
is a pure function of the chain: the records live in :class:`spec.chain.state.ChainState` and are
replayed with the blocks, like the ticket pool.

* **UPG-2 vote bits** a ticket vote's ``vote`` byte (BLK-0) is its *vote bits*. Bit 0 is POS-4's
  approve/reject bit and must be 0 (approve). An agenda with ``vote_bit = b`` reads the 2-bit
  choice ``(bits >> b) & 3``: 0 abstain, 1 no, 2 yes; 3 is not a choice and counts as abstain.
  Bits of no known agenda are allowed and ignored, so a node that does not know an agenda yet
  accepts the votes on it (no split while a newer release's agenda is being voted on).
* **UPG-3 vote message** (spec/chain/tickets.py ``vote_message``) the voting key signs the vote
  bits too whenever they are not 0.
* **UPG-4 states** DEFINED, STARTED, LOCKED_IN, ACTIVE, FAILED. At height 0 every deployment is
  DEFINED. At each positive multiple ``s`` of ``window_blocks``:

  - DEFINED: FAILED if ``s >= expiry_height``; STARTED if ``s >= start_height`` and the previous
    fork is ACTIVE (fork 1 has no previous condition); else DEFINED;
  - STARTED: with ``yes`` and ``no`` the votes of the window ``[s - window_blocks, s)``:
    LOCKED_IN if the quorum and the threshold are met by yes (UPG-5); FAILED if they are met by no;
    else FAILED if ``s >= expiry_height``; else STARTED (the last window before expiry counts);
  - LOCKED_IN: ACTIVE (activation one window after lock-in, at ``s``);
  - ACTIVE and FAILED never change.

* **UPG-5 tally** a window's votes are counted only while the deployment is STARTED: every vote of
  every block, by its choice. Quorum: ``yes + no >= quorum_votes`` (abstentions do not count);
  threshold: ``yes * 10,000 >= threshold_bps * (yes + no)``. With ``threshold_bps > 5,000``
  (checked at preset load) yes and no cannot both meet it.
* **UPG-6 fork in force** for the block at height ``h``: fork ``i`` is in force when forks
  ``1..i`` are all ACTIVE at ``h`` (after the window step of ``h``); fork 0 always is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

from spec.chain.block import TicketVote
from spec.presets import BASIS_POINTS, Deployment, ForkParams, Preset

REJECT_BIT = 1
"""UPG-2: bit 0 of the vote bits, POS-4's reject flag (never valid)."""

CHOICE_ABSTAIN = 0
CHOICE_NO = 1
CHOICE_YES = 2
CHOICE_MASK = 3


class DeploymentStatus(Enum):
    """UPG-4: the states of a deployment."""

    DEFINED = "defined"
    STARTED = "started"
    LOCKED_IN = "locked_in"
    ACTIVE = "active"
    FAILED = "failed"


@dataclass(frozen=True)
class AgendaRecord:
    """UPG-4/5: one deployment's state, the height it entered it, and the current window's votes."""

    agenda_id: str
    status: DeploymentStatus
    since_height: int
    yes: int
    no: int


Deployments = tuple[AgendaRecord, ...]
"""The records of a preset's deployments in fork order (fork 1 first); ``()`` before genesis."""


def agenda_choice(vote_bits: int, vote_bit: int) -> int:
    """UPG-2: the choice a vote's bits give the agenda at ``vote_bit`` (3 counts as abstain)."""
    choice = (vote_bits >> vote_bit) & CHOICE_MASK
    return CHOICE_ABSTAIN if choice == CHOICE_MASK else choice


def vote_bits_for(choices: Sequence[tuple[int, int]]) -> int:
    """UPG-2: the vote bits of an approving vote with ``(vote_bit, choice)`` pairs."""
    bits = 0
    for vote_bit, choice in choices:
        bits |= (choice & CHOICE_MASK) << vote_bit
    return bits


def is_quorum_met(yes: int, no: int, quorum_votes: int) -> bool:
    """UPG-5: enough non-abstaining votes were cast in the window."""
    return yes + no >= quorum_votes


def is_threshold_met(count: int, yes: int, no: int, threshold_bps: int) -> bool:
    """UPG-5: ``count`` (the yes or the no votes) is at least ``threshold_bps`` of ``yes + no``."""
    return yes + no > 0 and count * BASIS_POINTS >= threshold_bps * (yes + no)


def is_locked_in(yes: int, no: int, quorum_votes: int, threshold_bps: int) -> bool:
    """UPG-5: a STARTED window's votes lock the agenda in."""
    return is_quorum_met(yes, no, quorum_votes) and is_threshold_met(yes, yes, no, threshold_bps)


def is_voted_down(yes: int, no: int, quorum_votes: int, threshold_bps: int) -> bool:
    """UPG-5: a STARTED window's votes fail the agenda."""
    return is_quorum_met(yes, no, quorum_votes) and is_threshold_met(no, yes, no, threshold_bps)


def next_status(
    status: DeploymentStatus,
    window_start: int,
    yes: int,
    no: int,
    previous_fork_active: bool,
    deployment: Deployment,
) -> DeploymentStatus:
    """UPG-4: the state for the window starting at ``window_start`` (a positive multiple of the
    window length), from the previous window's state and its yes and no votes."""
    expired = window_start >= deployment.expiry_height
    if status is DeploymentStatus.DEFINED:
        if expired:
            return DeploymentStatus.FAILED
        if window_start >= deployment.start_height and previous_fork_active:
            return DeploymentStatus.STARTED
        return status
    if status is DeploymentStatus.STARTED:
        if is_locked_in(yes, no, deployment.quorum_votes, deployment.threshold_bps):
            return DeploymentStatus.LOCKED_IN
        if is_voted_down(yes, no, deployment.quorum_votes, deployment.threshold_bps) or expired:
            return DeploymentStatus.FAILED
        return status
    if status is DeploymentStatus.LOCKED_IN:
        return DeploymentStatus.ACTIVE
    return status


def _deployed(preset: Preset) -> list[tuple[ForkParams, Deployment]]:
    return [(fork, fork.deployment) for fork in preset.forks if fork.deployment is not None]


def initial_deployments(preset: Preset) -> Deployments:
    """UPG-4: every deployment DEFINED since height 0 with no votes."""
    return tuple(AgendaRecord(d.agenda_id, DeploymentStatus.DEFINED, 0, 0, 0) for _, d in _deployed(preset))


def _records(deployments: Deployments, preset: Preset) -> Deployments:
    return deployments if deployments else initial_deployments(preset)


def begin_window(deployments: Deployments, height: int, preset: Preset) -> Deployments:
    """UPG-4: the records in force for the block at ``height`` (a window step where one starts).

    ``deployments`` are the records after ``height - 1`` (``()``: before genesis). Forks are stepped
    in order, so fork ``i + 1`` may start in the window where fork ``i`` becomes ACTIVE.
    """
    records = list(_records(deployments, preset))
    previous_active = True
    for position, (_, deployment) in enumerate(_deployed(preset)):
        record = records[position]
        window = deployment.window_blocks
        if height > 0 and height % window == 0:
            status = next_status(record.status, height, record.yes, record.no, previous_active, deployment)
            since = height if status is not record.status else record.since_height
            record = replace(record, status=status, since_height=since, yes=0, no=0)
            records[position] = record
        previous_active = record.status is DeploymentStatus.ACTIVE
    return tuple(records)


def count_votes(deployments: Deployments, votes: Sequence[TicketVote], preset: Preset) -> Deployments:
    """UPG-5: add a block's votes to the window tally of every STARTED deployment."""
    records = list(deployments)
    for position, (_, deployment) in enumerate(_deployed(preset)):
        record = records[position]
        if record.status is not DeploymentStatus.STARTED:
            continue
        choices = [agenda_choice(v.vote, deployment.vote_bit) for v in votes]
        records[position] = replace(
            record,
            yes=record.yes + choices.count(CHOICE_YES),
            no=record.no + choices.count(CHOICE_NO),
        )
    return tuple(records)


def fork_index(deployments: Deployments, preset: Preset) -> int:
    """UPG-6: the index of the fork in force under ``deployments`` (records already stepped)."""
    index = 0
    for record in _records(deployments, preset):
        if record.status is not DeploymentStatus.ACTIVE:
            break
        index += 1
    return index


def activation_height(record: AgendaRecord, deployment: Deployment) -> int | None:
    """UPG-4: the height at which a LOCKED_IN or ACTIVE deployment is (or was) first in force."""
    if record.status is DeploymentStatus.ACTIVE:
        return record.since_height
    if record.status is DeploymentStatus.LOCKED_IN:
        return record.since_height + deployment.window_blocks
    return None


def deployment_of(preset: Preset, agenda_id: str) -> Deployment | None:
    """The deployment with ``agenda_id`` in ``preset``, or ``None``."""
    for _, deployment in _deployed(preset):
        if deployment.agenda_id == agenda_id:
            return deployment
    return None
