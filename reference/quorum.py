"""The node's masternode side: finality quorums' DKG, finality signing and certificates (FIN-1..4).

Every rule is the spec's: which quorum runs which DKG (FIN-1,
:func:`spec.masternode.finality.finality_dkg_session`), the DKG state machine (DKG-*), which
quorum certifies a height (FIN-2), when a member signs (FIN-3), signing sessions (SIGN-*) and which
certificate finalizes which block (FORK-2/3, :func:`spec.chain.forkchoice.newest_finalized`). This
module only decides *when* to call them and what to send, and it keeps the node's own secrets:

* the operator BLS key (``operator.seed`` in the data directory, created at ``init``);
* per DKG session, the seed it deals from (random, drawn from the operating system): its polynomial
  and the ephemeral keys that encrypt its shares to the other members (DKG-11) come from it, and a
  justification reveals one such key (DKG-12); after the session, its secret key share;
* the height it last signed (in SQLite, so FIN-3 survives a restart).

Timing (DKG-2): a session's phase follows the node's best height. When the best chain reaches a
finality base height ``b`` the node opens the session (FIN-1) and, if it is a member, deals its
contribution at once; on entering COMPLAINT it complains against every dealer whose share fails
(DKG-6); on entering JUSTIFICATION it answers complaints against itself (DKG-7); on entering
FINALIZATION it computes the result (DKG-8) and its secret share (DKG-9). A message for a later
phase than the node's (a peer slightly ahead) is held until the node gets there; one for an
earlier phase is dropped, as DKG-2 says. Nodes whose best heights differ across a phase boundary
when a message arrives may therefore disagree on a session's result; the quorum then certifies
nothing for its heights on the nodes that disagree (safety holds, FIN-3), and the next quorum
starts afresh.

Persistence: the polynomial a member deals (its seed, stored before the contribution leaves), every
DKG message the node accepted, the last signed height and the certificates are in SQLite; after a
restart :meth:`QuorumService.resume` rebuilds the running sessions from the chain's quorum records
(FIN-6) and replays the messages, so a member that stops during a DKG still qualifies and signs.

DKG shares travel encrypted to their recipients' operator keys (DKG-11): a contribution on the wire
carries ciphertexts only, and the node decrypts its own shares with its operator key.

PoSe liveness challenges (POSE-4..7, POSE-11, spec/masternode/challenge.py): when its best height
enters the challenge window of a PoSe quorum it is a member of (and whose key the chain committed),
the node signs one challenge with a fresh random nonce for every other ACTIVE masternode whose
challenger subset holds it and floods them; a node that receives a valid challenge naming its own
masternode answers at once; every node records the targets of the valid challenges it saw and the
best height at which the first valid response of each reached it, and when its best height reaches
the deadline a member signs POSE-3's penalty share for every such target that did not answer in time (the
shares meet the POSE-1 ones in the same signing session, so a quorum penalises a masternode at most
once a term). Challenges live in memory for the quorum's term: a member that restarts inside the
window does not judge that term (it never penalises on a partial record).

Missed finality shares (POSE-9/10, spec/masternode/share_service.py): the node records the signer
of every valid finality share it verifies, by session and height; a member of the PoSe quorum in
charge that has watched since before the term's share window judges it when its best height
reaches the verdict height and signs POSE-3's penalty share for every ACTIVE masternode whose
operator key missed more than the tolerance of the heights it saw finalized.

What is not done: messages a node missed while it was down are not fetched again (it takes
part with what it had and what still arrives); a response that arrives before its challenge is
dropped (it cannot be checked), and so are challenges and responses a node missed while cut off.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from spec.chain.block import Block
from spec.chain.forkchoice import (
    BlockIndexEntry,
    FinalityCertificate,
    decode_finality_certificate,
    encode_finality_certificate,
    finality_message,
    is_ancestor,
    newest_finalized,
    verify_finality_certificate,
)
from spec.chain.state import ChainState, quorums_with_pending
from spec.crypto import bls
from spec.crypto.threshold import Share, coefficients_from_seed
from spec.errors import (
    BadCommitmentSignature,
    BadCommitmentSigners,
    DkgBadSignature,
    DkgMalformedCiphertext,
    DkgMalformedContribution,
    DkgMalformedJustification,
    DkgSelfComplaint,
    DkgUnknownMember,
    PoSeBadChallengeSignature,
    PoSeBadResponseSignature,
    PoSeChallengeOutOfTerm,
    PoSeNotChallenger,
    PoSeUnknownChallenger,
    SignDuplicateShare,
    SignWrongSession,
    SpecError,
)
from spec.ledger.transaction import OutPoint, Transaction
from spec.masternode import dkg
from spec.masternode.challenge import (
    PoSeChallenge,
    PoSeResponse,
    assigned_targets,
    challenge_digest,
    challenge_window,
    check_challenge,
    check_response,
    check_response_in_time,
    make_challenge,
    make_response,
    unanswered,
)
from spec.masternode.dkg import (
    Complaint,
    Contribution,
    DkgMessage,
    DkgPhase,
    DkgResult,
    DkgSession,
    Justification,
    phase_at_height,
)
from spec.masternode.evidence import (
    ContributionPrefixEvidence,
    DoubleSignEvidence,
    SlashingEvidence,
    signed_prefix,
)
from spec.masternode.finality import (
    CommitmentSignature,
    build_commitment,
    check_commitment_signature,
    commitment_signature,
    commitment_window,
    committed_finality_key,
    dkg_length,
    finality_dkg_session,
    finality_quorum_height,
    finality_term,
    is_finality_quorum_base,
    is_pose_quorum_base,
    key_shares_root,
    may_sign_finality,
    member_index,
    pose_dkg_session,
    pose_quorum_hash,
)
from spec.masternode.pose import (
    judging_quorum_height,
    penalty_from_session,
    penalty_session,
    service_failures,
)
from spec.masternode.quorum import QuorumType
from spec.masternode.registry import MasternodeMessage, MasternodeStatus, pose_quorum_height
from spec.masternode.share_service import HeightShares, share_failures, share_window
from spec.masternode.signing import (
    SignatureShare,
    SigningSession,
    add_signature_share,
    finality_session,
    make_signature_share,
    sign_block_finality,
    sign_finality_share,
)
from spec.masternode.slashing import check_evidence
from spec.merkle import inclusion_proof
from spec.presets import Preset

H = TypeVar("H")


class InvalidQuorumMessage(Exception):
    """P2P-SCORE-4: a peer sent a quorum message that fails a check no honest relay fails."""


PROVABLY_INVALID_DKG = (
    DkgBadSignature,
    DkgMalformedCiphertext,
    DkgMalformedContribution,
    DkgMalformedJustification,
    DkgSelfComplaint,
    DkgUnknownMember,
)
"""DKG rejections that do not depend on timing or on what else the receiver has seen (P2P-SCORE-4)."""

QuorumMessage = (
    Contribution
    | Complaint
    | Justification
    | SignatureShare
    | FinalityCertificate
    | CommitmentSignature
    | PoSeChallenge
    | PoSeResponse
)
"""What this module sends and receives (P2P-5)."""

QuorumOutput = QuorumMessage | Transaction
"""What this module asks the node to send: quorum messages, and transactions carrying a commitment."""

RESUBMIT_AFTER_BLOCKS = 3
"""Blocks a member waits for its commitment to be mined before it queues it again."""

MAX_SIGNING_SESSIONS = 64
"""Signing sessions kept in memory: those of the most recent blocks (older ones are dropped)."""

MAX_HELD_SESSIONS = 8
MAX_HELD_PER_SESSION = 4 * 256
HELD_SESSION_BLOCKS = 3
"""DKG messages for a session not opened yet are kept for at most 8 session ids (first come), 1,024
messages each, for 3 blocks: enough for peers a block or two ahead; a member that missed more gets
the session's messages from its peers when it (re)connects (catch-up)."""

