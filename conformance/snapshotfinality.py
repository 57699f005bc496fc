"""A deterministic SNAP-9 setting (spec/chain/snapshot_finality.py) for vectors, tests and fuzzing.

A seeded header chain (block hashes by height), a snapshot manifest of its block at
:attr:`FinalityFixture.height` (the first height certified by the first finality quorum after its
DKG, plus one), and the snapshot's committed items as far as SNAP-9 reads them: the record of the
finality quorum based at ``I`` (``finality_quorum_interval``) with a committed group key. The key is
a plain BLS key standing in for the quorum's threshold key (FORK-3 verifies a threshold signature
like any other). :meth:`FinalityFixture.certificate` signs the finality message of a height.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from conformance.seeded import seeded_bytes
from spec.chain.commitment import quorum_key, state_codecs
from spec.chain.forkchoice import FinalityCertificate, finality_message
from spec.crypto import bls
from spec.encoding import encode
from spec.ledger.state_snapshot import StateSnapshotManifest
from spec.masternode.finality import QuorumRecord, dkg_length
from spec.presets import Preset

LABEL = "snapshot-finality"


@dataclass(frozen=True)
class FinalityFixture:
    """The SNAP-9 inputs (see the module docstring)."""

    preset: Preset
    hashes: tuple[bytes, ...]
    manifest: StateSnapshotManifest
    record: QuorumRecord
    secret: bytes

    @property
    def height(self) -> int:
        return self.manifest.height

    @property
    def public_key(self) -> bytes:
        return bls.sk_to_pk(self.secret)

    def items(self, record: QuorumRecord | None = None, base: int | None = None) -> dict[bytes, bytes]:
        """The items SNAP-9 reads: ``record`` (default the committed one) under the key of ``base``
        (default its own base height)."""
        record = self.record if record is None else record
        key = quorum_key(False, record.base_height if base is None else base)
        return {key: encode(state_codecs(self.preset).quorum, record)}

    def uncommitted(self) -> QuorumRecord:
        """The record before its commitment (no key)."""
        return replace(self.record, group_public_key=None, committed_height=None, key_shares_root=None)

    def certificate(self, height: int, secret: bytes | None = None) -> FinalityCertificate:
        """The certificate of the block at ``height`` signed with ``secret`` (default the quorum's)."""
        block = self.hashes[height]
        signature = bls.sign(self.secret if secret is None else secret, finality_message(height, block))
        return FinalityCertificate(height, block, signature)


def other_secret(label: str) -> bytes:
    """A BLS secret key that is not the quorum's."""
    return bls.key_gen(seeded_bytes(f"{LABEL}/other/{label}", 32))


@cache
def finality_fixture(preset: Preset) -> FinalityFixture:
    """The fixture under ``preset``: quorum based at ``I``, committed at ``I + D - 5``, snapshot at
    ``I + D + 1``, chain up to ``I + D + 8``."""
    base = preset.masternodes.finality_quorum_interval
    first = base + dkg_length(preset)
    hashes = tuple(seeded_bytes(f"{LABEL}/block/{h}", 32) for h in range(first + 9))
    height = first + 1
    manifest = StateSnapshotManifest(
        hashes[height],
        height,
        seeded_bytes(f"{LABEL}/state-root", 32),
        1,
        1,
        seeded_bytes(f"{LABEL}/chunk-root", 32),
    )
    secret = bls.key_gen(seeded_bytes(f"{LABEL}/group-secret", 32))
    member = bls.sk_to_pk(bls.key_gen(seeded_bytes(f"{LABEL}/member", 32)))
    record = QuorumRecord(
        base_height=base,
        base_hash=hashes[base],
        session_id=seeded_bytes(f"{LABEL}/session", 32),
        members=(member,),
        threshold=1,
        group_public_key=bls.sk_to_pk(secret),
        committed_height=first - 5,
        key_shares_root=seeded_bytes(f"{LABEL}/shares-root", 32),
    )
    return FinalityFixture(preset, hashes, manifest, record, secret)
