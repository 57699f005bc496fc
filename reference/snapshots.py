"""State snapshots over P2P (P2P-SNAP, SNAP-5..8): serving them, and the fast-sync client.

Serving (:class:`SnapshotService`): every :data:`SNAPSHOT_INTERVAL` blocks the node takes a snapshot
of the committed items of the state after the block (the UTXO set before fork ``state_trie``, every
state item from it: :func:`spec.chain.commitment.compute_committed_items`) and stores its manifest
and chunks in SQLite (``snapshots``, ``snapshot_chunks``), keeping the newest
:data:`KEEP_SNAPSHOTS`. It serves a snapshot only while its block is on the best chain at or below
the finalized block (so a snapshot a peer fetches is never reorganised away), answering
``GetSnapshotManifests`` with those manifests, newest first, and ``GetSnapshotChunk`` with the chunk
and its inclusion proof (an empty chunk when it does not have it).

Fast sync (:class:`FastSync`, ``rusty node --fast-sync``): the node first collects the best header
chain (P2P-SYNC-3: every header checked), asks every peer for manifests at heights up to the header
tip, keeps those that match their header (SNAP-6) and whose finality certificate names a block of
the header chain at or above the snapshot's (SNAP-9 steps 1-2; a peer sending one that does not is
scored ``invalid_snapshot``), picks the highest block and, among manifests for it, the chunk root
announced by the most peers, and fetches the chunks from every peer that announced it, spread over
them and at most :data:`CHUNKS_IN_FLIGHT` at a time per peer. Each chunk is checked on arrival
(SNAP-7): a bad one scores its sender ``invalid_snapshot``, the sender is not asked again for this
snapshot, and the chunk is asked of another peer; an empty answer (the peer no longer has it) moves
it elsewhere without a score. With every chunk in, the items are assembled (SNAP-8): a state root
other than the header's means the chunk root lied, so every peer that announced it is scored and
the next candidate manifest is tried. Then finality (SNAP-9): each announcing peer's certificate is
checked against the finality key committed in the verified items; a peer whose certificate fails
is scored, and when none passes the snapshot is not taken (its block is not proven final) and the
next candidate is tried.

What is verified: the items are exactly the ones the header at the snapshot's height commits to
(its ``state_root``), that header is on the best *header* chain (proof of work, HDR-*), and, under
fork ``state_trie``, a certificate of the finality quorum whose key those items commit to finalizes
the snapshot's block or a descendant on that chain (SNAP-9, spec/chain/snapshot_finality.py). The
P2P side then rebuilds the chain state from the items (``spec.p2p.sync.snapshot_state``,
P2P-SYNC-4), installs it (``ChainStore.install_snapshot``: headers below, no bodies, as a pruned
node) and syncs only the blocks above. Before the fork the items are the UTXO set only (STATE-1):
they commit no finality key, only SNAP-9's steps 1-2 apply, and the node replays from genesis,
trusting nothing of them (docs/node.md#snapshot-fast-sync).

Serving with a certificate: the server keeps, per snapshot, whether it is a full state and its
finality quorum records (``snapshot_finality``, ``snapshot_finality_items``), and sends each manifest
with the lowest certificate it holds (``certificates``, the quorum service's) at or above the
snapshot's height on its best chain that passes SNAP-9 against those records; a full-state snapshot
without one is not served. A UTXO-only snapshot goes with the lowest such certificate unchecked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from spec.chain.block import Block, BlockHeader
from spec.chain.commitment import KIND_FINALITY_QUORUM, compute_committed_items
from spec.chain.forkchoice import (
    FinalityCertificate,
    decode_finality_certificate,
    encode_finality_certificate,
)
from spec.chain.snapshot_finality import (
    check_certificate_on_chain,
    check_snapshot_finality,
    commits_full_state,
)
from spec.chain.state import ChainState, tip_state_layout
from spec.encoding import decode, encode
from spec.errors import SnapshotError, SpecError
from spec.ledger.state_snapshot import (
    STATE_MANIFEST_CODEC,
    StateChunk,
    StateSnapshotManifest,
    assemble_state_snapshot,
    check_manifest,
    make_state_snapshot,
    state_chunk_proof,
    verify_state_chunk,
)
from spec.p2p.messages import (
    MAX_SNAPSHOT_MANIFESTS,
    CertifiedManifest,
    GetSnapshotChunk,
    GetSnapshotManifests,
    SnapshotChunkMessage,
    SnapshotManifests,
)
from spec.presets import Preset

SNAPSHOT_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    block_hash BLOB PRIMARY KEY,
    height INTEGER NOT NULL,
    manifest BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot_chunks (
    block_hash BLOB NOT NULL,
    idx INTEGER NOT NULL,
    data BLOB NOT NULL,
    proof BLOB NOT NULL,
    PRIMARY KEY (block_hash, idx)
);
CREATE TABLE IF NOT EXISTS snapshot_finality (block_hash BLOB PRIMARY KEY, full INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot_finality_items (
    block_hash BLOB NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (block_hash, key)
);
CREATE TABLE IF NOT EXISTS fast_sync (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS fast_sync_items (key BLOB PRIMARY KEY, value BLOB NOT NULL);
"""

