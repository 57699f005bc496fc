"""SNAP-9: a snapshot's block is finalized by a certificate under the key its own verified items commit.

Properties (docs/ledger.md#state-snapshots-for-fast-sync-snap-58):

* **safety** a certificate passes only when it is the quorum's signature over the finality message
  of a block the header chain holds at or above the snapshot's height, and the snapshot's items
  hold that quorum's committed key (any other height, block, signer or key state is rejected with
  its code);
* **liveness** every honest certificate of the snapshot's block or of a descendant in the quorum's
  term passes;
* **robustness** arbitrary certificates and record bytes raise only ``SpecError`` subclasses.

Plus the fast-sync client's use of it on a real chain (reference/snapshots.py, no network): an
announcer whose certificate fails is scored, a snapshot no certificate finalizes is not taken and
the next candidate is.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.quorumtriechain import QuorumTrieChain, state_trie_quorum_chain
from conformance.snapshotfinality import finality_fixture, other_secret
from reference.snapshots import FastSync
from spec.chain.block import block_hash
from spec.chain.commitment import compute_committed_items, quorum_key
from spec.chain.forkchoice import FinalityCertificate, finality_message
from spec.chain.snapshot_finality import (
    certifies_snapshot,
    check_snapshot_finality,
    commits_full_state,
    snapshot_finality_key,
)
from spec.chain.state import tip_state_layout
from spec.crypto import bls
from spec.errors import (
    SnapshotBadCertificate,
    SnapshotCertificateMismatch,
    SnapshotNoFinalityKey,
    SnapshotStateRootMismatch,
    SpecError,
    StateItemBadKey,
)
from spec.ledger.state_snapshot import StateSnapshotManifest, make_state_snapshot, state_chunk_proof
from spec.p2p.messages import CertifiedManifest, SnapshotChunkMessage, SnapshotManifests
from spec.presets import DEVNET, MAINNET, Preset
from tests.hypothesis_profiles import examples

FIXTURE = finality_fixture(DEVNET)
OTHER = other_secret("tests")


@pytest.fixture(scope="module")
def quorum_chain() -> QuorumTrieChain:
    return state_trie_quorum_chain(DEVNET, 60)


@pytest.mark.parametrize("preset", [DEVNET, MAINNET], ids=lambda p: p.name)
def test_the_certificate_of_the_block_or_a_descendant_passes(preset: Preset) -> None:
    fixture = finality_fixture(preset)
    for height in range(fixture.height, len(fixture.hashes)):
        certificate = fixture.certificate(height)
        check_snapshot_finality(fixture.manifest, certificate, fixture.hashes, fixture.items(), preset)
    assert snapshot_finality_key(fixture.items(), fixture.height, preset) == fixture.public_key


def test_each_failure_has_its_code() -> None:
    f, h = FIXTURE, FIXTURE.height
    cases: list[tuple[StateSnapshotManifest, FinalityCertificate, dict[bytes, bytes], type[SpecError]]] = [
        (f.manifest, f.certificate(h - 1), f.items(), SnapshotCertificateMismatch),
        (
            f.manifest,
            replace(f.certificate(h), block_hash=f.hashes[h + 1]),
            f.items(),
            SnapshotCertificateMismatch,
        ),
        (f.manifest, replace(f.certificate(h), height=len(f.hashes)), f.items(), SnapshotCertificateMismatch),
        (replace(f.manifest, block_hash=bytes(32)), f.certificate(h), f.items(), SnapshotStateRootMismatch),
        (f.manifest, f.certificate(h), {}, SnapshotNoFinalityKey),
        (f.manifest, f.certificate(h), f.items(f.uncommitted()), SnapshotNoFinalityKey),
        (f.manifest, f.certificate(h), f.items(base=f.record.base_height + 1), SnapshotNoFinalityKey),
        (
            f.manifest,
            f.certificate(h),
            f.items(replace(f.record, base_height=f.record.base_height + 1), base=f.record.base_height),
            StateItemBadKey,
        ),
        (f.manifest, f.certificate(h, OTHER), f.items(), SnapshotBadCertificate),
        (f.manifest, replace(f.certificate(h), signature=bytes(96)), f.items(), SnapshotBadCertificate),
        (
            f.manifest,
            replace(f.certificate(h), height=h + 1, block_hash=f.hashes[h + 1]),
            f.items(),
            SnapshotBadCertificate,
        ),
    ]
    for manifest, certificate, items, error in cases:
        with pytest.raises(error):
            check_snapshot_finality(manifest, certificate, f.hashes, items, DEVNET)


def test_no_quorum_certifies_heights_before_the_first_dkg_ends() -> None:
    early = replace(FIXTURE.manifest, height=1, block_hash=FIXTURE.hashes[1])
    with pytest.raises(SnapshotNoFinalityKey):
        check_snapshot_finality(early, FIXTURE.certificate(1), FIXTURE.hashes, FIXTURE.items(), DEVNET)


def test_only_full_states_commit_a_finality_key(quorum_chain: QuorumTrieChain) -> None:
    assert not commits_full_state(FIXTURE.items())
    assert not commits_full_state({bytes(36): b"\x01"})  # a STATE-1 UTXO item
    state = quorum_chain.builder.states[51]
    assert commits_full_state(compute_committed_items(state, tip_state_layout(state, DEVNET), DEVNET))


@settings(max_examples=examples(30))
@given(
    height=st.integers(0, len(FIXTURE.hashes) + 2),
    block=st.sampled_from(["chain", "other"]),
    signer=st.sampled_from(["quorum", "other"]),
    committed=st.booleans(),
)
def test_safety_and_liveness(height: int, block: str, signer: str, committed: bool) -> None:
    """Accepted iff at or above the snapshot on the chain, signed by the quorum, key committed."""
    f = FIXTURE
    on_chain = height < len(f.hashes)
    block_id = f.hashes[height] if on_chain and block == "chain" else bytes(31) + bytes([height])
    secret = f.secret if signer == "quorum" else OTHER
    certificate = FinalityCertificate(height, block_id, bls.sign(secret, finality_message(height, block_id)))
    items = f.items() if committed else f.items(f.uncommitted())
    expected = (
        certifies_snapshot(f.height, height, len(f.hashes))
        and block == "chain"
        and signer == "quorum"
        and committed
    )
    try:
        check_snapshot_finality(f.manifest, certificate, f.hashes, items, DEVNET)
        accepted = True
    except SpecError:
        accepted = False
    assert accepted == expected


@settings(max_examples=examples(60))
@given(
    height=st.integers(0, 2**64 - 1),
    block=st.binary(min_size=32, max_size=32),
    signature=st.binary(min_size=96, max_size=96),
    value=st.binary(max_size=200),
)
def test_robustness(height: int, block: bytes, signature: bytes, value: bytes) -> None:
    """Arbitrary certificates and record bytes raise only SpecError."""
    items = {quorum_key(False, FIXTURE.record.base_height): value}
    for chosen in (items, FIXTURE.items()):
        with contextlib.suppress(SpecError):
            check_snapshot_finality(
                FIXTURE.manifest,
                FinalityCertificate(height, block, signature),
                FIXTURE.hashes,
                chosen,
                DEVNET,
            )


# ------------------------------------------------------------------ the client, without a network


def test_the_client_takes_only_a_snapshot_a_certificate_finalizes(quorum_chain: QuorumTrieChain) -> None:
    """Snapshots at 57 (only a forger announces it, with a certificate of another key) and 54 (the
    forger and an honest peer with the quorum's certificate of 55): 57 is fetched, assembled,
    not taken (the forger scored); 54 is taken on the honest certificate, the forger scored again."""
    chain = list(quorum_chain.blocks)
    hashes = [block_hash(b.header, DEVNET) for b in chain]
    snapshots = {}
    for height in (54, 57):
        state = quorum_chain.builder.states[height + 1]
        items = compute_committed_items(state, tip_state_layout(state, DEVNET), DEVNET)
        snapshots[height] = (items, *make_state_snapshot(items, hashes[height], height, DEVNET))
    honest = quorum_chain.certificate(55)

    def forged(height: int) -> FinalityCertificate:
        return FinalityCertificate(
            height, hashes[height], bls.sign(OTHER, finality_message(height, hashes[height]))
        )

    fast_sync = FastSync(DEVNET)
    fast_sync.set_header_chain([b.header for b in chain], hashes)
    forger_answer = SnapshotManifests(tuple(CertifiedManifest(snapshots[h][1], forged(h)) for h in (57, 54)))
    assert fast_sync.on_manifests("forger", forger_answer).punish == ()  # steps 1-2 hold
    assert (
        fast_sync.on_manifests(
            "honest", SnapshotManifests((CertifiedManifest(snapshots[54][1], honest),))
        ).punish
        == ()
    )
    verdicts = []
    for height in (57, 54):
        _, manifest, chunks = snapshots[height]
        assert fast_sync.choose() == manifest
        while not fast_sync.done and fast_sync.choose() == manifest:
            for peer, request in fast_sync.requests({"forger": None, "honest": None}, force=True):
                answer = SnapshotChunkMessage(
                    request.block_hash,
                    request.chunk_root,
                    request.index,
                    chunks[request.index],
                    state_chunk_proof(chunks, request.index),
                )
                verdicts.append(fast_sync.on_chunk(peer, answer))
    assert [v.punish for v in verdicts if v.punish] == [("forger",), ("forger",)]
    assert fast_sync.unfinalized == {(hashes[57], snapshots[57][1].chunk_root)}
    assert fast_sync.done and fast_sync.manifest == snapshots[54][1] and fast_sync.items == snapshots[54][0]
    assert fast_sync.certificate == honest and fast_sync.bad_certificates == 2
