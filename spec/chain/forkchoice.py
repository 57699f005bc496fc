"""Fork choice and finality (protocol steps "FORK-*").

* **FORK-1** among the known valid chain tips, a node follows the one with the most cumulative
  work (POW-3); between equal work the tip with the smaller block hash wins, so every node with the
  same block index makes the same choice.
* **FORK-2** a *finalized* block is never reorganised: only tips that descend from the newest
  finalized block are eligible, and a switch to a chain that does not contain it is rejected
  (``FORK_FINALITY_VIOLATION``) however much work it has.
* **FORK-3** a block is finalized by a *finality certificate*: the quorum's threshold BLS
  signature (spec/crypto/threshold.py) over ``H(FINALITY, height u64 || block hash)``, verified
  under the quorum's group public key. Which quorum signs which height is the masternode flow's
  rule; this module only checks a certificate against the key it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from spec.crypto import bls
from spec.encoding import BYTES32, BYTES96, U64, Codec, Struct, decode, encode
from spec.errors import FinalityViolation
from spec.hashing import HashDomain, tagged_hash_many


@dataclass(frozen=True)
class BlockIndexEntry:
    """What fork choice knows of a block: its parent, height and the cumulative work up to it."""

    block_hash: bytes
    parent_hash: bytes
    height: int
    cumulative_work: int


BlockIndex = Mapping[bytes, BlockIndexEntry]


def is_ancestor(index: BlockIndex, ancestor: bytes, descendant: bytes) -> bool:
    """Whether ``ancestor`` is ``descendant`` or one of its ancestors in ``index``."""
    target = index.get(ancestor)
    current = index.get(descendant)
    if target is None:
        return False
    while current is not None and current.height > target.height:
        current = index.get(current.parent_hash)
    return current is not None and current.block_hash == ancestor


def eligible_tips(index: BlockIndex, tips: Iterable[bytes], finalized: bytes | None) -> list[bytes]:
    """FORK-2: the tips that contain the finalized block (all tips if none is finalized)."""
    return [t for t in tips if t in index and (finalized is None or is_ancestor(index, finalized, t))]


def choose_tip(index: BlockIndex, tips: Iterable[bytes], finalized: bytes | None) -> bytes | None:
    """FORK-1/2: the best eligible tip, or ``None`` if no tip is eligible."""
    candidates = eligible_tips(index, tips, finalized)
    if not candidates:
        return None
    return min(candidates, key=lambda t: (-index[t].cumulative_work, t))


def check_reorganisation(index: BlockIndex, new_tip: bytes, finalized: bytes | None) -> None:
    """FORK-2: raise unless switching to ``new_tip`` keeps the finalized block."""
    if finalized is not None and not is_ancestor(index, finalized, new_tip):
        raise FinalityViolation(
            f"tip {new_tip.hex()[:16]} does not contain finalized block {finalized.hex()[:16]}"
        )


def finality_message(height: int, block_hash: bytes) -> bytes:
    """FORK-3: the message a quorum signs to finalize ``block_hash`` at ``height``."""
    return tagged_hash_many(HashDomain.FINALITY, (height.to_bytes(8, "little"), block_hash))


@dataclass(frozen=True)
class FinalityCertificate:
    """FORK-3: a quorum's threshold signature finalizing one block."""

    height: int
    block_hash: bytes
    signature: bytes


FINALITY_CERTIFICATE_CODEC: Codec[FinalityCertificate] = Struct(
    FinalityCertificate, [("height", U64), ("block_hash", BYTES32), ("signature", BYTES96)]
)
"""ENC of a finality certificate: ``u64 height || bytes32 block_hash || bytes96 signature`` (136 bytes)."""


def encode_finality_certificate(certificate: FinalityCertificate) -> bytes:
    """ENC: the canonical encoding of a finality certificate (how it travels and is stored)."""
    return encode(FINALITY_CERTIFICATE_CODEC, certificate)


def decode_finality_certificate(data: bytes) -> FinalityCertificate:
    """ENC-1..4: decode one finality certificate (the signature's G2 validity is FORK-3's business)."""
    return decode(FINALITY_CERTIFICATE_CODEC, data)


def verify_finality_certificate(certificate: FinalityCertificate, quorum_public_key: bytes) -> bool:
    """FORK-3: whether the certificate's signature verifies under the quorum's group key."""
    message = finality_message(certificate.height, certificate.block_hash)
    return bls.verify(quorum_public_key, message, certificate.signature)


def newest_finalized(
    index: BlockIndex,
    certificates: Iterable[FinalityCertificate],
    quorum_public_key: Callable[[int], bytes | None],
    previous: bytes | None = None,
) -> bytes | None:
    """FORK-2/3: the block fork choice must keep, given the certificates a node has received.

    A certificate counts when its block is in ``index`` at the certified height and its signature
    verifies under ``quorum_public_key(height)`` (the key of the quorum responsible for that height;
    ``None``: no quorum). Finality only moves forward: the result is the highest counted block that
    descends from ``previous`` (the block finalized before), or ``previous`` when none does.

    The result does not depend on the order of ``certificates``: of two counted certificates at
    the highest height (two blocks certified at one height: only a quorum that signs twice makes
    them), the one with the smaller block hash (bytewise) wins. A certificate at the height of
    ``previous`` never replaces it (finality never moves sideways).
    """
    best = previous
    best_height = index[previous].height if previous is not None and previous in index else -1
    from_certificate = False
    for certificate in certificates:
        entry = index.get(certificate.block_hash)
        if entry is None or entry.height != certificate.height or certificate.height < best_height:
            continue
        if certificate.height == best_height and (
            not from_certificate or best is None or certificate.block_hash >= best
        ):
            continue
        key = quorum_public_key(certificate.height)
        if key is None or not verify_finality_certificate(certificate, key):
            continue
        if previous is not None and not is_ancestor(index, previous, certificate.block_hash):
            continue
        best, best_height, from_certificate = certificate.block_hash, certificate.height, True
    return best
