"""PEP 316 contracts on the pure decisions of slashing (``crosshair check --analysis_kind=PEP316``).

Each function wraps a helper of ``spec/masternode/slashing.py``; its ``post:`` lines must hold for
every input meeting its ``pre:`` lines (the interval and DKG phase lengths are inputs, so every
preset shape is covered). Signatures and hashes are not in scope (CrossHair cannot invert BLS or
BLAKE3); these are the integer decisions around them.

Contracts (rule references in brackets):

* term [SLASH-2, FIN-2]: double-signing evidence is in term iff the quorum it names is the one in
  charge of its height: a multiple of ``I`` whose DKG ended at or before the height while the next
  quorum's had not.
* slot [SLASH-2, DKG-5/7]: two DKG messages conflict only within one slot: same kind and dealer,
  and for justifications the same complainer; a contribution never conflicts with a justification.
* judge [POSE-2]: the PoSe quorum judging a finality DKG is in charge at the first FINALIZATION
  height of that DKG (a multiple of the PoSe interval whose DKG has ended by then, and the newest).
* burn once [SLASH-4/5]: over masternode lists of up to three entries with any statuses,
  :func:`~spec.masternode.slashing.burnt_collaterals` lists exactly the entries SLASHED now and not
  before, never an entry that was SLASHED already, and nothing between a list and itself (a
  collateral is burnt at most once).
"""

from __future__ import annotations

from dataclasses import replace

from spec.ledger.transaction import OutPoint
from spec.masternode.dkg import Contribution, Justification
from spec.masternode.finality import finality_quorum_height
from spec.masternode.pose import judging_quorum_height
from spec.masternode.registry import MasternodeEntry, MasternodeList, MasternodeStatus
from spec.masternode.slashing import burnt_collaterals, conflict_slot
from spec.presets import DEVNET, DkgParams, Preset

__all__ = ["burn_once", "burn_twice_is_nothing", "evidence_in_term", "judge_in_charge", "slot_conflict"]

STATUSES = (MasternodeStatus.ACTIVE, MasternodeStatus.POSE_BANNED, MasternodeStatus.SLASHED)


def _preset(interval: int, c: int, k: int, j: int, f: int) -> Preset:
    return replace(
        DEVNET,
        dkg=DkgParams(c, k, j, f, DEVNET.dkg.min_members),
        masternodes=replace(DEVNET.masternodes, finality_quorum_interval=interval),
    )


def evidence_in_term(height: int, quorum_height: int, interval: int, c: int, k: int, j: int, f: int) -> bool:
    """SLASH-2: the double-signing term check (``MN_EVIDENCE_OUT_OF_TERM`` when false).

    pre: 0 <= height <= 2**64 - 1 and 0 <= quorum_height <= 2**64 - 1
    pre: 1 <= interval <= 10**6
    pre: 1 <= c <= 1000 and 1 <= k <= 1000 and 1 <= j <= 1000 and 1 <= f <= 1000
    post: not __return__ or quorum_height % interval == 0
    post: not __return__ or quorum_height + c + k + j + f <= height
    post: not __return__ or height < quorum_height + c + k + j + f + interval
    post: __return__ or quorum_height % interval or not 0 <= height - quorum_height - c - k - j - f < interval
    """
    return finality_quorum_height(height, _preset(interval, c, k, j, f)) == quorum_height


def judge_in_charge(
    multiple: int, interval: int, pose_interval: int, c: int, k: int, j: int, f: int
) -> int | None:
    """POSE-2: the judge of the finality DKG based at ``multiple * interval``.

    pre: 0 <= multiple <= 2**40
    pre: 1 <= interval <= 10**6 and 1 <= pose_interval <= 10**6
    pre: 1 <= c <= 1000 and 1 <= k <= 1000 and 1 <= j <= 1000 and 1 <= f <= 1000
    post: __return__ is None or __return__ % pose_interval == 0
    post: __return__ is None or __return__ + c + k + j + f <= multiple * interval + c + k + j
    post: __return__ is None or multiple * interval + c + k + j < __return__ + c + k + j + f + pose_interval
    post: (__return__ is None) == (multiple * interval + c + k + j < c + k + j + f)
    """
    preset = _preset(interval, c, k, j, f)
    preset = replace(preset, masternodes=replace(preset.masternodes, pose_quorum_interval=pose_interval))
    return judging_quorum_height(multiple * interval, preset)


def _message(kind: int, dealer: int, complainer: int) -> Contribution | Justification:
    if kind == 1:
        return Contribution(bytes(32), dealer, (), (), bytes(96))
    return Justification(bytes(32), dealer, complainer, bytes(32), bytes(96))


def slot_conflict(
    kind: int, dealer: int, complainer: int, kind2: int, dealer2: int, complainer2: int
) -> bool:
    """SLASH-2: whether two DKG messages fill one slot (they conflict iff their content differs).

    pre: kind in (1, 3) and kind2 in (1, 3)
    pre: 0 <= dealer <= 65535 and 0 <= dealer2 <= 65535
    pre: 0 <= complainer <= 65535 and 0 <= complainer2 <= 65535
    post: __return__ == (kind == kind2 and dealer == dealer2 and (kind == 1 or complainer == complainer2))
    """
    return conflict_slot(_message(kind, dealer, complainer)) == conflict_slot(
        _message(kind2, dealer2, complainer2)
    )


def _list(statuses: list[int]) -> MasternodeList:
    entries = {}
    for index, status in enumerate(statuses):
        outpoint = OutPoint(bytes(32), index)
        entries[outpoint] = MasternodeEntry(
            outpoint, bytes(48), bytes(32), b"", bytes(16), 1, STATUSES[status], 0, 0, None, None
        )
    return MasternodeList(entries)


def burn_once(before: list[int], after: list[int]) -> tuple[int, ...]:
    """SLASH-4/5: the indices a block burns, given the statuses before and after its evidence.

    pre: len(before) == len(after) <= 3
    pre: all(0 <= s <= 2 for s in before) and all(0 <= s <= 2 for s in after)
    post: all(after[i] == 2 and before[i] != 2 for i in __return__)
    post: len(__return__) == sum(1 for a, b in zip(before, after) if b == 2 and a != 2)
    """
    return tuple(o.index for o in burnt_collaterals(_list(before), _list(after)))


def burn_twice_is_nothing(statuses: list[int]) -> tuple[int, ...]:
    """SLASH-5: nothing is burnt between a list and itself.

    pre: len(statuses) <= 3
    pre: all(0 <= s <= 2 for s in statuses)
    post: __return__ == ()
    """
    return tuple(o.index for o in burnt_collaterals(_list(statuses), _list(statuses)))
