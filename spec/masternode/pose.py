"""Proof-of-service verdicts and penalty signing by the PoSe quorum (protocol steps "POSE-*").

MN-6 (spec/masternode/registry.py) says what the chain accepts: a penalty threshold-signed by the
PoSe quorum in charge, under the key its members committed (FIN-7). This module says when the
quorum's members sign one. The *challenge* is the finality protocol itself: a masternode's service
is to take part in the finality quorums it is drawn into, and every node that followed a finality
DKG sees the same public outcome (DKG-8), so the verdict needs no extra messages.

* **POSE-1 (verdict)** a member of a finality quorum failed service in that quorum's DKG iff DKG-8
  excluded it as MISSING (no contribution), BAD_JUSTIFICATION or UNANSWERED_COMPLAINT
  (:func:`service_failures`); EQUIVOCATION is proven misbehaviour and slashed instead (SLASH-*).
* **POSE-2 (judge)** the PoSe quorum that judges the finality DKG based at ``b`` is the one in
  charge when that DKG enters FINALIZATION: ``pose_quorum_height(b + c + k + j)``
  (:func:`judging_quorum_height`; ``None`` when none is in charge yet).
* **POSE-3 (penalty)** each member of the judging PoSe quorum that reached the same verdict signs a
  SIGN-2 share of ``penalty_message(masternode, judge)`` with its PoSe DKG secret share, in the
  signing session :func:`penalty_session` (quorum id = the PoSe DKG session id); ``t`` shares
  recover the quorum's signature (SIGN-3) and :func:`penalty_from_session` gives the
  :class:`~spec.masternode.registry.PoSePenalty` that MN-6 accepts in the judge's term. Shares
  travel as ordinary signature shares (P2P-5 SIGNATURE_SHARE).
"""

from __future__ import annotations

from collections.abc import Sequence

from spec.crypto.threshold import Share
from spec.errors import InsufficientShares, SignWrongSession
from spec.ledger.transaction import OutPoint
from spec.masternode.dkg import DkgPhase, DkgResult, Exclusion, phase_start_height
from spec.masternode.registry import PoSePenalty, penalty_message, pose_quorum_height
from spec.masternode.signing import SigningSession, start_signing, try_recover
from spec.presets import Preset

__all__ = [
    "FAILING_EXCLUSIONS",
    "judging_quorum_height",
    "penalty_from_session",
    "penalty_session",
    "service_failures",
]

FAILING_EXCLUSIONS = frozenset(
    {Exclusion.MISSING, Exclusion.BAD_JUSTIFICATION, Exclusion.UNANSWERED_COMPLAINT}
)
"""POSE-1: the DKG-8 exclusion reasons that count as failed service."""


def service_failures(result: DkgResult) -> tuple[int, ...]:
    """POSE-1: the member indices a finality DKG excluded for failed service, ascending."""
    return tuple(sorted(member for member, reason in result.excluded if reason in FAILING_EXCLUSIONS))


def judging_quorum_height(finality_base_height: int, preset: Preset) -> int | None:
    """POSE-2: the base height of the PoSe quorum that judges the finality DKG based at ``b``."""
    finalization = phase_start_height(finality_base_height, DkgPhase.FINALIZATION, preset.dkg)
    return pose_quorum_height(finalization, preset)


def penalty_session(
    pose_session_id: bytes,
    public_key_shares: Sequence[Share],
    threshold: int,
    masternode: OutPoint,
    quorum_height: int,
) -> SigningSession:
    """POSE-3: the PoSe quorum's signing session of the penalty of ``masternode``."""
    return start_signing(
        pose_session_id, public_key_shares, threshold, penalty_message(masternode, quorum_height)
    )


def penalty_from_session(session: SigningSession, masternode: OutPoint, quorum_height: int) -> PoSePenalty:
    """POSE-3: the penalty once ``t`` shares are in (``THRESHOLD_INSUFFICIENT_SHARES`` before;
    ``SIGN_WRONG_SESSION`` if the session signs another penalty)."""
    if session.message != penalty_message(masternode, quorum_height):
        raise SignWrongSession("the session signs another penalty")
    signature = try_recover(session)
    if signature is None:
        raise InsufficientShares(f"{len(session.shares)} shares, threshold {session.threshold}")
    return PoSePenalty(masternode, quorum_height, signature)
