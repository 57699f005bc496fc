"""PoSe judges missed finality signature shares (protocol steps "POSE-9", "POSE-10").

POSE-1 judges a finality quorum's members by their part in its DKG and POSE-4..7 judge every
masternode by a liveness challenge; neither sees a member that qualified in the DKG and then does
not *sign*. A finality certificate cannot show it: it is one threshold signature (SIGN-3), whoever
the ``t`` signers were. The signature shares themselves can: each member's share (SIGN-2) travels as
a flooded P2P SIGNATURE_SHARE message (P2P-5, FIN-4), and every node that followed the finality DKG
knows each member's public key share (DKG-8), so it can tell whose share it received.

* **POSE-9 (window, observation)** the PoSe quorum based at ``q`` judges the finality shares of the
  first ``W = finality_share_window`` heights of its term, ``[q + D, q + D + W)``, and gives its
  verdict when a member's best height reaches ``verdict = q + D + W + g`` (``g =
  finality_share_grace``: shares still in flight when the window closes count;
  :func:`share_window`). The preset loader checks ``W + g < pose_quorum_interval``, so a penalty
  signed at the verdict can still be mined in the judge's term (MN-6). For each height ``h`` of
  the window a judge records the finality quorum FIN-2 names for ``h`` (the chain's
  :class:`~spec.masternode.finality.QuorumRecord` at ``finality_quorum_height(h)``) and the member
  indices whose share for ``h`` verified under their public key share (BLS-3 over the finality
  message, SIGN-4, of any block at ``h``: a member that signed another branch's block did its
  service) and reached it while its best height was below the verdict (:class:`HeightShares`).
* **POSE-10 (verdict)** a height *counts* iff its record has a committed group key (FIN-5) and at
  least ``threshold`` of its members' shares were observed (the judge saw the height finalized:
  it holds what makes the certificate); heights outside the window, whose record is not the one
  FIN-2 names, or given twice (after the first) are ignored, and so are signer indices outside
  ``1..n``. A member *missed* a counted height if its share is not among those observed
  (:func:`count_missed`); the misses are summed per operator key over the window
  (:func:`missed_shares`, a masternode in two finality quorums of the window is one key). At the
  verdict each judge member signs POSE-3's penalty share (same message and session as every other
  PoSe verdict: one penalty per quorum and masternode) for each ACTIVE masternode whose operator key
  missed more than ``finality_share_tolerance`` counted heights (:func:`share_failures`). A member
  that sends every share is never penalised; one silent for the whole window is penalised iff
  more than ``tolerance`` of the window's heights were finalized.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from spec.ledger.transaction import OutPoint
from spec.masternode.finality import QuorumRecord, dkg_length, finality_quorum_height
from spec.masternode.registry import MasternodeList, MasternodeStatus
from spec.presets import Preset

__all__ = [
    "HeightShares",
    "count_missed",
    "is_share_failure",
    "missed_shares",
    "share_failures",
    "share_window",
]


@dataclass(frozen=True)
class HeightShares:
    """POSE-9: what a judge observed of ``height``: the finality quorum FIN-2 names for it (the
    chain's record) and the member indices whose valid share for it arrived before the verdict."""

    height: int
    record: QuorumRecord
    signers: frozenset[int]


def share_window(quorum_height: int, preset: Preset) -> tuple[int, int, int]:
    """POSE-9: ``(first, end, verdict)``: the PoSe quorum based at ``quorum_height`` judges the
    finality shares of the heights ``[first, end)`` when its best height reaches ``verdict``."""
    params = preset.masternodes
    first = quorum_height + dkg_length(preset)
    end = first + params.finality_share_window
    return first, end, end + params.finality_share_grace


def count_missed(signer_sets: Sequence[Collection[int]], members: int, threshold: int) -> tuple[int, ...]:
    """POSE-10: for each member index ``1..members``, the counted heights it missed: a height (one
    set of signer indices) counts iff at least ``threshold`` of ``1..members`` signed it."""
    missed = [0] * members
    for signers in signer_sets:
        present = {s for s in signers if 1 <= s <= members}
        if len(present) < threshold:
            continue
        for index in range(members):
            if index + 1 not in present:
                missed[index] += 1
    return tuple(missed)


def is_share_failure(missed: int, preset: Preset) -> bool:
    """POSE-10: whether ``missed`` counted heights of one window earn a penalty."""
    return missed > preset.masternodes.finality_share_tolerance


def missed_shares(observed: Iterable[HeightShares], quorum_height: int, preset: Preset) -> dict[bytes, int]:
    """POSE-10: the counted heights of the window each operator key missed, by operator key (every
    member of a judged height's quorum has an entry, 0 if it missed none)."""
    first, end, _ = share_window(quorum_height, preset)
    seen: set[int] = set()
    judged: dict[QuorumRecord, list[frozenset[int]]] = {}
    for item in observed:
        if not first <= item.height < end or item.height in seen:
            continue
        seen.add(item.height)
        record = item.record
        if (
            record.group_public_key is None
            or finality_quorum_height(item.height, preset) != record.base_height
        ):
            continue
        judged.setdefault(record, []).append(item.signers)
    totals: dict[bytes, int] = {}
    for record, signer_sets in judged.items():
        counts = count_missed(signer_sets, len(record.members), record.threshold)
        for index, key in enumerate(record.members):
            totals[key] = totals.get(key, 0) + counts[index]
    return totals


def share_failures(
    mn_list: MasternodeList, observed: Iterable[HeightShares], quorum_height: int, preset: Preset
) -> tuple[OutPoint, ...]:
    """POSE-10: the ACTIVE masternodes the PoSe quorum based at ``quorum_height`` penalises for
    missed finality shares, by outpoint."""
    missed = missed_shares(observed, quorum_height, preset)
    failing = {key for key, count in missed.items() if is_share_failure(count, preset)}
    return tuple(
        sorted(  # OutPoint orders by (txid, index)
            entry.collateral
            for entry in mn_list.entries.values()
            if entry.status is MasternodeStatus.ACTIVE and entry.operator_public_key in failing
        )
    )