MAX_CHALLENGES = 100_000
"""PoSe challenges remembered (those of the terms in progress), at most; beyond, new ones are not
relayed (honest quorums send ``members x masternodes`` a term)."""

MAX_HELD_MESSAGES = 1_000
"""Messages held for a session or block the node does not know yet, at most (oldest dropped first)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS finality (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (height INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dkg_dealt (session_id BLOB PRIMARY KEY, seed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dkg_messages (
    position INTEGER PRIMARY KEY,
    session_id BLOB NOT NULL,
    kind INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (session_id, kind, data)
);
"""


def operator_secret(seed: bytes) -> bytes:
    """The operator's BLS secret key from its 32-byte seed (BLS KeyGen)."""
    return bls.key_gen(seed, b"rusty-coin operator")


@dataclass
class MemberSecrets:
    """What only this member knows about one session."""

    index: int
    coefficients: tuple[int, ...]
    seed: bytes
    secret_share: Share | None = None


@dataclass
class SessionRecord:
    """One finality quorum's DKG, as this node follows it."""

    base_height: int
    base_hash: bytes
    state: DkgSession
    member: MemberSecrets | None
    result: DkgResult | None = None
    failed: str | None = None
    held: list[DkgMessage] = field(default_factory=list)
    commitment_signatures: dict[int, bytes] = field(default_factory=dict)
    commitment_submitted_at: int | None = None
    """The best height when this member last queued the commitment (``None``: never)."""
    kind: QuorumType = QuorumType.FINALITY
    """FINALITY (FIN-1) or POSE (FIN-7): both run the same DKG and commitment; only finality signs."""


def _shares_root(result: DkgResult) -> bytes:
    """FIN-5: the key share root of a DKG result (what the commitment vouches for)."""
    return key_shares_root([share.value for share in result.public_key_shares])


def _message_phase(message: DkgMessage) -> DkgPhase:
    if isinstance(message, Contribution):
        return DkgPhase.CONTRIBUTION
    if isinstance(message, Complaint):
        return DkgPhase.COMPLAINT
    return DkgPhase.JUSTIFICATION


