"""Which finality quorum runs which DKG, which quorum certifies which height, and when a member may
sign (protocol steps "FIN-*").

The pieces exist elsewhere: quorum selection (QUORUM-*, spec/masternode/quorum.py), the DKG state
machine (DKG-*, spec/masternode/dkg.py), signing sessions (SIGN-*, spec/masternode/signing.py) and
the certificate check in fork choice (FORK-2/3, spec/chain/forkchoice.py). This module is the
schedule that ties them to block heights, so that every node with the same best chain asks the
same quorum for the same key.

With ``I = masternodes.finality_quorum_interval`` and ``D`` the length of a DKG session in blocks
(the sum of the preset's ``dkg.*_blocks``):

* **FIN-1 (sessions)** at every height ``b`` that is a multiple of ``I`` a FINALITY quorum is
  selected (QUORUM-2) from the masternode list after block ``b``, based on block ``b``'s hash. It
  runs one DKG session (DKG-1) with ``quorum_hash`` = that hash, ``start_height = b``, the quorum's
  threshold (QUORUM-3) and its members' operator keys in quorum order, so member ``j`` of the quorum
  is DKG member ``j``. :func:`finality_dkg_session` raises ``MN_QUORUM_TOO_SMALL`` when too few
  masternodes are active, ``DKG_INVALID_PARAMETERS`` when ``b`` is not a multiple of ``I`` or the
  quorum breaks DKG-1 (fewer than ``dkg.min_members``); then that quorum does not exist.
* **FIN-2 (responsibility)** the block at height ``h`` is certified by the quorum based at
  ``finality_quorum_height(h) = quorum_base_height(h - D, I)`` (the newest quorum whose DKG ended at
  or before ``h``), and by no quorum when ``h < D``. A certificate (FORK-3) for height ``h`` counts
  only under that quorum's group public key; a quorum that does not exist, or whose DKG failed
  (DKG-8), certifies nothing, and those heights are simply not finalized.
* **FIN-3 (member rule)** a member signs the finality message (SIGN-4) of at most one block per
  height, and of increasing heights only: it may sign height ``h`` iff it has signed no height
  ``>= h`` before (:func:`may_sign_finality`). It signs the block its best chain holds at ``h``.
  With ``t = ceil(2n/3)`` we have ``2t > n``, so two certificates for different blocks at one height
  need ``2t - n >= 1`` members to break FIN-3: honest quorums never certify conflicting blocks.
* **FIN-4 (relay)** certificates, signature shares and DKG messages travel as P2P messages
  (spec/p2p/messages.py); a node adopts the block :func:`spec.chain.forkchoice.newest_finalized`
  returns for the certificates it holds, with :func:`finality_quorum_height` choosing the key.

The reference node (reference/quorum.py) is the member side of these rules over the network.
"""

from __future__ import annotations

from spec.errors import DkgInvalidParameters
from spec.masternode.dkg import DkgSession, session_end_height, start_session
from spec.masternode.quorum import QuorumType, quorum_base_height, select_quorum
from spec.masternode.registry import MasternodeList
from spec.presets import Preset

__all__ = [
    "dkg_length",
    "finality_dkg_session",
    "finality_quorum_height",
    "is_finality_quorum_base",
    "may_sign_finality",
    "member_index",
]


def dkg_length(preset: Preset) -> int:
    """FIN-2's ``D``: the blocks one DKG session lasts (DKG-2, all four phases)."""
    return session_end_height(0, preset.dkg)


def is_finality_quorum_base(height: int, preset: Preset) -> bool:
    """FIN-1: whether a finality quorum is selected (and starts its DKG) at ``height``."""
    return height >= 0 and height % preset.masternodes.finality_quorum_interval == 0


def finality_dkg_session(
    mn_list: MasternodeList, base_block_hash: bytes, base_height: int, preset: Preset
) -> DkgSession:
    """FIN-1: the DKG session of the finality quorum based at ``base_height``.

    ``mn_list`` is the masternode list after the base block and ``base_block_hash`` its hash.
    """
    if not is_finality_quorum_base(base_height, preset):
        raise DkgInvalidParameters(f"height {base_height} is not a finality quorum base height")
    quorum = select_quorum(mn_list, QuorumType.FINALITY, base_block_hash, preset)
    keys = [member.operator_public_key for member in quorum.members]
    return start_session(keys, quorum.threshold, base_block_hash, base_height, preset)


def finality_quorum_height(height: int, preset: Preset) -> int | None:
    """FIN-2: the base height of the quorum that certifies the block at ``height`` (``None``: none)."""
    offset = height - dkg_length(preset)
    if offset < 0:
        return None
    return quorum_base_height(offset, preset.masternodes.finality_quorum_interval)


def may_sign_finality(last_signed_height: int | None, height: int) -> bool:
    """FIN-3: whether a member that last signed ``last_signed_height`` (``None``: never) may sign ``height``.

    Signing at most once per height, increasing, is what makes conflicting certificates impossible.
    """
    return last_signed_height is None or height > last_signed_height


def member_index(session: DkgSession, operator_public_key: bytes) -> int | None:
    """FIN-1: the 1-based DKG member index of the operator key in the session, or ``None``."""
    for index, key in enumerate(session.members, start=1):
        if key == operator_public_key:
            return index
    return None