SNAPSHOT_INTERVAL = 10
"""Node policy: a snapshot is taken after every block whose height is a multiple of this."""
KEEP_SNAPSHOTS = 3
"""Node policy: snapshots kept (the newest)."""
MANIFEST_WAIT = 2.0
"""Node policy (client): seconds to wait for every peer's manifests before fetching chunks anyway."""
CHUNK_TIMEOUT = 30.0
"""Node policy (client): seconds a peer has to answer a chunk request; after that the chunk is
asked of another peer and the silent one is not asked again for this snapshot (no score)."""
CHUNKS_IN_FLIGHT = 4
"""Node policy (client): chunks asked of one peer and not answered yet, at most."""


class SnapshotService:
    """Takes and serves state snapshots (see the module docstring)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        preset: Preset,
        finalized: Callable[[], bytes | None],
        best_hash_at: Callable[[int], bytes | None],
        interval: int = SNAPSHOT_INTERVAL,
        certificates: Callable[[], Sequence[FinalityCertificate]] = list,
        best_hashes: Callable[[], Sequence[bytes]] = list,
    ) -> None:
        self.db = db
        self.preset = preset
        self.finalized = finalized
        """The node's finalized block (FORK-2), or ``None``."""
        self.best_hash_at = best_hash_at
        self.interval = interval
        self.certificates = certificates
        """The finality certificates the node holds (the quorum service's)."""
        self.best_hashes = best_hashes
        """The best chain's block hashes by height (SNAP-9's header chain, on the server's side)."""
        self.certified: dict[bytes, FinalityCertificate] = {}
        """The certificate found for each snapshot (by block hash) that passed SNAP-9."""
        self.db.executescript(SNAPSHOT_SCHEMA)

    def on_connect(self, block: Block, state: ChainState) -> None:
        """After a block is connected: take a snapshot every :attr:`interval` blocks (O(state),
        once per interval), and forget all but the newest :data:`KEEP_SNAPSHOTS`."""
        if state.height % self.interval != 0:
            return
        items = compute_committed_items(state, tip_state_layout(state, self.preset), self.preset)
        manifest, chunks = make_state_snapshot(items, state.tip_hash, state.height, self.preset)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM snapshot_chunks WHERE block_hash = ?", (state.tip_hash,))
            self.db.execute("DELETE FROM snapshot_finality_items WHERE block_hash = ?", (state.tip_hash,))
            self.db.execute(
                "INSERT OR REPLACE INTO snapshot_finality (block_hash, full) VALUES (?, ?)",
                (state.tip_hash, int(commits_full_state(items))),
            )
            self.db.executemany(
                "INSERT INTO snapshot_finality_items (block_hash, key, value) VALUES (?, ?, ?)",
                [
                    (state.tip_hash, key, value)
                    for key, value in items.items()
                    if key[:1] == bytes((KIND_FINALITY_QUORUM,))
                ],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO snapshots (block_hash, height, manifest) VALUES (?, ?, ?)",
                (state.tip_hash, state.height, encode(STATE_MANIFEST_CODEC, manifest)),
            )
            self.db.executemany(
                "INSERT INTO snapshot_chunks (block_hash, idx, data, proof) VALUES (?, ?, ?, ?)",
                [
                    (state.tip_hash, i, chunk, b"".join(state_chunk_proof(chunks, i)))
                    for i, chunk in enumerate(chunks)
                ],
            )
            stale = [
                bytes(h)
                for (h,) in self.db.execute(
                    "SELECT block_hash FROM snapshots ORDER BY height DESC LIMIT -1 OFFSET ?",
                    (KEEP_SNAPSHOTS,),
                )
            ]
            for hash_ in stale:
                for table in ("snapshots", "snapshot_chunks", "snapshot_finality", "snapshot_finality_items"):
                    self.db.execute(f"DELETE FROM {table} WHERE block_hash = ?", (hash_,))
                self.certified.pop(hash_, None)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def keep_fast_sync(
        self,
        manifest: StateSnapshotManifest,
        items: Mapping[bytes, bytes],
        certificate: FinalityCertificate | None = None,
    ) -> None:
        """Store the items of a fast-synced snapshot (verified, SNAP-8) with its manifest and the
        certificate that finalized it (SNAP-9; ``None``: a UTXO-only snapshot)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM fast_sync_items")
            self.db.executemany(
                "INSERT INTO fast_sync_items (key, value) VALUES (?, ?)", sorted(items.items())
            )
            self.db.execute(
                "INSERT OR REPLACE INTO fast_sync (name, value) VALUES ('manifest', ?)",
                (encode(STATE_MANIFEST_CODEC, manifest),),
            )
            self.db.execute("DELETE FROM fast_sync WHERE name = 'certificate'")
            if certificate is not None:
                self.db.execute(
                    "INSERT INTO fast_sync (name, value) VALUES ('certificate', ?)",
                    (encode_finality_certificate(certificate),),
                )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def fast_synced(self) -> tuple[StateSnapshotManifest, dict[bytes, bytes]] | None:
        """The fast-synced snapshot's manifest and items, if this node fast-synced."""
        row = self.db.execute("SELECT value FROM fast_sync WHERE name = 'manifest'").fetchone()
        if row is None:
            return None
        items = {bytes(k): bytes(v) for k, v in self.db.execute("SELECT key, value FROM fast_sync_items")}
        return decode(STATE_MANIFEST_CODEC, bytes(row[0])), items

    def fast_sync_status(self) -> dict[str, object] | None:
        """What RPC ``getfinality`` shows of the fast sync (``None``: the node did not fast-sync): the
        snapshot's height and block, and the height and block of the certificate that finalized it
        (SNAP-9; ``None`` for a UTXO-only snapshot, which commits no finality key)."""
        row = self.db.execute("SELECT value FROM fast_sync WHERE name = 'manifest'").fetchone()
        if row is None:
            return None
        manifest = decode(STATE_MANIFEST_CODEC, bytes(row[0]))
        raw = self.db.execute("SELECT value FROM fast_sync WHERE name = 'certificate'").fetchone()
        certificate = None if raw is None else decode_finality_certificate(bytes(raw[0]))
        return {
            "snapshot_height": manifest.height,
            "snapshot_block": manifest.block_hash.hex(),
            "certificate_height": None if certificate is None else certificate.height,
            "certificate_block": None if certificate is None else certificate.block_hash.hex(),
        }

    def _finalized_height(self) -> int | None:
        finalized = self.finalized()
        if finalized is None:
            return None
        row = self.db.execute("SELECT height FROM best_chain WHERE hash = ?", (finalized,)).fetchone()
        return None if row is None else int(row[0])

    def certificate_for(self, manifest: StateSnapshotManifest) -> FinalityCertificate | None:
        """SNAP-9 (server side): the lowest certificate the node holds at or above the snapshot's
        height on its best chain that passes SNAP-9 against the snapshot's finality quorum records
        (unchecked for a UTXO-only snapshot, whose finality nobody can check); ``None``: none."""
        cached = self.certified.get(manifest.block_hash)
        if cached is not None:
            return cached
        row = self.db.execute(
            "SELECT full FROM snapshot_finality WHERE block_hash = ?", (manifest.block_hash,)
        ).fetchone()
        full = row is None or bool(row[0])  # a snapshot taken before this table: checked, as full
        items = {
            bytes(k): bytes(v)
            for k, v in self.db.execute(
                "SELECT key, value FROM snapshot_finality_items WHERE block_hash = ?", (manifest.block_hash,)
            )
        }
        hashes: Sequence[bytes] | None = None
        for certificate in sorted(self.certificates(), key=lambda c: c.height):
            if certificate.height < manifest.height:
                continue
            if self.best_hash_at(certificate.height) != certificate.block_hash:
                continue
            if full:
                hashes = self.best_hashes() if hashes is None else hashes
                try:
                    check_snapshot_finality(manifest, certificate, hashes, items, self.preset)
                except SpecError:
                    continue
            self.certified[manifest.block_hash] = certificate
            return certificate
        return None

    def servable(self, max_height: int) -> list[CertifiedManifest]:
        """The manifests served for ``GetSnapshotManifests(max_height)``: snapshots of best-chain
        blocks at or below the finalized block and ``max_height`` that have a certificate
        (:meth:`certificate_for`), newest first."""
        finalized_height = self._finalized_height()
        if finalized_height is None:
            return []
        manifests: list[CertifiedManifest] = []
        for hash_, height, raw in self.db.execute(
            "SELECT block_hash, height, manifest FROM snapshots WHERE height <= ? ORDER BY height DESC",
            (min(max_height, finalized_height),),
        ).fetchall():
            if self.best_hash_at(int(height)) != bytes(hash_):
                continue
            manifest = decode(STATE_MANIFEST_CODEC, bytes(raw))
            certificate = self.certificate_for(manifest)
            if certificate is not None:
                manifests.append(CertifiedManifest(manifest, certificate))
            if len(manifests) == MAX_SNAPSHOT_MANIFESTS:
                break
        return manifests

    def answer_manifests(self, request: GetSnapshotManifests) -> SnapshotManifests:
        """P2P-SNAP: the answer to ``GetSnapshotManifests``."""
        return SnapshotManifests(tuple(self.servable(request.max_height)))

    def answer_chunk(self, request: GetSnapshotChunk) -> SnapshotChunkMessage:
        """P2P-SNAP: the chunk and its proof, or an empty chunk if the snapshot is not served."""
        absent = SnapshotChunkMessage(request.block_hash, request.chunk_root, request.index, b"", ())
        served = {m.manifest.block_hash: m.manifest for m in self.servable(2**64 - 1)}
        manifest = served.get(request.block_hash)
        if manifest is None or manifest.chunk_root != request.chunk_root:
            return absent
        row = self.db.execute(
            "SELECT data, proof FROM snapshot_chunks WHERE block_hash = ? AND idx = ?",
            (request.block_hash, request.index),
        ).fetchone()
        if row is None:
            return absent
        proof = bytes(row[1])
        hashes = tuple(proof[i : i + 32] for i in range(0, len(proof), 32))
        return SnapshotChunkMessage(
            request.block_hash, request.chunk_root, request.index, bytes(row[0]), hashes
        )


