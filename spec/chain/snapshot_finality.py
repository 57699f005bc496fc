"""Finality of a state snapshot for fast sync (protocol step "SNAP-9").

A fast-syncing node starts from the state after a block it did not execute (P2P-SYNC-4), so that
block must be *finalized*: never to be reorganised away (FORK-2). SNAP-5..8
(spec/ledger/state_snapshot.py) prove that the snapshot's items are the state the header at its
height commits to; SNAP-9 proves that the block is final, with a finality certificate (FORK-3)
that travels with the manifest (``SnapshotManifests``, P2P-SNAP) and is checked against the
finality key committed in those same verified items.

* **SNAP-9** a snapshot of block ``B`` at height ``h`` (its manifest), offered with a finality
  certificate ``C`` and checked against the validated header chain (``hashes``, the block hashes
  by height), and ``items``, the snapshot's committed items already verified against the state
  root of the header of ``B`` (SNAP-8). Checks, in order, first failure reported:

  1. the header chain holds ``B`` at ``h`` (SNAP-6 already checked it;
     ``SNAPSHOT_STATE_ROOT_MISMATCH``);
  2. ``C.height >= h`` and the header chain holds ``C.block_hash`` at ``C.height``: ``C``
     certifies ``B`` or a descendant of ``B`` on the chain (a finalized block's ancestors are
     final too, FORK-2) (``SNAPSHOT_CERTIFICATE_MISMATCH``);
  3. the key: the finality quorum in charge of ``C.height`` (FIN-2, ``finality_quorum_height``)
     has a record in ``items`` (STATE-2 key ``0x08 || base u64 BE``) with a committed group key
     (FIN-5): the key the state after ``B`` commits to (``SNAPSHOT_NO_FINALITY_KEY``; a record that
     does not decode is ``DECODE_*``, one under another base height's key
     ``STATE_ITEM_BAD_KEY``);
  4. ``C`` verifies under that key (FORK-3, ``SNAPSHOT_BAD_CERTIFICATE``, also for a signature
     that is not a valid G2 encoding).

  Why this is the key fork choice would use: a quorum's record is written once at its base height
  and its key once by its commitment (FIN-5/6, ``MN_DUPLICATE_COMMITMENT``), so the key the state
  after ``B`` holds for a quorum is the key every later state of that chain holds. What it trusts:
  the items are authenticated by the state root of a header on the best *header* chain (proof of
  work); the certificate adds that a threshold of the quorum that chain committed signed ``B`` or
  a descendant. A chain whose finality keys are made up needs the work of the whole header chain
  after the commitment; checking the key's history from genesis needs the blocks (a replaying
  node does that).

  Snapshots of the UTXO set only (before fork ``state_trie``, STATE-1; :func:`commits_full_state`
  is false) commit no quorum record: SNAP-9 fails with ``SNAPSHOT_NO_FINALITY_KEY``. A node that
  takes such a snapshot anyway replays every block from genesis (P2P-SYNC-4), trusting nothing of
  it; steps 1-2 still apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from spec.chain.commitment import SINGLETON_KEYS, quorum_key, state_codecs
from spec.chain.forkchoice import FinalityCertificate, verify_finality_certificate
from spec.encoding import decode
from spec.errors import (
    SnapshotBadCertificate,
    SnapshotCertificateMismatch,
    SnapshotNoFinalityKey,
    SnapshotStateRootMismatch,
    SpecError,
    StateItemBadKey,
)
from spec.ledger.state_snapshot import StateSnapshotManifest
from spec.masternode.finality import finality_quorum_height
from spec.presets import Preset

__all__ = [
    "certifies_snapshot",
    "check_certificate_on_chain",
    "check_snapshot_finality",
    "commits_full_state",
    "snapshot_finality_key",
]


def certifies_snapshot(snapshot_height: int, certificate_height: int, chain_length: int) -> bool:
    """SNAP-9 step 2 (heights only): whether a certificate at ``certificate_height`` can certify the
    snapshot at ``snapshot_height`` on a header chain of ``chain_length`` blocks: at or above the
    snapshot, within the chain."""
    return 0 <= snapshot_height <= certificate_height < chain_length


def snapshot_finality_key(items: Mapping[bytes, bytes], height: int, preset: Preset) -> bytes:
    """SNAP-9 step 3: the finality key committed in ``items`` for certificates at ``height``."""
    base = finality_quorum_height(height, preset)
    if base is None:
        raise SnapshotNoFinalityKey(f"no finality quorum is in charge of height {height}")
    value = items.get(quorum_key(False, base))
    if value is None:
        raise SnapshotNoFinalityKey(f"the snapshot holds no record of the quorum based at {base}")
    record = decode(state_codecs(preset).quorum, value)
    if record.base_height != base:
        raise StateItemBadKey(f"the record under base {base} names base {record.base_height}")
    if record.group_public_key is None:
        raise SnapshotNoFinalityKey(f"the quorum based at {base} had committed no key by the snapshot")
    return record.group_public_key


def commits_full_state(items: Mapping[bytes, bytes]) -> bool:
    """SNAP-9: whether ``items`` are a full state (STATE-2: the four singletons are present), whose
    finality SNAP-9 can check; the items of a UTXO snapshot (STATE-1) are 36-byte outpoint keys."""
    return all(key in items for key in SINGLETON_KEYS)


def check_certificate_on_chain(
    manifest: StateSnapshotManifest, certificate: FinalityCertificate, hashes: Sequence[bytes]
) -> None:
    """SNAP-9 steps 1-2 (before the items are there): the header chain ``hashes`` holds the snapshot's
    block and the certificate's block at or above it."""
    height = manifest.height
    if height >= len(hashes) or hashes[height] != manifest.block_hash:
        raise SnapshotStateRootMismatch(f"the header chain does not hold the snapshot's block at {height}")
    if (
        not certifies_snapshot(height, certificate.height, len(hashes))
        or hashes[certificate.height] != certificate.block_hash
    ):
        raise SnapshotCertificateMismatch(
            f"the certificate at height {certificate.height} is not for the snapshot's block at "
            f"{height} or a descendant on the header chain"
        )


def check_snapshot_finality(
    manifest: StateSnapshotManifest,
    certificate: FinalityCertificate,
    hashes: Sequence[bytes],
    items: Mapping[bytes, bytes],
    preset: Preset,
) -> None:
    """SNAP-9: raise unless ``certificate`` finalizes the snapshot's block (see the module docstring).

    ``hashes`` are the validated header chain's block hashes by height; ``items`` the snapshot's
    committed items, verified against the header's state root (SNAP-8).
    """
    check_certificate_on_chain(manifest, certificate, hashes)
    key = snapshot_finality_key(items, certificate.height, preset)
    try:
        valid = verify_finality_certificate(certificate, key)
    except SpecError:
        valid = False
    if not valid:
        raise SnapshotBadCertificate("the certificate does not verify under the committed finality key")