class QuorumService:
    """Finality for one node: follows the best chain, speaks for its masternode, collects certificates.

    ``best_hash_at(height)`` returns the hash of the best chain's block at a height (``None`` above
    the tip); ``block_index()`` the fork-choice index. Methods return the messages to broadcast.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        preset: Preset,
        operator_seed: bytes,
        best_hash_at: Callable[[int], bytes | None],
        block_index: Callable[[], Mapping[bytes, BlockIndexEntry]],
        chain_state: Callable[[], ChainState],
        publish: Callable[[MasternodeMessage], Transaction | None],
    ) -> None:
        self.db = db
        self.db.executescript(SCHEMA)
        self.preset = preset
        self.secret_key = operator_secret(operator_seed)
        self.public_key = bls.sk_to_pk(self.secret_key)
        self.best_hash_at = best_hash_at
        self.block_index = block_index
        self.chain_state = chain_state
        self.publish = publish
        self.sessions: dict[bytes, SessionRecord] = {}  # by DKG session id
        self.held_sessions: dict[bytes, tuple[int, list[DkgMessage]]] = {}
        """DKG messages of sessions this node has not opened yet (a peer is a block ahead), by session
        id: the height the first one arrived at, and the messages."""
        self.signing: dict[tuple[bytes, bytes], SigningSession] = {}  # (quorum id, message)
        self.held_shares: list[SignatureShare] = []
        self.held_commitment_signatures: list[CommitmentSignature] = []
        self.pending_certificates: list[FinalityCertificate] = []
        self.height = -1
        self.seen_shares: dict[tuple[bytes, int, int], tuple[bytes, bytes]] = {}
        """SLASH-2: the first verified finality share of each (session, member, height): its block
        and signature (kept while the session is; a second one for another block is evidence)."""
        self.accused: set[tuple[bytes, int]] = set()
        """(session, member) pairs this node has already submitted evidence against."""
        self.penalties: dict[tuple[bytes, bytes], tuple[SigningSession, OutPoint, int]] = {}
        """POSE-3: penalty signing sessions this node agrees with, by (PoSe session id, message)."""
        self.penalised: set[tuple[bytes, bytes]] = set()
        self.challenges: dict[bytes, PoSeChallenge] = {}
        """POSE-5: the valid challenges seen, by digest (kept for their quorum's term)."""
        self.responded: set[bytes] = set()
        """POSE-6: digests of the challenges whose valid response this node relayed."""
        self.held_challenges: list[PoSeChallenge] = []
        """POSE-5: challenges of a term this node's best height has not reached yet (a peer ahead)."""
        self.issued: dict[int, dict[OutPoint, bytes]] = {}
        """POSE-4/5: this member's challenges by PoSe quorum height and target (the digest)."""
        self.challenged: dict[int, set[OutPoint]] = {}
        """POSE-7/11: by PoSe quorum height, the targets of the valid (subset) challenges seen."""
        self.answered: dict[int, dict[OutPoint, int]] = {}
        """POSE-6/7: by PoSe quorum height and target, the best height at which the first valid
        in-time response to one of the target's challenges arrived."""
        self.judged_terms: set[int] = set()
        """POSE-7: PoSe quorum heights whose challenges this member has judged."""
        self.share_signers: dict[tuple[bytes, int], set[int]] = {}
        """POSE-9: by (finality session id, height), the members whose valid share for a block at that
        height this node received (kept for a PoSe interval)."""
        self.first_tip: int | None = None
        """POSE-9: the first best height this process saw (a judge that started inside a share
        window did not watch all of it and does not judge that window)."""
        self.share_judged: set[int] = set()
        """POSE-10: PoSe quorum heights whose share window this member has judged."""
        self.share_handlers: list[Callable[[SignatureShare], list[QuorumOutput] | None]] = []
        """Other signing sessions of the quorums (sidechain checkpoints, reference/sidechains.py): a
        handler returns what to send for a share it owns, ``None`` for one it does not know."""

    # ------------------------------------------------------------------------- persistence

    def _get(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM finality WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def _put(self, key: str, value: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO finality (key, value) VALUES (?, ?)", (key, value))

    @property
    def finalized(self) -> bytes | None:
        """The newest finalized block hash (FORK-2), or ``None``."""
        return self._get("finalized")

    @property
    def last_signed_height(self) -> int | None:
        """FIN-3: the height this member last signed (persisted before the share leaves the node)."""
        value = self._get("last_signed_height")
        return None if value is None else int(value.decode())

    def certificates(self) -> list[FinalityCertificate]:
        """The certificates that finalized blocks on this node, oldest first."""
        rows = self.db.execute("SELECT data FROM certificates ORDER BY height")
        return [decode_finality_certificate(bytes(data)) for (data,) in rows]

    def newest_certificate(self) -> FinalityCertificate | None:
        """The certificate of the newest finalized block, or ``None``."""
        row = self.db.execute("SELECT data FROM certificates ORDER BY height DESC LIMIT 1").fetchone()
        return None if row is None else decode_finality_certificate(bytes(row[0]))

    def finalized_height(self) -> int | None:
        """The height of the newest finalized block, or ``None``."""
        row = self.db.execute("SELECT MAX(height) FROM certificates").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    # ------------------------------------------------------------------------- chain events

    def on_connect(self, block: Block, state: ChainState) -> None:
        """FIN-1/7: open the finality and PoSe DKGs of a base block when the best chain connects it."""
        height = block.header.height
        for kind, is_base, dkg_session in (
            (QuorumType.FINALITY, is_finality_quorum_base, finality_dkg_session),
            (QuorumType.POSE, is_pose_quorum_base, pose_dkg_session),
        ):
            if not is_base(height, self.preset):
                continue
            try:
                session = dkg_session(state.masternodes, state.tip_hash, height, self.preset)
            except SpecError:
                continue  # too few masternodes: no quorum at this base (FIN-1)
            self._open(session, height, state.tip_hash, kind)

    def _term_end(self, record: SessionRecord) -> int:
        """FIN-2/7: the first height after the quorum's term (its commitment window's end)."""
        return commitment_window(record.base_height, self.preset, record.kind)[1]

    def _open(
        self, session: DkgSession, base_height: int, base_hash: bytes, kind: QuorumType = QuorumType.FINALITY
    ) -> SessionRecord:
        """Follow ``session``; as a member, with the polynomial dealt before (persisted) or a fresh one."""
        existing = self.sessions.get(session.session_id)
        if existing is not None:
            return existing
        index = member_index(session, self.public_key)
        member = None
        if index is not None:
            row = self.db.execute(
                "SELECT seed FROM dkg_dealt WHERE session_id = ?", (session.session_id,)
            ).fetchone()
            seed = os.urandom(32) if row is None else bytes(row[0])
            if row is None:  # persisted before anything dealt from it can leave the node (DKG-5)
                self.db.execute(
                    "INSERT INTO dkg_dealt (session_id, seed) VALUES (?, ?)", (session.session_id, seed)
                )
            member = MemberSecrets(index, coefficients_from_seed(seed, session.threshold), seed)
        record = SessionRecord(base_height, base_hash, session, member, kind=kind)
        self.sessions[session.session_id] = record
        return record

    def resume(self) -> None:
        """After a restart: rebuild the DKG sessions still running or in charge from the chain's
        quorum records (FIN-6) and the DKG messages this node had accepted, up to the best height.

        Messages replay in their phases (the node accepted each in its phase), the node's own
        contribution comes from the persisted polynomial, so it never deals twice (DKG-5), and the
        session then continues as if the node had not stopped.
        """
        state = self.chain_state()
        self.height = state.height
        quorums = quorums_with_pending(state, self.preset)  # ST-2: a base tip's quorums are not recorded yet
        kinds = [(QuorumType.FINALITY, r) for r in quorums.records.values()]
        kinds += [(QuorumType.POSE, r) for r in quorums.pose_records.values()]
        for kind, record in kinds:
            ended = commitment_window(record.base_height, self.preset, kind)[1] <= state.height
            if ended or self.best_hash_at(record.base_height) is None:
                continue
            quorum_hash = (
                record.base_hash if kind is QuorumType.FINALITY else pose_quorum_hash(record.base_hash)
            )
            try:
                session = dkg.start_session(
                    record.members, record.threshold, quorum_hash, record.base_height, self.preset
                )
            except SpecError:
                continue
            if session.session_id != record.session_id:
                continue
            opened = self._open(session, record.base_height, record.base_hash, kind)
            rows = self.db.execute(
                "SELECT kind, data FROM dkg_messages WHERE session_id = ? ORDER BY position",
                (session.session_id,),
            )
            for kind, data in rows:
                message = self._decode_dkg(int(kind), bytes(data))
                if isinstance(message, Contribution):
                    with contextlib.suppress(SpecError):
                        opened.state = dkg.receive_contribution(opened.state, message)
                else:
                    opened.held.append(message)
            self._advance(opened, state.height)  # what it sends now was sent before the stop

    def _prune(self, height: int) -> None:
        """Forget sessions whose quorum's term ended (FIN-2) and all but the newest signing sessions."""
        for session_id, record in list(self.sessions.items()):
            if self._term_end(record) <= height:
                del self.sessions[session_id]
                self.db.execute("DELETE FROM dkg_messages WHERE session_id = ?", (session_id,))
                self.db.execute("DELETE FROM dkg_dealt WHERE session_id = ?", (session_id,))
        for seen in [k for k in self.seen_shares if k[0] not in self.sessions]:
            del self.seen_shares[seen]
        for penalty in [k for k in self.penalties if k[0] not in self.sessions]:
            del self.penalties[penalty]
        for key in list(self.signing)[:-MAX_SIGNING_SESSIONS]:
            del self.signing[key]
        interval = self.preset.masternodes.pose_quorum_interval
        over = [
            q
            for q in {c.quorum_height for c in self.challenges.values()} | set(self.issued)
            if challenge_window(q, self.preset)[0] + interval <= height
        ]
        for quorum_height in over:
            self.issued.pop(quorum_height, None)
            self.challenged.pop(quorum_height, None)
            self.answered.pop(quorum_height, None)
            self.judged_terms.discard(quorum_height)
        for observed in [k for k in self.share_signers if k[1] + interval < height]:
            del self.share_signers[observed]
        self.share_judged = {
            q for q in self.share_judged if q + 2 * interval + dkg_length(self.preset) > height
        }
        if over:
            gone = {d for d, c in self.challenges.items() if c.quorum_height in over}
            for digest in gone:
                del self.challenges[digest]
            self.responded -= gone

    def catch_up_messages(self) -> list[QuorumMessage]:
        """What a newly connected peer may have missed: the DKG messages of the sessions still
        running and the commitment signatures of results not yet on chain (P2P-5). The peer keeps
        those of its current phase and later ones, as if they had just arrived (DKG-2)."""
        out: list[QuorumMessage] = []
        quorums = self.chain_state().quorums
        for record in self.sessions.values():
            committed = quorums.of_type(record.kind)
            if record.result is None:
                rows = self.db.execute(
                    "SELECT kind, data FROM dkg_messages WHERE session_id = ? ORDER BY position",
                    (record.state.session_id,),
                )
                out.extend(self._decode_dkg(int(kind), bytes(data)) for kind, data in rows)
                continue
            chain_record = committed.get(record.base_height)
            if chain_record is not None and chain_record.group_public_key is None:
                key, root = record.result.group_public_key, _shares_root(record.result)
                out.extend(
                    CommitmentSignature(
                        record.base_height, record.state.session_id, key, root, signer, signature
                    )
                    for signer, signature in sorted(record.commitment_signatures.items())
                )
        return out

    def _remember(self, message: DkgMessage) -> None:
        """Persist an accepted DKG message (for :meth:`resume`)."""
        kind, data = self._encode_dkg(message)
        self.db.execute(
            "INSERT OR IGNORE INTO dkg_messages (session_id, kind, data) VALUES (?, ?, ?)",
            (message.session_id, kind, data),
        )

    def _encode_dkg(self, message: DkgMessage) -> tuple[int, bytes]:
        if isinstance(message, Contribution):
            return dkg.MessageKind.CONTRIBUTION, dkg.encode_contribution(message, self.preset)
        if isinstance(message, Complaint):
            return dkg.MessageKind.COMPLAINT, dkg.encode_complaint(message)
        return dkg.MessageKind.JUSTIFICATION, dkg.encode_justification(message)

    def _decode_dkg(self, kind: int, data: bytes) -> DkgMessage:
        if kind == dkg.MessageKind.CONTRIBUTION:
            return dkg.decode_contribution(data, self.preset)
        if kind == dkg.MessageKind.COMPLAINT:
            return dkg.decode_complaint(data)
        return dkg.decode_justification(data)

    def on_tip(self, height: int, tip_hash: bytes) -> list[QuorumOutput]:
        """The best chain moved to ``(height, tip_hash)``: advance sessions, sign, retry held messages."""
        self.height = height
        if self.first_tip is None:
            self.first_tip = height
        out: list[QuorumOutput] = []
        self._prune(height)
        for record in list(self.sessions.values()):
            if self.best_hash_at(record.base_height) != record.base_hash:
                continue  # its base block left the best chain: the session is abandoned
            out.extend(self._advance(record, height))
            out.extend(self._maybe_commit(record))
        out.extend(self._release_held_sessions(height))
        out.extend(self._challenge_round(height))
        out.extend(self._sign_tip(height, tip_hash))
        out.extend(self._share_round(height))
        later: list[QuorumMessage] = [
            *self.held_shares,
            *self.held_commitment_signatures,
            *self.pending_certificates,
            *self.held_challenges,
        ]
        self.held_shares, self.held_commitment_signatures, self.pending_certificates = [], [], []
        self.held_challenges = []
        out.extend(self._receive_held(later))
        return out

    def _receive_held(self, messages: list[QuorumMessage]) -> list[QuorumOutput]:
        """Messages held until the node caught up; an invalid one is dropped (its sender is not known)."""
        out: list[QuorumOutput] = []
        for message in messages:
            with contextlib.suppress(InvalidQuorumMessage):
                out.extend(self.receive(message))
        return out

    def _advance(self, record: SessionRecord, height: int) -> list[QuorumOutput]:
        """DKG-2: walk the session's phases up to ``height``, doing this member's part in each."""
        out: list[QuorumOutput] = []
        target = phase_at_height(record.base_height, height, self.preset.dkg)
        if target is None and height >= record.base_height:
            target = DkgPhase.FINALIZATION  # past the session: finish it
        if target is None or record.result is not None or record.failed is not None:
            return out
        if record.state.phase is DkgPhase.CONTRIBUTION and record.member is not None:
            out.extend(self._deal(record))
        while record.state.phase < target:
            record.state = dkg.advance_phase(record.state)
            out.extend(self._enter(record))
            held_here: list[QuorumMessage] = [*record.held]
            record.held = []
            out.extend(self._receive_held(held_here))
        return out

    def _deal(self, record: SessionRecord) -> list[QuorumOutput]:
        member = record.member
        if member is None or member.index in record.state.contributions:
            return []
        message = dkg.make_contribution(
            record.state, member.index, member.coefficients, self.secret_key, member.seed
        )
        record.state = dkg.receive_contribution(record.state, message)
        self._remember(message)
        return [message]

    def _enter(self, record: SessionRecord) -> list[QuorumOutput]:
        """DKG-6/7/8/9: what this node does on entering the session's current phase."""
        state, member = record.state, record.member
        out: list[QuorumOutput] = []
        if state.phase is DkgPhase.COMPLAINT and member is not None:
            bad = dkg.find_bad_shares(state, {member.index: self.secret_key})
            accused = set(bad.get(member.index, ()))
            accused |= {d for d in range(1, len(state.members) + 1) if d not in state.contributions}
            for dealer in sorted(accused - {member.index}):
                complaint = dkg.make_complaint(state, member.index, dealer, self.secret_key)
                before = record.state
                record.state = dkg.receive_complaint(record.state, complaint)
                if record.state != before:
                    self._remember(complaint)
                out.append(complaint)
        elif state.phase is DkgPhase.JUSTIFICATION and member is not None:
            for dealer, complainer in sorted(state.complaints):
                if dealer == member.index:
                    answer = dkg.make_justification(
                        state, member.index, complainer, member.seed, self.secret_key
                    )
                    before = record.state
                    record.state = dkg.receive_justification(record.state, answer)
                    if record.state != before:
                        self._remember(answer)
                    out.append(answer)
        elif state.phase is DkgPhase.FINALIZATION:
            try:
                record.result = dkg.finalize(state)
                if member is not None:
                    member.secret_share = dkg.member_secret_share(
                        state, record.result, member.index, self.secret_key
                    )
            except SpecError as exc:
                record.failed = exc.code
                return out
            if record.kind is QuorumType.FINALITY:
                out.extend(self._judge(record))
            if member is not None:
                key = record.result.group_public_key
                root = _shares_root(record.result)
                height, session = record.base_height, state.session_id
                signature = commitment_signature(self.secret_key, height, session, key, root)
                signed = CommitmentSignature(height, session, key, root, member.index, signature)
                record.commitment_signatures[member.index] = signature
                out.append(signed)
                out.extend(self._maybe_commit(record))
        return out

    def _maybe_commit(self, record: SessionRecord) -> list[QuorumOutput]:
        """FIN-5: a member with ``t`` signatures of the result puts the commitment on chain.

        Again after :data:`RESUBMIT_AFTER_BLOCKS` if the chain still has none (its transaction was
        lost, or its block left the best chain); the node's mempool keeps one per block template.
        """
        if record.member is None or record.result is None:
            return []
        submitted = record.commitment_submitted_at
        if submitted is not None and self.height < submitted + RESUBMIT_AFTER_BLOCKS:
            return []
        if len(record.commitment_signatures) < record.state.threshold:
            return []
        chain_record = self.chain_state().quorums.of_type(record.kind).get(record.base_height)
        if chain_record is None or chain_record.group_public_key is not None:
            return []
        commitment = build_commitment(
            record.base_height,
            record.state.session_id,
            record.result.group_public_key,
            _shares_root(record.result),
            record.commitment_signatures,
            record.kind,  # MN-0 kind 3 or 5 (FIN-5/7)
        )
        tx = self.publish(commitment)
        if tx is None:
            return []
        record.commitment_submitted_at = self.height
        return [tx]

    # ------------------------------------------------------------------------- finality signing

    def _record_in_charge(self, height: int) -> SessionRecord | None:
        """FIN-2: the finished session of the quorum certifying ``height`` on the best chain."""
        base = finality_quorum_height(height, self.preset)
        if base is None:
            return None
        base_hash = self.best_hash_at(base)
        for record in self.sessions.values():
            if (
                record.kind is QuorumType.FINALITY
                and record.base_height == base
                and record.base_hash == base_hash
                and record.result is not None
            ):
                return record
        return None

    def quorum_public_key(self, height: int) -> bytes | None:
        """FIN-2/5: the committed group key certificates for ``height`` verify under (from the chain)."""
        return committed_finality_key(self.chain_state().quorums, height, self.preset)

    def _sign_tip(self, height: int, tip_hash: bytes) -> list[QuorumOutput]:
        """FIN-3: sign the best block at ``height`` if this node is a member of the quorum in charge."""
        record = self._record_in_charge(height)
        if record is None or record.member is None or record.member.secret_share is None:
            return []
        if record.result is None or self.quorum_public_key(height) != record.result.group_public_key:
            return []  # the chain committed another key (or none yet): shares would be useless
        if not may_sign_finality(self.last_signed_height, height):
            return []
        finalized = self.finalized
        if finalized is not None and not is_ancestor(self.block_index(), finalized, tip_hash):
            return []  # never vouch for a tip that left this node's finalized block (FORK-2)
        self._put("last_signed_height", str(height).encode())  # before the share can leave (FIN-3)
        share = sign_finality_share(record.state.session_id, record.member.secret_share, height, tip_hash)
        return self.receive(share)  # the share itself, once, then anything it completes

    def _session_for_share(self, share: SignatureShare) -> tuple[SessionRecord, int, bytes] | None:
        """The quorum, height and block a share's message is the finality message of (best chain only)."""
        for record in self.sessions.values():
            if record.state.session_id != share.quorum_id or record.result is None:
                continue
            if record.kind is not QuorumType.FINALITY:
                continue  # PoSe quorums sign penalties, not blocks
            for height in range(*finality_term(record.base_height, self.preset)):
                hash_ = self.best_hash_at(height)
                if hash_ is not None and finality_message(height, hash_) == share.message:
                    return record, height, hash_
        return None

    # ------------------------------------------------------------------------- receiving

    def receive(self, message: QuorumMessage) -> list[QuorumOutput]:
        """Handle one quorum message; return what to relay or send (empty: ignored or held).

        Raises :class:`InvalidQuorumMessage` for a message no honest relay sends (P2P-SCORE-4).
        """
        if isinstance(message, FinalityCertificate):
            return self._receive_certificate(message)
        if isinstance(message, SignatureShare):
            return self._receive_share(message)
        if isinstance(message, CommitmentSignature):
            return self._receive_commitment_signature(message)
        if isinstance(message, PoSeChallenge):
            return self._receive_challenge(message)
        if isinstance(message, PoSeResponse):
            return self._receive_response(message)
        return self._receive_dkg(message)

    def _receive_commitment_signature(self, signed: CommitmentSignature) -> list[QuorumOutput]:
        """FIN-5: keep (and relay) a member's valid signature of the result this node computed too."""
        record = self.sessions.get(signed.session_id)
        if record is None or record.result is None:
            self._hold(self.held_commitment_signatures, signed)
            return []
        if (signed.group_public_key, signed.key_shares_root) != (
            record.result.group_public_key,
            _shares_root(record.result),
        ):
            return []  # a member that computed another result (or lies): not ours to relay
        if signed.signer in record.commitment_signatures:
            return []
        chain_record = self.chain_state().quorums.of_type(record.kind).get(record.base_height)
        if chain_record is None:
            return []
        try:
            check_commitment_signature(chain_record, signed)
        except (BadCommitmentSignature, BadCommitmentSigners) as exc:  # P2P-SCORE-4
            raise InvalidQuorumMessage(exc.code) from exc
        except SpecError:
            return []
        record.commitment_signatures[signed.signer] = signed.signature
        return [signed, *self._maybe_commit(record)]

    def _receive_dkg(self, message: DkgMessage) -> list[QuorumOutput]:
        record = self.sessions.get(message.session_id)
        if record is None:
            self._hold_for_session(message)
            return []
        phase = _message_phase(message)
        if phase > record.state.phase:
            self._hold(record.held, message)
            return []
        before = record.state
        prior = record.state.contributions.get(message.dealer) if isinstance(message, Contribution) else None
        try:
            if isinstance(message, Contribution):
                record.state = dkg.receive_contribution(record.state, message)
            elif isinstance(message, Complaint):
                record.state = dkg.receive_complaint(record.state, message)
            else:
                record.state = dkg.receive_justification(record.state, message)
        except PROVABLY_INVALID_DKG as exc:  # P2P-SCORE-4
            raise InvalidQuorumMessage(exc.code) from exc
        except SpecError:
            return []  # another phase or a complaint not seen here: can be an honest race
        if record.state == before:
            return []
        self._remember(message)
        if isinstance(message, Contribution) and prior is not None and prior != message:
            # DKG-5; SLASH-1 tag 4: the prefix proofs fit one output whatever the quorum's size
            evidence = ContributionPrefixEvidence(
                record.base_height, signed_prefix(prior), signed_prefix(message)
            )
            return [message, *self._accuse(record, message.dealer, evidence)]
        return [message]

    def _locate_side_share(self, share: SignatureShare) -> tuple[SessionRecord, int, bytes] | None:
        """The quorum, height and block (any stored block, side branches too) a share signs."""
        for record in self.sessions.values():
            if record.state.session_id != share.quorum_id or record.result is None:
                continue
            if record.kind is not QuorumType.FINALITY:
                continue
            first, end = finality_term(record.base_height, self.preset)
            for hash_, entry in self.block_index().items():
                if first <= entry.height < end and finality_message(entry.height, hash_) == share.message:
                    return record, entry.height, hash_
        return None

    def _note_share(
        self, record: SessionRecord, height: int, hash_: bytes, share: SignatureShare, verified: bool
    ) -> list[QuorumOutput]:
        """SLASH-2 (detection): remember a member's first share per height; a valid second share for
        another block is double signing (FIN-3), and this node submits the evidence."""
        result = record.result
        if result is None or not 1 <= share.signer <= len(result.public_key_shares):
            return []
        key = (record.state.session_id, share.signer, height)
        seen = self.seen_shares.get(key)
        if seen is not None and seen[0] == hash_:
            return []
        if not verified:
            public = result.public_key_shares[share.signer - 1].value
            try:
                valid = bls.verify(public, share.message, share.signature)
            except SpecError:
                valid = False
            if not valid:
                return []
        if seen is None:
            self.seen_shares[key] = (hash_, bytes(share.signature))
            self.share_signers.setdefault((record.state.session_id, height), set()).add(
                share.signer
            )  # POSE-9
            return []
        keys = [s.value for s in result.public_key_shares]
        evidence = DoubleSignEvidence(
            quorum_height=record.base_height,
            member=share.signer,
            key_share=keys[share.signer - 1],
            key_share_proof=inclusion_proof(keys, share.signer - 1),
            height=height,
            first_block=seen[0],
            first_signature=seen[1],
            second_block=hash_,
            second_signature=bytes(share.signature),
        )
        return self._accuse(record, share.signer, evidence)

    def _accuse(self, record: SessionRecord, member: int, evidence: SlashingEvidence) -> list[QuorumOutput]:
        """SLASH-2..4: publish evidence the chain accepts now (once per session and member)."""
        accused = (record.state.session_id, member)
        if accused in self.accused:
            return []
        state = self.chain_state()
        try:
            check_evidence(state.quorums, state.masternodes, evidence, self.preset)
        except SpecError:
            return []  # not committed yet, our view is not the chain's, or slashed already
        tx = self.publish(evidence)
        if tx is None:
            return []
        self.accused.add(accused)
        return [tx]

    def _judge(self, record: SessionRecord) -> list[QuorumOutput]:
        """POSE-1..3: as a member of the judging PoSe quorum, sign a penalty share for every member
        the finished finality DKG excluded for failed service."""
        result = record.result
        judge = judging_quorum_height(record.base_height, self.preset)
        if result is None or judge is None or not service_failures(result):
            return []
        pose = next(
            (
                r
                for r in self.sessions.values()
                if r.kind is QuorumType.POSE and r.base_height == judge and r.result is not None
            ),
            None,
        )
        if pose is None or pose.result is None or pose.member is None or pose.member.secret_share is None:
            return []
        chain = self.chain_state()
        committed = chain.quorums.pose_records.get(judge)
        if committed is None or committed.group_public_key != pose.result.group_public_key:
            return []  # the chain has not committed (or committed another) PoSe key: shares are useless
        out: list[QuorumOutput] = []
        for index in service_failures(result):
            operator_key = record.state.members[index - 1]
            entry = next(
                (e for e in chain.masternodes.entries.values() if e.operator_public_key == operator_key), None
            )
            if entry is None:
                continue
            out.extend(self._penalty_share(pose, entry.collateral, judge))
        return out

    def _penalty_share(self, pose: SessionRecord, target: OutPoint, judge: int) -> list[QuorumOutput]:
        """POSE-3: sign (once) this member's share of the penalty of ``target`` by the PoSe quorum
        ``pose`` based at ``judge`` (POSE-1 and POSE-7 verdicts share the session)."""
        result, member = pose.result, pose.member
        if result is None or member is None or member.secret_share is None:
            return []
        session = penalty_session(
            pose.state.session_id, result.public_key_shares, result.threshold, target, judge
        )
        key = (session.quorum_id, session.message)
        if key in self.penalties:
            return []  # signed already (the other verdict reached it first)
        self.penalties[key] = (session, target, judge)
        share = make_signature_share(session.quorum_id, session.message, member.secret_share)
        return self._receive_share(share)

    # ------------------------------------------------------------------------- PoSe challenges

    def _pose_record_in_charge(self, height: int) -> SessionRecord | None:
        """POSE-4: this member's finished PoSe session in charge at ``height`` whose key the chain
        committed (``None``: not a member, not finished, or the chain has another key)."""
        base = pose_quorum_height(height, self.preset)
        if base is None:
            return None
        base_hash = self.best_hash_at(base)
        for record in self.sessions.values():
            if (
                record.kind is QuorumType.POSE
                and record.base_height == base
                and record.base_hash == base_hash
                and record.result is not None
                and record.member is not None
                and record.member.secret_share is not None
            ):
                committed = self.chain_state().quorums.pose_records.get(base)
                if committed is not None and committed.group_public_key == record.result.group_public_key:
                    return record
        return None

    def _challenge_round(self, height: int) -> list[QuorumOutput]:
        """POSE-4/7/11: challenge once in the window the ACTIVE masternodes whose challenger subset holds
        this member; at the deadline judge every target of the subset challenges seen."""
        record = self._pose_record_in_charge(height)
        if record is None or record.member is None:
            return []
        base = record.base_height
        first, deadline = challenge_window(base, self.preset)
        out: list[QuorumOutput] = []
        chain = self.chain_state()
        if first <= height < deadline and base not in self.issued:
            issued: dict[OutPoint, bytes] = {}
            members = len(record.state.members)
            index = record.member.index
            for target in assigned_targets(
                chain.masternodes, self.public_key, base, index, members, self.preset
            ):
                challenge = make_challenge(self.secret_key, base, index, target, os.urandom(32))
                digest = challenge_digest(challenge)
                issued[target] = digest
                self.challenges[digest] = challenge
                self.challenged.setdefault(base, set()).add(target)
                out.append(challenge)
            self.issued[base] = issued
        elif height >= deadline and base in self.issued and base not in self.judged_terms:
            self.judged_terms.add(base)
            answered = self.answered.get(base, {})
            for target in unanswered(self.challenged.get(base, set()), answered, base, self.preset):
                entry = chain.masternodes.entries.get(target)
                if entry is not None and entry.status is MasternodeStatus.ACTIVE:
                    out.extend(self._penalty_share(record, target, base))
        return out

    def _receive_challenge(self, challenge: PoSeChallenge) -> list[QuorumOutput]:
        """POSE-5: relay a valid challenge once; answer it (POSE-6) if it names this node's masternode."""
        digest = challenge_digest(challenge)
        if digest in self.challenges or len(self.challenges) >= MAX_CHALLENGES:
            return []
        chain = self.chain_state()
        record = chain.quorums.pose_records.get(challenge.quorum_height)
        if record is None:
            return []  # not a PoSe quorum of this node's chain (a fork, or too far ahead)
        try:
            check_challenge(record, chain.masternodes, challenge, self.height, self.preset)
        except (PoSeUnknownChallenger, PoSeNotChallenger, PoSeBadChallengeSignature) as exc:  # P2P-SCORE-4
            raise InvalidQuorumMessage(exc.code) from exc
        except PoSeChallengeOutOfTerm:
            if self.height < challenge_window(challenge.quorum_height, self.preset)[0]:
                self._hold(self.held_challenges, challenge)  # the challenger is a block or two ahead
            return []
        except SpecError:
            return []  # another list view: can be an honest race
        self.challenges[digest] = challenge
        self.challenged.setdefault(challenge.quorum_height, set()).add(challenge.target)
        out: list[QuorumOutput] = [challenge]
        target = chain.masternodes.entries[challenge.target]
        if target.operator_public_key == self.public_key:
            out.extend(self._receive_response(make_response(self.secret_key, challenge)))
        return out

    def _receive_response(self, response: PoSeResponse) -> list[QuorumOutput]:
        """POSE-6/7: relay a valid response once; record when the first in-time answer of its target
        arrived (every member judges every target of the subset's challenges, POSE-11)."""
        challenge = self.challenges.get(response.challenge)
        if challenge is None or response.challenge in self.responded:
            return []
        try:
            check_response(self.chain_state().masternodes, challenge, response)
        except PoSeBadResponseSignature as exc:  # P2P-SCORE-4
            raise InvalidQuorumMessage(exc.code) from exc
        except SpecError:
            return []
        self.responded.add(response.challenge)
        quorum_height, target = challenge.quorum_height, challenge.target
        try:
            check_response_in_time(quorum_height, self.height, self.preset)
        except SpecError:
            pass  # late: POSE-7 judges it unanswered
        else:
            self.answered.setdefault(quorum_height, {}).setdefault(target, self.height)
        return [response]

    # ------------------------------------------------------------------------- missed finality shares

    def _share_round(self, height: int) -> list[QuorumOutput]:
        """POSE-9/10: at the verdict height of the PoSe term in charge, as a member of that quorum
        that watched the whole window, sign a penalty share for each ACTIVE masternode whose
        operator key missed more than the tolerance of the window's finalized heights."""
        record = self._pose_record_in_charge(height)
        if record is None:
            return []
        base = record.base_height
        first, end, verdict = share_window(base, self.preset)
        if height < verdict or base in self.share_judged or self.first_tip is None or self.first_tip >= first:
            return []
        self.share_judged.add(base)
        chain = self.chain_state()
        observed: list[HeightShares] = []
        for h in range(first, end):
            finality_base = finality_quorum_height(h, self.preset)
            finality = None if finality_base is None else chain.quorums.records.get(finality_base)
            if finality is not None:
                signers = self.share_signers.get((finality.session_id, h), set())
                observed.append(HeightShares(h, finality, frozenset(signers)))
        out: list[QuorumOutput] = []
        for target in share_failures(chain.masternodes, observed, base, self.preset):
            out.extend(self._penalty_share(record, target, base))
        return out

    def _receive_penalty_share(self, share: SignatureShare) -> list[QuorumOutput]:
        """POSE-3: add a PoSe member's penalty share; with ``t`` of them, publish the penalty (once)."""
        key = (share.quorum_id, share.message)
        session, target, judge = self.penalties[key]
        if len(session.shares) >= session.threshold:
            return []
        try:
            session = add_signature_share(session, share)
        except SpecError:
            return []
        self.penalties[key] = (session, target, judge)
        out: list[QuorumOutput] = [share]
        if len(session.shares) >= session.threshold and key not in self.penalised:
            tx = self.publish(penalty_from_session(session, target, judge))
            if tx is not None:
                self.penalised.add(key)
                out.append(tx)
        return out

    def _receive_share(self, share: SignatureShare) -> list[QuorumOutput]:
        for handler in self.share_handlers:
            handled = handler(share)
            if handled is not None:
                return handled
        if (share.quorum_id, share.message) in self.penalties:
            return self._receive_penalty_share(share)
        found = self._session_for_share(share)
        if found is None:
            side = self._locate_side_share(share)
            if side is not None:
                return self._note_share(*side, share, verified=False)
            self._hold(self.held_shares, share)
            return []
        record, height, hash_ = found
        result = record.result
        if result is None:
            return []
        key = (share.quorum_id, share.message)
        session = self.signing.get(key)
        if session is None:
            session = finality_session(
                share.quorum_id, result.public_key_shares, result.threshold, height, hash_
            )
        already = session.shares
        if len(already) >= session.threshold:
            return self._note_share(record, height, hash_, share, verified=False)  # certified already
        try:
            session = add_signature_share(session, share)
        except (SignDuplicateShare, SignWrongSession):
            return []
        except SpecError as exc:  # P2P-SCORE-4 when this node's DKG view is the one committed
            if self.quorum_public_key(height) == result.group_public_key:
                raise InvalidQuorumMessage(exc.code) from exc
            return []
        self.signing[key] = session
        out: list[QuorumOutput] = [share, *self._note_share(record, height, hash_, share, verified=True)]
        if len(session.shares) >= session.threshold:
            certificate = sign_block_finality(session, height, hash_)
            with contextlib.suppress(InvalidQuorumMessage):  # our own view disagrees with the chain
                out.extend(self._receive_certificate(certificate))
        return out

    def _receive_certificate(self, certificate: FinalityCertificate) -> list[QuorumOutput]:
        index = self.block_index()
        previous = self.finalized
        if previous is not None and previous in index and certificate.height <= index[previous].height:
            return []  # finality only moves forward (FORK-2): nothing to check, keep or relay
        if certificate.block_hash not in index:
            self._hold(self.pending_certificates, certificate)
            return []
        entry = index[certificate.block_hash]
        key = self.quorum_public_key(certificate.height)
        if entry.height == certificate.height and key is not None:
            try:
                valid = verify_finality_certificate(certificate, key)
            except SpecError:
                valid = False
            if not valid:  # P2P-SCORE-4: a known block, the committed key, a bad signature
                raise InvalidQuorumMessage("the certificate does not verify under the committed key")
        newest = newest_finalized(index, [certificate], self.quorum_public_key, previous)
        if newest == previous or newest != certificate.block_hash:
            return []
        self.db.execute(
            "INSERT OR REPLACE INTO certificates (height, data) VALUES (?, ?)",
            (certificate.height, encode_finality_certificate(certificate)),
        )
        self._put("finalized", certificate.block_hash)
        return [certificate]

    def _hold_for_session(self, message: DkgMessage) -> None:
        """Keep a DKG message of a session not opened yet: at most :data:`MAX_HELD_SESSIONS` sessions,
        first come first kept (a flood of made-up session ids cannot push out a real one that came
        first), :data:`MAX_HELD_PER_SESSION` messages each, for :data:`HELD_SESSION_BLOCKS` blocks."""
        entry = self.held_sessions.get(message.session_id)
        if entry is None:
            if len(self.held_sessions) >= MAX_HELD_SESSIONS:
                return
            entry = (self.height, [])
            self.held_sessions[message.session_id] = entry
        messages = entry[1]
        if len(messages) < MAX_HELD_PER_SESSION and message not in messages:
            messages.append(message)

    def _release_held_sessions(self, height: int) -> list[QuorumOutput]:
        """Hand the held messages of sessions now open to the session; forget the expired ones."""
        out: list[QuorumOutput] = []
        for session_id, (since, messages) in list(self.held_sessions.items()):
            if session_id in self.sessions:
                del self.held_sessions[session_id]
                out.extend(self._receive_held(list(messages)))
            elif height > since + HELD_SESSION_BLOCKS:
                del self.held_sessions[session_id]
        return out

    @staticmethod
    def _hold(bucket: list[H], message: H) -> None:
        """Keep ``message`` for later (once), dropping the oldest beyond :data:`MAX_HELD_MESSAGES`."""
        if message in bucket:
            return
        bucket.append(message)
        del bucket[:-MAX_HELD_MESSAGES]

    def status(self) -> dict[str, object]:
        """Finality as RPC shows it."""
        finalized = self.finalized
        return {
            "operator_public_key": self.public_key.hex(),
            "finalized": None if finalized is None else finalized.hex(),
            "finalized_height": self.finalized_height(),
            "last_signed_height": self.last_signed_height,
            "sessions": [
                {
                    "base_height": r.base_height,
                    "kind": r.kind.name.lower(),
                    "members": len(r.state.members),
                    "threshold": r.state.threshold,
                    "member_index": None if r.member is None else r.member.index,
                    "phase": r.state.phase.name,
                    "qualified": None if r.result is None else list(r.result.qualified),
                    "group_public_key": None if r.result is None else r.result.group_public_key.hex(),
                    "failed": r.failed,
                    "commitment_signatures": sorted(r.commitment_signatures),
                    "commitment_submitted_at": r.commitment_submitted_at,
                }
                for r in sorted(self.sessions.values(), key=lambda r: r.base_height)
            ],
        }