@dataclass
class _Candidate:
    """A manifest, the peers (keys) that announced it and the certificate each sent with it."""

    manifest: StateSnapshotManifest
    peers: list[str] = field(default_factory=list)
    certificates: dict[str, FinalityCertificate] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """What the client asks the P2P side to do with a peer after one of its answers."""

    punish: tuple[str, ...] = ()
    """Peers to score ``invalid_snapshot``."""


class FastSync:
    """The fast-sync client's state machine (see the module docstring); the P2P side feeds it
    headers, manifests and chunks and sends the requests it returns."""

    def __init__(self, preset: Preset) -> None:
        self.preset = preset
        self.headers: dict[bytes, BlockHeader] = {}
        """The best header chain's headers by hash (filled by the P2P side's header sync)."""
        self.hash_at: dict[int, bytes] = {}
        self.tip_height = -1
        self.candidates: dict[tuple[bytes, bytes], _Candidate] = {}
        self.rejected: set[tuple[bytes, bytes]] = set()
        self.chosen: _Candidate | None = None
        self.chunks: dict[int, StateChunk] = {}
        self.in_flight: dict[int, str] = {}
        """Chunk index -> the peer it was asked of."""
        self.excluded: set[str] = set()
        """Peers not asked again for the chosen snapshot (a bad or missing chunk)."""
        self.items: dict[bytes, bytes] | None = None
        """The verified committed items once the snapshot is assembled (SNAP-8)."""
        self.manifest: StateSnapshotManifest | None = None
        self.installed_height: int | None = None
        """The snapshot height the node's chain state was started from (P2P-SYNC-4), or ``None``
        (not yet, or a snapshot of the UTXO set only: the node replays from genesis)."""
        self.bad_chunks = 0
        """Chunks that failed SNAP-7 (each scored and asked again elsewhere)."""
        self.certificate: FinalityCertificate | None = None
        """The certificate that finalized the taken snapshot's block or a descendant (SNAP-9), or
        ``None`` (a UTXO-only snapshot: not checkable, the node replays from genesis)."""
        self.bad_certificates = 0
        """Certificates that failed SNAP-9 (each scored)."""
        self.unfinalized: set[tuple[bytes, bytes]] = set()
        """Snapshots assembled but not taken: no announcer's certificate passed SNAP-9."""
        self.asked: set[str] = set()
        """Peers asked for manifests."""
        self.awaiting: set[str] = set()
        """Peers asked for manifests that have not answered: no chunk is asked before they all
        answered (or :data:`MANIFEST_WAIT` passed), so the chunks spread over every peer that has them."""

    @property
    def done(self) -> bool:
        return self.items is not None

    def set_header_chain(self, headers: list[BlockHeader], hashes: list[bytes]) -> None:
        """The best header chain (validated by the caller with ``connect_headers``)."""
        self.headers = dict(zip(hashes, headers, strict=True))
        self.hash_at = dict(enumerate(hashes))
        self.tip_height = len(hashes) - 1

    def manifest_request(self) -> GetSnapshotManifests | None:
        """What to ask every peer once there is a header chain: every snapshot up to its tip (a
        snapshot is taken when its finality is proven, SNAP-9, not for its depth)."""
        return None if self.tip_height < 0 else GetSnapshotManifests(self.tip_height)

    def _hashes(self) -> list[bytes]:
        return [self.hash_at[height] for height in range(self.tip_height + 1)]

    def manifests_asked(self, peer: str) -> bool:
        """Record that ``peer`` is asked for manifests; ``False`` if it was asked already."""
        if peer in self.asked:
            return False
        self.asked.add(peer)
        self.awaiting.add(peer)
        return True

    def on_manifests(self, peer: str, answer: SnapshotManifests) -> Verdict:
        """SNAP-6 and SNAP-9 steps 1-2: keep the manifests that match their header and whose
        certificate names a block of the header chain at or above theirs; score a peer that sent
        one that does not."""
        self.awaiting.discard(peer)
        hashes: list[bytes] | None = None
        for certified in answer.manifests:
            manifest, certificate = certified.manifest, certified.certificate
            header = self.headers.get(manifest.block_hash)
            if header is None or certificate.height > self.tip_height:
                continue  # not (yet) on our header chain: not a lie we can prove
            hashes = self._hashes() if hashes is None else hashes
            try:
                check_manifest(
                    manifest, self.hash_at[header.height], header.height, header.state_root, self.preset
                )
                check_certificate_on_chain(manifest, certificate, hashes)
            except SnapshotError:
                return Verdict(punish=(peer,))
            key = (manifest.block_hash, manifest.chunk_root)
            if key in self.rejected:
                continue
            candidate = self.candidates.setdefault(key, _Candidate(manifest))
            if peer not in candidate.peers:
                candidate.peers.append(peer)
            candidate.certificates[peer] = certificate
        return Verdict()

    def choose(self) -> StateSnapshotManifest | None:
        """The snapshot to fetch: the highest block, then the chunk root most peers announced."""
        if self.chosen is None and self.candidates:
            self.chosen = max(
                self.candidates.values(),
                key=lambda c: (c.manifest.height, len(c.peers), c.manifest.chunk_root),
            )
        return None if self.chosen is None else self.chosen.manifest

    def requests(
        self, ready: Mapping[str, object], force: bool = False
    ) -> list[tuple[str, GetSnapshotChunk]]:
        """The chunk requests to send now: missing chunks spread over the chosen manifest's peers
        that are connected (``ready``), at most :data:`CHUNKS_IN_FLIGHT` per peer; none while a
        connected peer's manifests are awaited (unless ``force``: the wait is over)."""
        if not force and not self.chosen and any(p in ready for p in self.awaiting):
            return []
        manifest = self.choose()
        if manifest is None or self.chosen is None or self.done:
            return []
        peers = [p for p in self.chosen.peers if p in ready and p not in self.excluded]
        load = {p: sum(1 for q in self.in_flight.values() if q == p) for p in peers}
        out: list[tuple[str, GetSnapshotChunk]] = []
        for index in range(manifest.chunk_count):
            if index in self.chunks or index in self.in_flight:
                continue
            free = [p for p in peers if load[p] < CHUNKS_IN_FLIGHT]
            if not free:
                break
            peer = min(free, key=lambda p: (load[p], peers.index(p)))
            load[peer] += 1
            self.in_flight[index] = peer
            out.append((peer, GetSnapshotChunk(manifest.block_hash, manifest.chunk_root, index)))
        return out

    def expire(self, peer: str, request: GetSnapshotChunk) -> bool:
        """A chunk request timed out (:data:`CHUNK_TIMEOUT`): if it is still waiting on ``peer``,
        free the chunk for another peer and ask ``peer`` nothing more; ``True`` if so."""
        manifest = self.chosen.manifest if self.chosen is not None else None
        wanted = None if manifest is None else (manifest.block_hash, manifest.chunk_root)
        if (request.block_hash, request.chunk_root) != wanted:
            return False
        if self.in_flight.get(request.index) != peer:
            return False
        del self.in_flight[request.index]
        self.excluded.add(peer)
        return True

    def on_chunk(self, peer: str, answer: SnapshotChunkMessage) -> Verdict:
        """SNAP-7 on one chunk; SNAP-8 once all are in."""
        manifest = self.choose()
        if manifest is None or (answer.block_hash, answer.chunk_root) != (
            manifest.block_hash,
            manifest.chunk_root,
        ):
            return Verdict()  # a late answer for a snapshot no longer chosen
        if self.in_flight.get(answer.index) != peer:
            return Verdict()  # not asked of this peer (or already answered): ignored
        del self.in_flight[answer.index]
        if not answer.chunk:
            self.excluded.add(peer)  # it no longer has the snapshot: ask the others
            return Verdict()
        try:
            chunk = verify_state_chunk(manifest, answer.index, answer.chunk, answer.proof, self.preset)
        except SpecError:
            self.bad_chunks += 1
            self.excluded.add(peer)
            return Verdict(punish=(peer,))
        self.chunks[answer.index] = chunk
        if len(self.chunks) < manifest.chunk_count:
            return Verdict()
        assert self.chosen is not None
        chosen = self.chosen
        try:
            items = assemble_state_snapshot(
                manifest, [self.chunks[i] for i in range(manifest.chunk_count)], self.preset
            )
        except SnapshotError:
            self._drop(manifest)
            return Verdict(punish=tuple(chosen.peers))  # the chunk root lied (SNAP-8)
        if not commits_full_state(items):  # STATE-1 items: no finality key; the node replays
            self.items, self.manifest = items, manifest
            return Verdict()
        hashes = self._hashes()
        passed: list[FinalityCertificate] = []
        failed: list[str] = []
        for peer_key in chosen.peers:
            certificate = chosen.certificates[peer_key]
            try:
                check_snapshot_finality(manifest, certificate, hashes, items, self.preset)
            except SpecError:
                failed.append(peer_key)
                continue
            passed.append(certificate)
        self.bad_certificates += len(failed)
        if not passed:  # the block is not proven final: not taken, the next candidate is tried
            self.unfinalized.add((manifest.block_hash, manifest.chunk_root))
            self._drop(manifest)
            return Verdict(punish=tuple(failed))
        self.items, self.manifest = items, manifest
        self.certificate = min(passed, key=lambda c: c.height)
        return Verdict(punish=tuple(failed))

    def _drop(self, manifest: StateSnapshotManifest) -> None:
        """Forget the chosen snapshot (never fetched again) and start over with the next candidate."""
        key = (manifest.block_hash, manifest.chunk_root)
        self.rejected.add(key)
        del self.candidates[key]
        self.chosen, self.chunks, self.in_flight, self.excluded = None, {}, {}, set()
