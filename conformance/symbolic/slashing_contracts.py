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
* penalty arithmetic [MN-5/6, POSE-8]: a penalty adds exactly ``pose_penalty`` and bans iff the
  new score exceeds the threshold; a block's decay never goes below zero nor raises a score;
  :func:`~spec.masternode.challenge.terms_to_ban` is exact (the score after that many terms exceeds
  the threshold, one term fewer does not) and ``None`` exactly when a score can never exceed it.
* deadline [POSE-4/6]: a response counts iff it arrives below ``q + D + pose_response_blocks``,
  and the challenge window lies inside the quorum's term.
* missed shares [POSE-10]: over up to four heights and quorums of up to four members, each member's
  missed count is at most the number of counted heights; a member in every height's signers
  misses none; a member in none misses exactly the counted heights (those with ``t`` signers);
  no counted height adds more than ``n - t`` misses in all.
* share window [POSE-9]: the judged heights open with the PoSe term and the verdict comes before
  the term ends (whenever ``W + g < I``, what the preset loader checks).
* burn once [SLASH-4/5]: over masternode lists of up to three entries with any statuses,
  :func:`~spec.masternode.slashing.burnt_collaterals` lists exactly the entries SLASHED now and not
  before, never an entry that was SLASHED already, and nothing between a list and itself (a
  collateral is burnt at most once).
"""

from __future__ import annotations

from dataclasses import replace

from spec.errors import PoSeResponseLate
from spec.ledger.transaction import OutPoint
from spec.masternode.challenge import challenge_window, check_response_in_time, terms_to_ban
from spec.masternode.dkg import Contribution, Justification
from spec.masternode.finality import finality_quorum_height
from spec.masternode.pose import judging_quorum_height
from spec.masternode.registry import (
    MasternodeEntry,
    MasternodeList,
    MasternodeStatus,
    decayed_score,
    penalised_score,
)
from spec.masternode.share_service import count_missed, share_window
from spec.masternode.slashing import burnt_collaterals, conflict_slot
from spec.presets import DEVNET, DkgParams, Preset

__all__ = [
    "ban_bound",
    "burn_once",
    "burn_twice_is_nothing",
    "decay_block",
    "evidence_in_term",
    "judge_in_charge",
    "missed_counts",
    "penalty_step",
    "response_counts",
    "share_window_in_term",
    "slot_conflict",
    "window_in_term",
]

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


def penalty_step(score: int, penalty: int, threshold: int) -> tuple[int, bool]:
    """MN-6: one penalty on a score.

    pre: 0 <= score <= 2**40 and 1 <= penalty <= 10**6 and 1 <= threshold <= 10**9
    post: __return__[0] == score + penalty
    post: __return__[1] == (score + penalty > threshold)
    """
    return penalised_score(score, penalty, threshold)


def decay_block(score: int, decay: int) -> int:
    """MN-5 (2): one block of decay of an ACTIVE score.

    pre: 0 <= score <= 2**40 and 1 <= decay <= 10**6
    post: 0 <= __return__ <= score
    post: __return__ == 0 or __return__ == score - decay
    """
    return decayed_score(score, decay)


def ban_bound(p: int, t: int, d: int, i: int) -> int | None:
    """POSE-8: terms of one penalty ``p`` each (``i`` blocks of decay ``d`` apart) until a silent
    masternode's score exceeds the threshold ``t``; ``s_k = p + (k - 1) * (p - d*i)`` when
    ``p > d*i``.

    pre: 1 <= p <= 1000 and 1 <= t <= 100000 and 1 <= d <= 1000 and 1 <= i <= 100000
    post: (__return__ is None) == (p <= t and p <= d * i)
    post: __return__ is None or __return__ >= 1
    post: __return__ != 1 or p > t
    post: __return__ is None or __return__ == 1 or p + (__return__ - 1) * (p - d * i) > t
    post: __return__ is None or __return__ == 1 or p + (__return__ - 2) * (p - d * i) <= t
    """
    return terms_to_ban(p, t, d, i)


def response_counts(quorum_height: int, received: int, interval: int, response_blocks: int) -> bool:
    """POSE-4/6: whether a response received at the challenger's best height ``received`` counts.

    pre: 0 <= quorum_height <= 2**40 and 0 <= received <= 2**41
    pre: 2 <= interval <= 10**6 and 1 <= response_blocks < interval
    post: __return__ == (received < quorum_height + 25 + response_blocks)
    """
    preset = _window_preset(interval, response_blocks)
    try:
        check_response_in_time(quorum_height, received, preset)
    except PoSeResponseLate:
        return False
    return True


def window_in_term(quorum_height: int, interval: int, response_blocks: int) -> tuple[int, int]:
    """POSE-4: the challenge window opens with the quorum's term and closes inside it.

    pre: 0 <= quorum_height <= 2**40
    pre: 2 <= interval <= 10**6 and 1 <= response_blocks < interval
    post: __return__[0] == quorum_height + 25
    post: __return__[0] < __return__[1] < quorum_height + 25 + interval
    """
    return challenge_window(quorum_height, _window_preset(interval, response_blocks))


def _window_preset(interval: int, response_blocks: int) -> Preset:
    """DEVNET (DKG length 25) with the PoSe interval and response window given."""
    return replace(
        DEVNET,
        masternodes=replace(
            DEVNET.masternodes, pose_quorum_interval=interval, pose_response_blocks=response_blocks
        ),
    )


def missed_counts(sets: list[list[int]], members: int, threshold: int) -> tuple[int, ...]:
    """POSE-10: the misses of each member over the heights whose signer indices are ``sets``.

    pre: 1 <= members <= 4 and 1 <= threshold <= members
    pre: len(sets) <= 4 and all(len(s) <= 5 for s in sets)
    post: len(__return__) == members
    post: all(0 <= c <= len(sets) for c in __return__)
    post: all(__return__[j - 1] == 0 for j in range(1, members + 1) if all(j in s for s in sets))
    post: all(__return__[j - 1] == _counted(sets, members, threshold) for j in _never_in(sets, members))
    post: sum(__return__) <= len(sets) * (members - threshold)
    """
    return count_missed([frozenset(s) for s in sets], members, threshold)


def _counted(sets: list[list[int]], members: int, threshold: int) -> int:
    """The heights with at least ``threshold`` signers among ``1..members`` (the model)."""
    return len([s for s in sets if len({x for x in s if 1 <= x <= members}) >= threshold])


def _never_in(sets: list[list[int]], members: int) -> list[int]:
    """The members in no height's signers."""
    return [j for j in range(1, members + 1) if all(j not in s for s in sets)]


def share_window_in_term(quorum_height: int, interval: int, window: int, grace: int) -> tuple[int, int, int]:
    """POSE-9: the judged heights open with the PoSe term; the verdict comes inside it.

    pre: 0 <= quorum_height <= 2**40
    pre: 1 <= window and 1 <= grace and window + grace < interval <= 10**6
    post: __return__[0] == quorum_height + 25
    post: __return__[0] < __return__[1] < __return__[2] < quorum_height + 25 + interval
    """
    preset = replace(
        DEVNET,
        masternodes=replace(
            DEVNET.masternodes,
            pose_quorum_interval=interval,
            finality_share_window=window,
            finality_share_grace=grace,
        ),
    )
    return share_window(quorum_height, preset)
