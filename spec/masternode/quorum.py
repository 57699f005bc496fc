"""Deterministic quorum selection (protocol steps "QUORUM-*").

A *quorum* is a small committee of active masternodes that runs a DKG (spec/masternode/dkg.py) and
then signs with one threshold BLS key: finality certificates (FORK-3) and proof-of-service
penalties (MN-6). Each *quorum type* has a size ``n`` and a rotation interval from the preset.

* **QUORUM-1 base** for a type with interval ``I``, the quorum selected at height ``h`` is based on
  the block at ``quorum_base_height(h, I) = h - h % I`` and uses the masternode list after that
  block and that block's hash. It runs its DKG (DKG-2, ``D`` blocks) from its base, so the quorum
  *in charge* at ``h`` -- whose signatures the block at ``h`` may carry or that certifies it -- is
  the newest one whose DKG has ended: based at ``quorum_in_charge_height(h, I, D) =
  quorum_base_height(h - D, I)``, none while ``h < D`` (PoSe penalties, MN-6; finality, FIN-2).
  (An earlier rule named the last multiple below ``h``, whose key only exists from ``b + 20``: a
  PoSe quorum could then penalise in ``I - 20`` blocks of its ``I``-block term at most.)
* **QUORUM-2 selection** every ACTIVE masternode scores
  ``H(QUORUM_SELECTION, base_block_hash || type u8 || txid || index u32)`` read as a 256-bit
  big-endian integer; the ``n`` lowest scores are the members, in ascending score order (ties,
  which need a BLAKE3 collision, go to the lower outpoint). With fewer than ``n`` active masternodes
  all of them are members; with fewer than ``min_quorum_members`` no quorum forms
  (``MN_QUORUM_TOO_SMALL``). Members get the 1-based indices ``1..n`` in that order: their Shamir
  share indices in the DKG (THRESHOLD-3).
* **QUORUM-3 threshold** ``t = (2n + 2) // 3 = ceil(2n / 3)`` signers (upstream's formula), so
  ``2n/3 <= t < 2n/3 + 1`` and ``1 <= t <= n`` for ``n >= 1``.

No floating point anywhere: upstream weighted members by an f32 score and sampled with ChaCha8,
whose rounding differs across platforms and whose weight total was never updated after a pick;
hash ranks are exact, unbiased and checkable by anyone holding the list and one block hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from spec.errors import QuorumTooSmall, UnknownQuorumType
from spec.hashing import HashDomain, tagged_hash_many
from spec.ledger.transaction import OutPoint
from spec.masternode.registry import (
    MasternodeList,
    pose_quorum_height,
    quorum_base_height,
    quorum_in_charge_height,
)
from spec.presets import Preset

__all__ = [
    "Quorum",
    "QuorumMember",
    "QuorumType",
    "member_score",
    "pose_quorum_height",
    "quorum_base_height",
    "quorum_in_charge_height",
    "quorum_interval",
    "quorum_size",
    "quorum_threshold",
    "quorum_type",
    "select_quorum",
]


class QuorumType(IntEnum):
    """QUORUM-2: the protocol's quorum types (the byte hashed into every member score)."""

    FINALITY = 1
    POSE = 2


def quorum_type(value: int) -> QuorumType:
    """QUORUM-2: the quorum type numbered ``value``; raise ``MN_UNKNOWN_QUORUM_TYPE`` otherwise."""
    try:
        return QuorumType(value)
    except ValueError:
        raise UnknownQuorumType(f"no quorum type {value}") from None


def quorum_size(kind: QuorumType, preset: Preset) -> int:
    """QUORUM-2: the preset size ``n`` of a quorum type."""
    params = preset.masternodes
    return params.finality_quorum_size if kind is QuorumType.FINALITY else params.pose_quorum_size


def quorum_interval(kind: QuorumType, preset: Preset) -> int:
    """QUORUM-1: the preset rotation interval of a quorum type, in blocks."""
    params = preset.masternodes
    return params.finality_quorum_interval if kind is QuorumType.FINALITY else params.pose_quorum_interval


def quorum_threshold(members: int) -> int:
    """QUORUM-3: ``(2n + 2) // 3`` signers of ``n`` members."""
    return (2 * members + 2) // 3


def member_score(base_block_hash: bytes, kind: QuorumType, collateral: OutPoint) -> int:
    """QUORUM-2: a masternode's 256-bit score for one quorum (lower is selected first)."""
    digest = tagged_hash_many(
        HashDomain.QUORUM_SELECTION,
        (base_block_hash, bytes([kind]), collateral.txid, collateral.index.to_bytes(4, "little")),
    )
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class QuorumMember:
    """QUORUM-2: a member, its 1-based index (its DKG share index) and its operator key."""

    index: int
    collateral: OutPoint
    operator_public_key: bytes


@dataclass(frozen=True)
class Quorum:
    """QUORUM-2/3: the members of one quorum, in index order, and its signing threshold."""

    kind: QuorumType
    base_block_hash: bytes
    members: tuple[QuorumMember, ...]
    threshold: int


def select_quorum(
    mn_list: MasternodeList, kind: QuorumType, base_block_hash: bytes, preset: Preset
) -> Quorum:
    """QUORUM-2/3: the quorum of type ``kind`` based on the block ``base_block_hash``.

    ``mn_list`` is the masternode list after that base block (QUORUM-1).
    """
    active = mn_list.active()
    if len(active) < preset.masternodes.min_quorum_members:
        raise QuorumTooSmall(
            f"{len(active)} active masternodes, need {preset.masternodes.min_quorum_members}"
        )
    ranked = sorted(active, key=lambda e: (member_score(base_block_hash, kind, e.collateral), e.collateral))
    chosen = ranked[: quorum_size(kind, preset)]
    members = tuple(
        QuorumMember(index, entry.collateral, entry.operator_public_key)
        for index, entry in enumerate(chosen, start=1)
    )
    return Quorum(kind, base_block_hash, members, quorum_threshold(len(members)))
