"""Vectors of the ``p2p`` flow: frames of every command (valid, and one invalid case per frame
error), the handshake check, block locators, fork location, GetHeaders answers, headers-first
acceptance, compact blocks (short ids, making, reconstruction with and without missing
transactions, BlockTxn answers), Kademlia buckets and closest nodes, and misbehaviour scores.

Blocks come from a devnet chain mined by :class:`conformance.chainbuilder.ChainBuilder` with signed
payments; ids, hashes and nonces from :func:`conformance.seeded.seeded_bytes`. The quorum messages
(P2P-5) are real: a four-member DKG (:mod:`conformance.dkgbuilder`) in which dealer 2 deals member 4
a bad share, member 4's complaint, dealer 2's justification, a signature share and a finality
certificate of that quorum for block 30 of the chain, and member 2's operator-key signature of the
quorum's commitment (FIN-5). Frames and compact
blocks do not depend on proof of work, so mainnet gets the same cases (its limits differ); header
acceptance needs mined headers and exists for devnet only, as the chain flow's block sequences.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

from conformance.chainbuilder import ChainBuilder, mine
from conformance.dkgbuilder import (
    Finished,
    certify,
    complaints,
    contribution,
    finality_share,
    finish,
    justifications,
    make_quorum,
    tampered,
)
from conformance.generators.chain import spend
from conformance.generators.masternode import challenge_scenario
from conformance.handlers.dkg import certificate_to_json
from conformance.handlers.p2p import manifest_json, node_json
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.snapshotfinality import finality_fixture, other_secret
from conformance.wallet import key
from spec.chain.block import (
    Block,
    BlockHeader,
    TicketVote,
    block_hash,
    encode_block,
    encode_header,
    max_block_transactions,
    transactions_root,
    votes_root,
)
from spec.chain.commitment import SINGLETON_KEYS, compute_state_items
from spec.chain.forkchoice import FinalityCertificate, encode_finality_certificate, finality_message
from spec.chain.pow import hash_meets_target, target_from_bits
from spec.chain.state import coinbase_for, initial_state
from spec.crypto import bls
from spec.encoding import encode, varint_encode
from spec.ledger.state_snapshot import (
    MAX_CHUNK_PROOF,
    STATE_MANIFEST_CODEC,
    StateSnapshotManifest,
    make_state_snapshot,
    state_chunk_proof,
    utxo_state_items,
)
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    encode_transaction,
    txid,
    wtxid,
)
from spec.masternode import dkg
from spec.masternode.dkg import Complaint, Contribution, Justification
from spec.masternode.finality import CommitmentSignature, commitment_signature
from spec.masternode.signing import SignatureShare
from spec.p2p.compact import make_compact_block
from spec.p2p.messages import (
    MAX_SNAPSHOT_MANIFESTS,
    NO_STOP_HASH,
    SERVICE_FULL_NODE,
    SERVICE_PRUNED,
    BlockMessage,
    BlockTxn,
    CertifiedManifest,
    Command,
    CompactBlock,
    FindNode,
    GetBlockTxn,
    GetData,
    GetHeaders,
    GetSidechainBlocks,
    GetSnapshotChunk,
    GetSnapshotManifests,
    Headers,
    Inv,
    InvItem,
    InvKind,
    Message,
    NodeAddress,
    Nodes,
    NotFound,
    Ping,
    Pong,
    PrefilledTransaction,
    SidechainBlockMessage,
    SidechainTxMessage,
    SnapshotChunkMessage,
    SnapshotManifests,
    TxMessage,
    Verack,
    Version,
    checksum,
    encode_frame,
    encode_payload,
)
from spec.p2p.peers import Violation
from spec.p2p.sync import block_locator, chain_hashes
from spec.presets import DEVNET, Preset
from spec.sidechain.chain import MainchainInputs, SidechainBlock, build_sidechain_block, genesis_state
from spec.sidechain.header import Deposit
from spec.vm.ferris import FerrisTransaction, FerrisTxKind, compute_account_id, p2pkh_locking_script
from spec.vm.ferris import encode_transaction as encode_ferris_transaction
from spec.vm.ferris import sign_transaction as sign_ferris_transaction
from spec.vm.interface import VmKind

CHAIN_LENGTH = 40
PAYMENT_HEIGHT = 8
PAYMENTS = 4
FORK_HEIGHT = 25
FEE = 1_000
CERTIFIED_HEIGHT = 30
QUORUM_MEMBERS = 4
QUORUM_THRESHOLD = 3


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error)


def _hexes(items: Sequence[bytes]) -> list[JSON]:
    return [item.hex() for item in items]


# --------------------------------------------------------------------------------------------
# Shared inputs: a mined devnet chain with payments, a fork, synthetic blocks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class P2PChain:
    """The mined devnet chain of the p2p vectors, a fork of it, and spare mempool transactions."""

    builder: ChainBuilder
    fork: tuple[Block, ...]
    spare: tuple[Transaction, ...]

    @property
    def headers(self) -> list[BlockHeader]:
        return [block.header for block in self.builder.blocks]

    @property
    def payment_block(self) -> Block:
        return self.builder.blocks[PAYMENT_HEIGHT]


def _coinbase_spend(builder: ChainBuilder, height: int, label: str) -> Transaction:
    """Spend the coinbase of block ``height`` (mined by the builder's miner) to ``label``'s key."""
    state = builder.state
    outpoint = OutPoint(txid(builder.blocks[height].transactions[0], DEVNET), 0)
    value = state.utxos[outpoint].output.value
    return spend(
        state, [outpoint], [builder.miner], [TxOutput(value - FEE, key(label).script_pubkey)], DEVNET
    )


@cache
def p2p_chain() -> P2PChain:
    """A 40-block devnet chain whose block 8 carries four payments, and a 6-block fork from 25."""
    builder = ChainBuilder(DEVNET)
    for _ in range(PAYMENT_HEIGHT):
        builder.extend()
    builder.extend([_coinbase_spend(builder, h, f"p2p/payee/{h}") for h in range(PAYMENTS)])
    spare = tuple(_coinbase_spend(builder, h, f"p2p/spare/{h}") for h in range(PAYMENTS, PAYMENTS + 3))
    while len(builder.blocks) < CHAIN_LENGTH:
        builder.extend()
    fork = ChainBuilder(DEVNET, states=builder.states[: FORK_HEIGHT + 1], blocks=builder.blocks[:FORK_HEIGHT])
    for _ in range(6):
        fork.extend(timestamp=fork.state.timestamps[-1] + 3)
    return P2PChain(builder, tuple(fork.blocks[FORK_HEIGHT:]), spare)


def synthetic_transaction(label: str) -> Transaction:
    """A well-formed, unsigned (not ledger-valid) one-in-one-out transaction derived from ``label``."""
    outpoint = OutPoint(seeded_bytes(f"p2p/tx/{label}", 32), 0)
    script = seeded_bytes(f"p2p/script/{label}", 40)
    return Transaction(1, (TxInput(outpoint, script, SEQUENCE_FINAL),), (TxOutput(1_000, script[:34]),), 0)


def synthetic_block(label: str, count: int, preset: Preset) -> Block:
    """A well-formed unmined block: a coinbase and ``count`` synthetic transactions, with the header's
    Merkle root committing to them (compact relay checks nothing else)."""
    coinbase = coinbase_for(9, 0, key("miner").script_pubkey, (), None, preset)
    body = (coinbase, *(synthetic_transaction(f"{label}/{i}") for i in range(count)))
    header = BlockHeader(
        1,
        9,
        seeded_bytes(f"p2p/parent/{label}", 32),
        transactions_root(body, preset),
        votes_root((), preset),
        seeded_bytes(f"p2p/state/{label}", 32),
        preset.chain.genesis_timestamp,
        preset.chain.pow_limit_bits,
        0,
    )
    return Block(header, (), body)


def node_id(label: str) -> bytes:
    """A seeded 32-byte node id."""
    return seeded_bytes(f"p2p/node/{label}", 32)


def node_in_bucket(own: bytes, bucket: int, label: str) -> bytes:
    """A seeded node id whose XOR distance to ``own`` puts it in ``bucket`` (256-bit ids)."""
    gap = int.from_bytes(seeded_bytes(f"p2p/gap/{label}", 32), "big") >> (bucket + 1)
    gap |= 1 << (255 - bucket)
    return (int.from_bytes(own, "big") ^ gap).to_bytes(32, "big")


def _address(identifier: bytes, index: int) -> NodeAddress:
    return NodeAddress(identifier, bytes([127, 0, 0, 1]), 20_000 + index)


@dataclass(frozen=True)
class QuorumMessages:
    """P2P-5: one genuine message of each quorum command, from one DKG and its finished quorum."""

    contribution: Contribution
    complaint: Complaint
    justification: Justification
    signature_share: SignatureShare
    certificate: FinalityCertificate
    commitment_signature: CommitmentSignature
    finished: Finished


@cache
def quorum_messages(preset: Preset) -> QuorumMessages:
    """Dealer 1's contribution; member 4's complaint against dealer 2 (who dealt it a bad share) and
    dealer 2's answer; member 3's signature share and the certificate of members 1, 2, 4 finalizing
    block :data:`CERTIFIED_HEIGHT` of the p2p chain; member 2's signature of the quorum's commitment
    (FIN-5: quorum height = the session's start height, its session id and group key)."""
    quorum = make_quorum("p2p", QUORUM_MEMBERS, QUORUM_THRESHOLD, preset)
    dealt = [
        contribution(quorum, 1),
        tampered(quorum, 2, [4]),
        contribution(quorum, 3),
        contribution(quorum, 4),
    ]
    state = quorum.session
    for message in dealt:
        state = dkg.receive_contribution(state, message)
    state = dkg.advance_phase(state)
    complaint = complaints(quorum, state, [4])[0]
    state = dkg.advance_phase(dkg.receive_complaint(state, complaint))
    justification = justifications(quorum, state, [2])[0]
    finished = finish(quorum)
    block_id = chain_hashes(p2p_chain().headers, DEVNET)[CERTIFIED_HEIGHT]
    session = quorum.session
    group_key = finished.group_public_key
    root = finished.key_shares_root
    signed = commitment_signature(
        quorum.secrets[1], session.start_height, session.session_id, group_key, root
    )
    return QuorumMessages(
        dealt[0],
        complaint,
        justification,
        finality_share(finished, 3, CERTIFIED_HEIGHT, block_id),
        certify(finished, CERTIFIED_HEIGHT, block_id, [1, 2, 4]),
        CommitmentSignature(session.start_height, session.session_id, group_key, root, 2, signed),
        finished,
    )


# --------------------------------------------------------------------------------------------
# Frames (P2P-1..4) and the handshake
# --------------------------------------------------------------------------------------------


def raw_frame(
    command: int,
    payload: bytes,
    preset: Preset,
    magic: bytes | None = None,
    length: int | None = None,
    check: bytes | None = None,
) -> bytes:
    """A frame built field by field (any field may be wrong on purpose)."""
    return (
        (preset.network.magic if magic is None else magic)
        + bytes([command])
        + (len(payload) if length is None else length).to_bytes(4, "little")
        + (checksum(payload) if check is None else check)
        + payload
    )


SNAPSHOT_HEIGHT = 20
"""P2P-SNAP samples: the snapshot of the p2p chain's state after this block."""


def sample_snapshot(preset: Preset) -> tuple[StateSnapshotManifest, tuple[bytes, ...]]:
    """SNAP-5/6: the manifest and chunks of the p2p chain's UTXO items after block 20 (two chunks
    under devnet's 16 items per chunk)."""
    chain = p2p_chain()
    block = chain.builder.blocks[SNAPSHOT_HEIGHT]
    state = chain.builder.states[SNAPSHOT_HEIGHT + 1]
    items = utxo_state_items(state.utxos, preset)
    return make_state_snapshot(items, block_hash(block.header, DEVNET), SNAPSHOT_HEIGHT, preset)


def _snapshot_messages(preset: Preset) -> list[tuple[str, Message]]:
    manifest, chunks = sample_snapshot(preset)
    last = manifest.chunk_count - 1
    certified = CertifiedManifest(manifest, quorum_messages(preset).certificate)  # block 30 descends
    return [
        ("get_snapshot_manifests", GetSnapshotManifests(SNAPSHOT_HEIGHT)),
        ("snapshot_manifests", SnapshotManifests((certified,))),
        ("snapshot_manifests_empty", SnapshotManifests(())),
        ("get_snapshot_chunk", GetSnapshotChunk(manifest.block_hash, manifest.chunk_root, last)),
        (
            "snapshot_chunk",
            SnapshotChunkMessage(
                manifest.block_hash, manifest.chunk_root, last, chunks[last], state_chunk_proof(chunks, last)
            ),
        ),
        ("snapshot_chunk_absent", SnapshotChunkMessage(manifest.block_hash, manifest.chunk_root, 0, b"", ())),
    ]


def _snapshot_frame_cases(preset: Preset) -> Iterator[CaseSpec]:
    """P2P-SNAP: invalid snapshot frames (checksums correct)."""
    manifest, _ = sample_snapshot(preset)
    certificate = encode_finality_certificate(quorum_messages(preset).certificate)
    one = encode(STATE_MANIFEST_CODEC, manifest) + certificate
    chunk_head = manifest.block_hash + manifest.chunk_root + bytes(4) + varint_encode(0)
    cases = [
        (
            "snapshot_manifests_too_many",
            f"P2P-SNAP: {MAX_SNAPSHOT_MANIFESTS + 1} manifests (MAX_SNAPSHOT_MANIFESTS + 1)",
            raw_frame(
                Command.SNAPSHOT_MANIFESTS,
                varint_encode(MAX_SNAPSHOT_MANIFESTS + 1) + one * (MAX_SNAPSHOT_MANIFESTS + 1),
                preset,
            ),
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "snapshot_manifest_truncated",
            f"P2P-SNAP: a manifest and certificate of {len(one) - 1} bytes",
            raw_frame(Command.SNAPSHOT_MANIFESTS, varint_encode(1) + one[:-1], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "snapshot_manifest_without_certificate",
            "P2P-SNAP: a manifest (124 bytes) without its certificate (SNAP-9: every manifest has one)",
            raw_frame(Command.SNAPSHOT_MANIFESTS, varint_encode(1) + one[: -len(certificate)], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "snapshot_chunk_proof_too_long",
            f"P2P-SNAP: an inclusion proof of {MAX_CHUNK_PROOF + 1} hashes (MAX_CHUNK_PROOF + 1)",
            raw_frame(
                Command.SNAPSHOT_CHUNK,
                chunk_head + varint_encode(MAX_CHUNK_PROOF + 1) + bytes(32) * (MAX_CHUNK_PROOF + 1),
                preset,
            ),
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "get_snapshot_chunk_trailing",
            "P2P-SNAP: a GetSnapshotChunk with a trailing byte",
            raw_frame(Command.GET_SNAPSHOT_CHUNK, bytes(68) + b"\x00", preset),
            "DECODE_TRAILING_BYTES",
        ),
    ]
    for case, description, frame, error in cases:
        yield _case("decode_frame", case, description, {"frame": frame.hex()}, error)


def sample_messages(preset: Preset) -> list[tuple[str, Message]]:
    """One valid message of every command (the case name first)."""
    chain = p2p_chain()
    headers = chain.headers
    hashes = chain_hashes(headers, DEVNET)
    block = chain.payment_block
    payment = block.transactions[1]
    compact = make_compact_block(block, 0x1122334455667788, [2], preset)
    items = (InvItem(InvKind.TX, wtxid(payment, preset)), InvItem(InvKind.BLOCK, hashes[PAYMENT_HEIGHT]))
    quorum = quorum_messages(preset)
    return [
        (
            "version",
            Version(
                preset.network.protocol_version,
                SERVICE_FULL_NODE,
                node_id("version"),
                18444,
                CHAIN_LENGTH - 1,
                0x0123456789ABCDEF,
                b"/rusty-spec:0.1/",
            ),
        ),
        ("verack", Verack()),
        ("ping", Ping(0xFEDCBA9876543210)),
        ("pong", Pong(0)),
        ("get_headers", GetHeaders(block_locator(hashes[:30]), NO_STOP_HASH)),
        ("get_headers_stop", GetHeaders(block_locator(hashes[:10]), hashes[20])),
        ("headers", Headers(tuple(headers[30:35]))),
        ("headers_empty", Headers(())),
        ("inv", Inv(items)),
        ("get_data", GetData(items[1:])),
        ("not_found", NotFound(items[:1])),
        ("block", BlockMessage(block)),
        ("tx", TxMessage(payment)),
        ("compact_block", compact),
        ("get_block_txn", GetBlockTxn(hashes[PAYMENT_HEIGHT], (1, 3, 4, 200))),
        ("block_txn", BlockTxn(hashes[PAYMENT_HEIGHT], block.transactions[1:3])),
        ("find_node", FindNode(node_id("target"))),
        (
            "nodes",
            Nodes(
                (
                    NodeAddress(node_id("a"), bytes([127, 0, 0, 1]), 18444),
                    NodeAddress(node_id("b"), bytes(15) + b"\x01", 18445),
                    NodeAddress(node_id("c"), b"seed.rusty.example", 65535),
                )
            ),
        ),
        ("dkg_contribution", quorum.contribution),
        ("dkg_complaint", quorum.complaint),
        ("dkg_justification", quorum.justification),
        ("signature_share", quorum.signature_share),
        ("finality_certificate", quorum.certificate),
        ("commitment_signature", quorum.commitment_signature),
        ("pose_challenge", challenge_scenario(preset).challenge),
        ("pose_response", challenge_scenario(preset).response),
        *_snapshot_messages(preset),
        *_sidechain_messages(preset),
    ]


SIDECHAIN_SAMPLE_ID = 1
"""P2P-SC samples: the sidechain they belong to."""


def sample_sidechain_transaction(preset: Preset) -> bytes:
    """P2P-SC-2: a signed FerrisScript transfer (VMF-2/5) of a fixed key."""
    seed = seeded_bytes("p2p/sidechain-sender", 32)
    tx = FerrisTransaction(
        int(FerrisTxKind.TRANSFER),
        SIDECHAIN_SAMPLE_ID,
        0,
        5_000,
        1_000,
        0,
        seeded_bytes("p2p/sidechain-recipient", 32),
        b"",
        p2pkh_locking_script(seed),
        b"",
    )
    return encode_ferris_transaction(sign_ferris_transaction(tx, seed))


def sample_sidechain_block(preset: Preset) -> SidechainBlock:
    """P2P-SC-1: block 1 of a FerrisScript sidechain (genesis cursor 9) crediting one deposit at
    mainchain height 10 to the sender of :func:`sample_sidechain_transaction`, then that transfer."""
    sender = compute_account_id(p2pkh_locking_script(seeded_bytes("p2p/sidechain-sender", 32)))
    genesis = genesis_state(VmKind.FERRIS, SIDECHAIN_SAMPLE_ID, 0, 9)
    deposit = Deposit(SIDECHAIN_SAMPLE_ID, 10, 0, bytes(32), 1, sender, 100_000)
    inputs = MainchainInputs(12, 2, (deposit,), ())
    return build_sidechain_block(
        genesis, [sample_sidechain_transaction(preset)], inputs, 1_700_000_000, 10, preset
    )


def _sidechain_messages(preset: Preset) -> list[tuple[str, Message]]:
    block = sample_sidechain_block(preset)
    return [
        ("sidechain_block", SidechainBlockMessage(block)),
        ("sidechain_block_empty", SidechainBlockMessage(SidechainBlock(block.header, ()))),
        ("sidechain_tx", SidechainTxMessage(SIDECHAIN_SAMPLE_ID, sample_sidechain_transaction(preset))),
        ("get_sidechain_blocks", GetSidechainBlocks(SIDECHAIN_SAMPLE_ID, 1, 1)),
        (
            "get_sidechain_blocks_max",
            GetSidechainBlocks(SIDECHAIN_SAMPLE_ID, 300, preset.sidechains.max_blocks_per_request),
        ),
    ]


def _sidechain_frame_cases(preset: Preset) -> Iterator[CaseSpec]:
    """P2P-SC: invalid sidechain frames (checksums correct)."""
    block = encode_payload(SidechainBlockMessage(sample_sidechain_block(preset)), preset)
    tx = encode_payload(SidechainTxMessage(SIDECHAIN_SAMPLE_ID, b"\x01\x02"), preset)
    cases = [
        (
            "sidechain_block_truncated",
            "P2P-SC-1: a sidechain block whose last transaction is one byte short",
            raw_frame(Command.SIDECHAIN_BLOCK, block[:-1], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "sidechain_block_trailing",
            "P2P-SC-1: a sidechain block with a trailing byte",
            raw_frame(Command.SIDECHAIN_BLOCK, block + b"\x00", preset),
            "DECODE_TRAILING_BYTES",
        ),
        (
            "sidechain_tx_noncanonical_id",
            "P2P-SC-2: the sidechain id as a two-byte varint of 1 (ENC-1)",
            raw_frame(Command.SIDECHAIN_TX, b"\x81\x00" + tx[1:], preset),
            "DECODE_NONCANONICAL_VARINT",
        ),
        (
            "sidechain_tx_too_long",
            "P2P-SC-2: a transaction length above max_message_bytes",
            raw_frame(
                Command.SIDECHAIN_TX,
                b"\x01" + varint_encode(preset.network.max_message_bytes + 1),
                preset,
            ),
            "DECODE_LENGTH_LIMIT",
        ),
    ]
    limit = preset.sidechains.max_blocks_per_request
    cases += [
        (
            "get_sidechain_blocks_zero_count",
            "P2P-SC-3: a request for 0 blocks",
            raw_frame(Command.GET_SIDECHAIN_BLOCKS, b"\x01\x01\x00", preset),
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "get_sidechain_blocks_too_many",
            "P2P-SC-3: a request for max_blocks_per_request + 1 blocks",
            raw_frame(Command.GET_SIDECHAIN_BLOCKS, b"\x01\x01" + varint_encode(limit + 1), preset),
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "get_sidechain_blocks_truncated",
            "P2P-SC-3: a request without its count",
            raw_frame(Command.GET_SIDECHAIN_BLOCKS, b"\x01\x01", preset),
            "DECODE_TRUNCATED",
        ),
        (
            "get_sidechain_blocks_noncanonical_height",
            "P2P-SC-3: the start height as a two-byte varint of 1 (ENC-1)",
            raw_frame(Command.GET_SIDECHAIN_BLOCKS, b"\x01\x81\x00\x01", preset),
            "DECODE_NONCANONICAL_VARINT",
        ),
    ]
    for case, description, frame, error in cases:
        yield _case("decode_frame", case, description, {"frame": frame.hex()}, error)


def _quorum_frame_cases(preset: Preset) -> Iterator[CaseSpec]:
    """P2P-5: invalid quorum frames (the payload codecs of the masternode flow, checksums correct)."""
    quorum = quorum_messages(preset)
    limit = preset.quorum.max_members
    contribution_head = quorum.contribution.session_id + quorum.contribution.dealer.to_bytes(2, "little")
    certificate = encode_finality_certificate(quorum.certificate)
    share = encode_payload(quorum.signature_share, preset)
    complaint = encode_payload(quorum.complaint, preset)
    justification = encode_payload(quorum.justification, preset)
    signed = encode_payload(quorum.commitment_signature, preset)
    commitments = varint_encode(QUORUM_THRESHOLD) + b"".join(quorum.contribution.commitments)
    cases = [
        (
            "contribution_too_many_commitments",
            f"P2P-5: a contribution announcing quorum.max_members + 1 = {limit + 1} commitments",
            raw_frame(Command.DKG_CONTRIBUTION, contribution_head + varint_encode(limit + 1), preset),
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "contribution_too_many_shares",
            f"P2P-5: a contribution announcing quorum.max_members + 1 = {limit + 1} shares",
            raw_frame(
                Command.DKG_CONTRIBUTION, contribution_head + commitments + varint_encode(limit + 1), preset
            ),
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "contribution_short_commitment",
            "P2P-5: a contribution whose list ends inside its last 48-byte commitment",
            raw_frame(Command.DKG_CONTRIBUTION, contribution_head + commitments[:-1], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "complaint_truncated",
            "P2P-5: a complaint missing the last byte of its signature",
            raw_frame(Command.DKG_COMPLAINT, complaint[:-1], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "justification_trailing",
            "P2P-5: a justification with a byte after its signature",
            raw_frame(Command.DKG_JUSTIFICATION, justification + b"\x00", preset),
            "DECODE_TRAILING_BYTES",
        ),
        (
            "signature_share_truncated",
            "P2P-5: a signature share without its signature",
            raw_frame(Command.SIGNATURE_SHARE, share[:-96], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "certificate_truncated",
            "P2P-5: a finality certificate of 135 bytes",
            raw_frame(Command.FINALITY_CERTIFICATE, certificate[:-1], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "certificate_trailing",
            "P2P-5: a finality certificate of 137 bytes",
            raw_frame(Command.FINALITY_CERTIFICATE, certificate + b"\x00", preset),
            "DECODE_TRAILING_BYTES",
        ),
        (
            "certificate_empty",
            "P2P-5: a FinalityCertificate frame with no payload",
            raw_frame(Command.FINALITY_CERTIFICATE, b"", preset),
            "DECODE_TRUNCATED",
        ),
        (
            "commitment_signature_truncated",
            f"P2P-5: a commitment signature of {len(signed) - 1} bytes (FIN-5)",
            raw_frame(Command.COMMITMENT_SIGNATURE, signed[:-1], preset),
            "DECODE_TRUNCATED",
        ),
        (
            "pose_challenge_truncated",
            "P2P-5: a PoSe challenge missing its signature's last byte (POSE-5)",
            raw_frame(
                Command.POSE_CHALLENGE,
                encode_payload(challenge_scenario(preset).challenge, preset)[:-1],
                preset,
            ),
            "DECODE_TRUNCATED",
        ),
        (
            "pose_response_trailing",
            "P2P-5: a PoSe response with a byte after its signature (POSE-6)",
            raw_frame(
                Command.POSE_RESPONSE,
                encode_payload(challenge_scenario(preset).response, preset) + b"\x00",
                preset,
            ),
            "DECODE_TRAILING_BYTES",
        ),
        (
            "commitment_signature_trailing",
            f"P2P-5: a commitment signature of {len(signed) + 1} bytes (FIN-5)",
            raw_frame(Command.COMMITMENT_SIGNATURE, signed + b"\x00", preset),
            "DECODE_TRAILING_BYTES",
        ),
    ]
    for case, description, frame, error in cases:
        yield _case("decode_frame", case, description, {"frame": frame.hex()}, error)
    bad_signature = replace(quorum.certificate, signature=bytes(96))
    yield _case(
        "decode_frame",
        "certificate_signature_not_checked",
        "P2P-5: the frame decodes whatever the signature bytes are (verifying it is FORK-3's business)",
        {"frame": encode_frame(bad_signature, preset).hex()},
    )


def _frame_cases(preset: Preset) -> Iterator[CaseSpec]:
    for name, message in sample_messages(preset):
        yield _case(
            "decode_frame",
            name,
            f"P2P-1/2: a valid {type(message).__name__}",
            {"frame": encode_frame(message, preset).hex()},
        )
    ping = encode_payload(Ping(7), preset)
    good = raw_frame(Command.PING, ping, preset)
    network = preset.network
    max_tx = max_block_transactions(preset)

    def bad(case: str, description: str, frame: bytes, error: str) -> CaseSpec:
        return _case("decode_frame", case, description, {"frame": frame.hex()}, error)

    yield bad("empty", "P2P-1 step 1: no bytes", b"", "DECODE_TRUNCATED")
    yield bad("short_prefix", "P2P-1 step 1: 12 bytes of prefix", good[:12], "DECODE_TRUNCATED")
    other = b"RUSD" if network.magic != b"RUSD" else b"RUST"
    yield bad(
        "other_network_magic",
        "P2P-1 step 2: the other network's magic",
        raw_frame(Command.PING, ping, preset, magic=other),
        "P2P_WRONG_MAGIC",
    )
    yield bad(
        "bitcoin_magic",
        "P2P-1 step 2: Bitcoin's f9beb4d9 (upstream reused it; we do not)",
        raw_frame(Command.PING, ping, preset, magic=bytes.fromhex("f9beb4d9")),
        "P2P_WRONG_MAGIC",
    )
    yield bad(
        "unknown_command", "P2P-1 step 3: command 0xff", raw_frame(0xFF, ping, preset), "P2P_UNKNOWN_COMMAND"
    )
    yield bad(
        "reject_command",
        "P2P-1 step 3: 0x04 is not a command (no Reject message)",
        raw_frame(0x04, b"", preset),
        "P2P_UNKNOWN_COMMAND",
    )
    yield bad(
        "too_large",
        "P2P-1 step 4: payload length max_message_bytes + 1, rejected on the prefix (no payload follows)",
        raw_frame(Command.BLOCK, b"", preset, length=network.max_message_bytes + 1)[:13],
        "P2P_MESSAGE_TOO_LARGE",
    )
    yield bad(
        "too_large_before_magic_check_order",
        "P2P-1: the magic is checked before the length",
        raw_frame(Command.BLOCK, b"", preset, magic=b"\x00\x00\x00\x00", length=0xFFFFFFFF)[:13],
        "P2P_WRONG_MAGIC",
    )
    yield bad("truncated_payload", "P2P-1 step 5: one payload byte missing", good[:-1], "DECODE_TRUNCATED")
    yield bad(
        "trailing_after_frame",
        "P2P-1 step 5: a byte after the frame",
        good + b"\x00",
        "DECODE_TRAILING_BYTES",
    )
    yield bad(
        "bad_checksum",
        "P2P-1 step 6: checksum with one bit flipped",
        raw_frame(Command.PING, ping, preset, check=bytes([checksum(ping)[0] ^ 1]) + checksum(ping)[1:]),
        "P2P_BAD_CHECKSUM",
    )
    yield bad(
        "ping_payload_trailing",
        "P2P-1 step 7: a 9-byte Ping payload with a correct checksum",
        raw_frame(Command.PING, ping + b"\x00", preset),
        "DECODE_TRAILING_BYTES",
    )
    yield bad(
        "verack_not_empty",
        "P2P-2: Verack carries nothing",
        raw_frame(Command.VERACK, b"\x00", preset),
        "DECODE_TRAILING_BYTES",
    )
    yield bad(
        "ping_short", "P2P-2: a 7-byte Ping", raw_frame(Command.PING, ping[:7], preset), "DECODE_TRUNCATED"
    )
    yield bad(
        "inv_bad_kind",
        "P2P-4: inventory kind 3",
        raw_frame(Command.INV, b"\x01\x03" + bytes(32), preset),
        "DECODE_INVALID_TAG",
    )
    yield bad(
        "inv_kind_zero",
        "P2P-4: inventory kind 0",
        raw_frame(Command.INV, b"\x01\x00" + bytes(32), preset),
        "DECODE_INVALID_TAG",
    )
    yield bad(
        "inv_noncanonical_count",
        "ENC: the item count as an overlong varint",
        raw_frame(Command.INV, b"\x81\x00\x01" + bytes(32), preset),
        "DECODE_NONCANONICAL_VARINT",
    )
    yield bad(
        "inv_too_many",
        "P2P-2: max_inv_items + 1 items",
        raw_frame(Command.INV, varint_encode(network.max_inv_items + 1), preset),
        "DECODE_LENGTH_LIMIT",
    )
    yield bad(
        "headers_too_many",
        "P2P-2: max_headers_per_message + 1 headers",
        raw_frame(Command.HEADERS, varint_encode(network.max_headers_per_message + 1), preset),
        "DECODE_LENGTH_LIMIT",
    )
    yield bad(
        "locator_too_long",
        "P2P-2: max_locator_hashes + 1 locator hashes",
        raw_frame(Command.GET_HEADERS, varint_encode(network.max_locator_hashes + 1), preset),
        "DECODE_LENGTH_LIMIT",
    )
    version = encode_payload(sample_messages(preset)[0][1], preset)
    long_agent = version[: 4 + 8 + 32 + 2 + 8 + 8] + varint_encode(network.max_user_agent_bytes + 1)
    yield bad(
        "user_agent_too_long",
        "P2P-2: a user agent of max_user_agent_bytes + 1",
        raw_frame(Command.VERSION, long_agent + bytes(network.max_user_agent_bytes + 1), preset),
        "DECODE_LENGTH_LIMIT",
    )
    yield bad(
        "version_truncated",
        "P2P-2: a Version without its user agent",
        raw_frame(Command.VERSION, version[:-17], preset),
        "DECODE_TRUNCATED",
    )
    block_id = seeded_bytes("p2p/overflow", 32)
    yield bad(
        "get_block_txn_index_overflow",
        "P2P-3: differences that reach the largest transaction count of a block",
        raw_frame(
            Command.GET_BLOCK_TXN, block_id + b"\x02" + varint_encode(5) + varint_encode(max_tx - 6), preset
        ),
        "P2P_INDEX_OVERFLOW",
    )
    yield _case(
        "decode_frame",
        "get_block_txn_last_index",
        "P2P-3: the largest index a block can have",
        {
            "frame": raw_frame(
                Command.GET_BLOCK_TXN,
                block_id + b"\x02" + varint_encode(5) + varint_encode(max_tx - 7),
                preset,
            ).hex()
        },
    )
    compact = encode_payload(make_compact_block(p2p_chain().payment_block, 9, [], preset), preset)
    coinbase = encode_transaction(p2p_chain().payment_block.transactions[0], preset)
    head = compact[: len(compact) - len(coinbase) - 2]
    yield bad(
        "compact_prefilled_overflow",
        "P2P-3: a prefilled index at the largest transaction count",
        raw_frame(Command.COMPACT_BLOCK, head + b"\x01" + varint_encode(max_tx) + coinbase, preset),
        "P2P_INDEX_OVERFLOW",
    )
    yield bad(
        "compact_prefilled_short",
        "P2P-3: two prefilled transactions announced, only an overflowing index follows: the count "
        "is checked against the bytes left (each item needs an index and a transaction) first",
        raw_frame(Command.COMPACT_BLOCK, head + b"\x02" + varint_encode(max_tx), preset),
        "DECODE_TRUNCATED",
    )
    yield bad(
        "nodes_short_id",
        "P2P-2: a node id of 31 bytes",
        raw_frame(Command.NODES, b"\x01" + bytes(31) + b"\x00" + b"\x00\x00", preset),
        "DECODE_TRUNCATED",
    )
    block = encode_block(p2p_chain().payment_block, preset)
    yield bad(
        "block_trailing",
        "P2P-2: a block payload with a byte after the block",
        raw_frame(Command.BLOCK, block + b"\x00", preset),
        "DECODE_TRAILING_BYTES",
    )
    yield from _quorum_frame_cases(preset)
    yield from _snapshot_frame_cases(preset)
    yield from _sidechain_frame_cases(preset)

    def prefix(case: str, description: str, data: bytes, error: str | None = None) -> CaseSpec:
        return _case("frame_prefix", case, description, {"prefix": data.hex()}, error)

    yield prefix("block", "P2P-1: the prefix of a Block frame", raw_frame(Command.BLOCK, block, preset)[:13])
    yield prefix(
        "largest",
        "P2P-1: a payload of exactly max_message_bytes",
        raw_frame(Command.TX, b"", preset, length=network.max_message_bytes)[:13],
    )
    yield prefix(
        "too_large",
        "P2P-1 step 4",
        raw_frame(Command.TX, b"", preset, length=network.max_message_bytes + 1)[:13],
        "P2P_MESSAGE_TOO_LARGE",
    )
    yield prefix("unknown_command", "P2P-1 step 3", raw_frame(0x42, b"", preset)[:13], "P2P_UNKNOWN_COMMAND")
    yield prefix("short", "P2P-1 step 1: 12 bytes", good[:12], "DECODE_TRUNCATED")
    yield prefix("long", "the prefix is exactly 13 bytes", good[:14], "DECODE_TRAILING_BYTES")
    yield prefix(
        "wrong_magic",
        "P2P-1 step 2",
        raw_frame(Command.PING, ping, preset, magic=other)[:13],
        "P2P_WRONG_MAGIC",
    )

    def skip(case: str, description: str, data: bytes, error: str | None = None) -> CaseSpec:
        return _case("skipped_payload_length", case, description, {"prefix": data.hex()}, error)

    yield skip(
        "unknown_command",
        "P2P-SCORE-2: a frame with an unknown command is skipped by its payload length",
        raw_frame(0x42, bytes(1000), preset)[:13],
    )
    yield skip(
        "largest",
        "P2P-SCORE-2: an unknown command with a payload of exactly max_message_bytes",
        raw_frame(0xFF, b"", preset, length=network.max_message_bytes)[:13],
    )
    yield skip(
        "too_large",
        "P2P-SCORE-2: the length bound holds for unknown commands too (stream-fatal)",
        raw_frame(0x42, b"", preset, length=network.max_message_bytes + 1)[:13],
        "P2P_MESSAGE_TOO_LARGE",
    )
    yield skip(
        "wrong_magic",
        "P2P-SCORE-2: another network's magic is not skipped",
        raw_frame(0x42, b"", preset, magic=other)[:13],
        "P2P_WRONG_MAGIC",
    )
    yield skip("short", "P2P-1 step 1: 12 bytes", raw_frame(0x42, b"", preset)[:12], "DECODE_TRUNCATED")

    sample_version = sample_messages(preset)[0][1]
    assert isinstance(sample_version, Version)

    def version_case(
        case: str, description: str, message: Version, own_nonce: int, error: str | None = None
    ) -> CaseSpec:
        data: dict[str, JSON] = {"version": encode_payload(message, preset).hex(), "own_nonce": own_nonce}
        return _case("check_version", case, description, data, error)

    yield version_case("compatible", "P2P-HS: current version, another nonce", sample_version, 1)
    for command in ("VERSION", "VERACK", "PING", "HEADERS"):
        for version_seen in (False, True):
            for verack_seen in (False, True):
                yield _case(
                    "handshake_violation",
                    f"{command.lower()}_{int(version_seen)}{int(verack_seen)}",
                    f"P2P-HS: {command} after VERSION {'seen' if version_seen else 'not seen'}, "
                    f"VERACK {'seen' if verack_seen else 'not seen'}",
                    {"received_version": version_seen, "received_verack": verack_seen, "command": command},
                )
    yield version_case(
        "newer",
        "P2P-HS: a newer protocol version is accepted",
        replace(sample_version, protocol_version=network.protocol_version + 1),
        1,
    )
    yield version_case(
        "too_old",
        "P2P-HS: below min_protocol_version",
        replace(sample_version, protocol_version=network.min_protocol_version - 1),
        1,
        "P2P_INCOMPATIBLE_VERSION",
    )
    yield version_case(
        "self",
        "P2P-HS: the node's own nonce comes back",
        sample_version,
        sample_version.nonce,
        "P2P_SELF_CONNECTION",
    )


# --------------------------------------------------------------------------------------------
# Locators and header sync (P2P-LOC, P2P-SYNC-1..3)
# --------------------------------------------------------------------------------------------


def _seeded_chain(label: str, length: int, shared: Sequence[bytes] = ()) -> list[bytes]:
    return [*shared, *(seeded_bytes(f"p2p/chain/{label}/{h}", 32) for h in range(len(shared), length))]


def _sync_cases(preset: Preset) -> Iterator[CaseSpec]:
    for tip in (0, 1, 10, 11, 12, 100, 2016, 1_000_000, 2**32):
        yield _case("locator_heights", f"tip_{tip}", "P2P-LOC: the step schedule", {"tip_height": tip})
    for length in (1, 2, 12, 15, 40):
        yield _case(
            "block_locator",
            f"chain_{length}",
            "P2P-LOC: tip first, genesis last",
            {"chain": _hexes(_seeded_chain("main", length))},
        )
    yield _case("block_locator", "empty", "P2P-LOC: no chain, no locator", {"chain": []})
    window = preset.network.pruned_serve_blocks
    peer = 1_000
    for name, services, height, why in (
        ("full_genesis", SERVICE_FULL_NODE, 0, "a full node serves every body"),
        ("full_tip", SERVICE_FULL_NODE, peer, "a full node serves its tip"),
        ("full_above_tip", SERVICE_FULL_NODE, peer + 1, "nobody serves a body above its known height"),
        ("full_and_pruned_bits", SERVICE_FULL_NODE | SERVICE_PRUNED, 0, "the full-node bit wins"),
        ("pruned_window_bottom", SERVICE_PRUNED, peer - window + 1, "the lowest body of the window"),
        ("pruned_below_window", SERVICE_PRUNED, peer - window, "just below the window: not served"),
        ("pruned_genesis", SERVICE_PRUNED, 0, "a pruned node is never asked for old bodies"),
        ("pruned_tip", SERVICE_PRUNED, peer, "a pruned node serves its tip"),
        ("no_service_bits", 0, peer, "no service bit: no body"),
        ("unknown_bits_only", 1 << 40, peer, "unknown bits alone serve nothing"),
        ("negative_height", SERVICE_FULL_NODE, -1, "below genesis"),
    ):
        yield _case(
            "is_body_served",
            name,
            f"P2P-PRUNE-1: {why}",
            {"services": services, "peer_height": peer, "height": height},
        )

    main = _seeded_chain("main", 40)
    other = _seeded_chain("other", 30, main[:18])

    def fork(case: str, description: str, locator: Sequence[bytes], error: str | None = None) -> CaseSpec:
        return _case(
            "locate_fork", case, description, {"locator": _hexes(locator), "chain": _hexes(main)}, error
        )

    yield fork("fork_at_17", "P2P-SYNC-1: a peer on a fork from height 17", block_locator(other))
    yield fork("same_chain", "P2P-SYNC-1: the peer has our tip", block_locator(main))
    yield fork("peer_behind", "P2P-SYNC-1: the peer is at height 12 of our chain", block_locator(main[:13]))
    yield fork(
        "first_match_wins",
        "P2P-SYNC-1: the first listed hash on the chain, even if lower",
        [main[5], main[30]],
    )
    yield fork(
        "unknown_then_known", "P2P-SYNC-1: unknown hashes are skipped", [other[25], other[20], main[3]]
    )
    yield fork(
        "no_common",
        "P2P-SYNC-1: another genesis",
        block_locator(_seeded_chain("alien", 20)),
        "P2P_NO_COMMON_BLOCK",
    )
    yield fork("empty_locator", "P2P-SYNC-1: an empty locator", [], "P2P_NO_COMMON_BLOCK")

    chain = p2p_chain()
    headers = chain.headers
    hashes = chain_hashes(headers, DEVNET)
    raw_headers = [encode_header(h, preset).hex() for h in headers]
    fork_hashes = [*hashes[:FORK_HEIGHT], *chain_hashes([b.header for b in chain.fork], DEVNET)]

    def after(
        case: str,
        description: str,
        locator: Sequence[bytes],
        stop: bytes,
        count: int,
        error: str | None = None,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "chain": list(raw_headers),
            "locator": _hexes(locator),
            "stop_hash": stop.hex(),
            "max_count": count,
        }
        return _case("headers_after", case, description, data, error)

    yield after(
        "from_20",
        "P2P-SYNC-2: everything after the peer's tip at 19",
        block_locator(hashes[:20]),
        NO_STOP_HASH,
        2000,
    )
    yield after("max_5", "P2P-SYNC-2: at most max_count headers", block_locator(hashes[:20]), NO_STOP_HASH, 5)
    yield after(
        "stop_hash",
        "P2P-SYNC-2: up to and including the stop hash",
        block_locator(hashes[:20]),
        hashes[25],
        2000,
    )
    yield after(
        "stop_below_fork",
        "P2P-SYNC-2: a stop hash at or below the fork point is ignored",
        block_locator(hashes[:20]),
        hashes[10],
        3,
    )
    yield after(
        "stop_unknown",
        "P2P-SYNC-2: an unknown stop hash is ignored",
        block_locator(hashes[:20]),
        seeded_bytes("p2p/nowhere", 32),
        3,
    )
    yield after(
        "peer_on_fork",
        "P2P-SYNC-2: a peer on a fork gets our branch",
        block_locator(fork_hashes),
        NO_STOP_HASH,
        2000,
    )
    yield after("peer_at_tip", "P2P-SYNC-2: nothing after our tip", block_locator(hashes), NO_STOP_HASH, 2000)
    yield after("genesis_only", "P2P-SYNC-2: a peer with genesis only", [hashes[0]], NO_STOP_HASH, 2000)
    yield after(
        "no_common",
        "P2P-SYNC-2: another genesis",
        [seeded_bytes("p2p/alien", 32)],
        NO_STOP_HASH,
        2000,
        "P2P_NO_COMMON_BLOCK",
    )

    if preset.name == DEVNET.name:
        yield from _connect_cases(chain, preset)


def _remine(header: BlockHeader, preset: Preset) -> BlockHeader:
    return mine(replace(header, nonce=0), preset)


def _failing_nonce(header: BlockHeader, preset: Preset) -> BlockHeader:
    target = target_from_bits(header.bits, preset)
    nonce = 0
    while hash_meets_target(block_hash(replace(header, nonce=nonce), preset), target):
        nonce += 1
    return replace(header, nonce=nonce)


def _connect_cases(chain: P2PChain, preset: Preset) -> Iterator[CaseSpec]:
    headers = chain.headers
    fork = [b.header for b in chain.fork]
    last = headers[-1].timestamp

    def connect(
        case: str,
        description: str,
        known: Sequence[BlockHeader],
        new: Sequence[BlockHeader],
        now: int = last,
        error: str | None = None,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "chain": [encode_header(h, preset).hex() for h in known],
            "headers": [encode_header(h, preset).hex() for h in new],
            "now": now,
        }
        return _case("connect_headers", case, description, data, error)

    yield connect("from_genesis", "P2P-SYNC-3: 40 headers from nothing", [], headers)
    known = [encode_header(h, preset).hex() for h in headers[:30]]
    for height in (-1, 0, 17, 29, 35):
        yield _case(
            "header_state",
            f"after_{height}".replace("-", "minus_"),
            f"P2P-SYNC-3: the header-only state after block {height} of 30 connected headers",
            {"chain": known, "now": last, "height": height},
        )
    for case, description, header in (
        ("next", "the header after the tip", headers[30]),
        ("inside", "a header whose parent is inside the chain", headers[12]),
        ("genesis", "a genesis header (no parent)", headers[0]),
        ("gap", "a header two above the tip", headers[31]),
        ("fork", "a fork header whose parent is not on the chain", fork[-1]),
    ):
        yield _case(
            "parent_known",
            case,
            f"P2P-SYNC-3: {description}",
            {"chain": known, "now": last, "header": encode_header(header, preset).hex()},
        )
    yield connect("extend", "P2P-SYNC-3: 10 more headers on 30", headers[:30], headers[30:])
    yield connect(
        "resent_from_genesis",
        "P2P-SYNC-3: headers from genesis again, past the 30 known: connected from before genesis",
        headers[:30],
        headers[:35],
    )
    yield connect("nothing_new", "P2P-SYNC-3: an empty Headers message", headers, [])
    yield connect(
        "fork",
        "P2P-SYNC-3: a fork from 25 replaces the tip above it (less work here: FORK-1 is the caller's)",
        headers,
        fork,
    )
    yield connect(
        "known_again", "P2P-SYNC-3: headers already known give the same chain", headers, headers[20:30]
    )
    yield connect(
        "gap",
        "HDR-2: a header whose parent was never sent",
        headers[:30],
        headers[31:],
        error="HDR_WRONG_PARENT",
    )
    yield connect(
        "not_continuous",
        "HDR-2: two headers out of order",
        headers[:30],
        [headers[30], headers[32]],
        error="HDR_WRONG_PARENT",
    )
    target = headers[30]
    yield connect(
        "version_2",
        "HDR-1: version 2",
        headers[:30],
        [_remine(replace(target, version=2), preset)],
        error="HDR_UNSUPPORTED_VERSION",
    )
    yield connect(
        "wrong_height",
        "HDR-2: the right parent at the wrong height",
        headers[:30],
        [_remine(replace(target, height=31), preset)],
        error="HDR_WRONG_PARENT",
    )
    yield connect(
        "time_too_early",
        "HDR-3: a timestamp at the median time past",
        headers[:30],
        [_remine(replace(target, timestamp=headers[24].timestamp), preset)],
        error="HDR_TIME_TOO_EARLY",
    )
    yield connect(
        "time_too_far_ahead",
        "HDR-4: the node's clock is 3 hours behind",
        headers[:30],
        [target],
        now=target.timestamp - 3 * 3600,
        error="HDR_TIME_TOO_FAR_AHEAD",
    )
    yield connect(
        "wrong_bits",
        "POW-4: bits not the retarget rule's",
        headers[:30],
        [_remine(replace(target, bits=0x1F7FFFFF), preset)],
        error="POW_WRONG_BITS",
    )
    yield connect(
        "hash_above_target",
        "POW-2: a nonce that misses the target",
        headers[:30],
        [_failing_nonce(target, preset)],
        error="POW_HASH_ABOVE_TARGET",
    )


# --------------------------------------------------------------------------------------------
# Compact blocks (P2P-CMPCT-1..5)
# --------------------------------------------------------------------------------------------


def _compact_cases(preset: Preset) -> Iterator[CaseSpec]:
    chain = p2p_chain()
    block = chain.payment_block
    block_id = block_hash(block.header, preset)
    raw_block = encode_block(block, preset).hex()
    payments = block.transactions[1:]
    for nonce in (0, 1, 2**64 - 1):
        yield _case(
            "short_id",
            f"nonce_{nonce}",
            "P2P-CMPCT-1: keyed BLAKE3 of the wtxid, first 6 bytes",
            {"block_hash": block_id.hex(), "nonce": nonce, "wtxid": wtxid(payments[0], preset).hex()},
        )

    def make(case: str, description: str, prefilled: list[int], error: str | None = None) -> CaseSpec:
        return _case(
            "make_compact_block",
            case,
            description,
            {"block": raw_block, "nonce": 42, "prefilled": [*prefilled]},
            error,
        )

    yield make("coinbase_only", "P2P-CMPCT-2: the coinbase is always prefilled", [])
    yield make("prefill_two", "P2P-CMPCT-2: the coinbase and transaction 2", [2, 0])
    yield make("prefill_all", "P2P-CMPCT-2: every transaction sent in full", [0, 1, 2, 3, 4])
    yield make(
        "prefill_beyond", "P2P-CMPCT-2: index 5 of a 5-transaction block", [5], "P2P_COMPACT_BAD_INDEX"
    )
    yield _case(
        "make_compact_block",
        "one_transaction_block",
        "P2P-CMPCT-2: a block of its coinbase alone (prefilled, no short id)",
        {
            "block": encode_block(synthetic_block("p2p/compact/one", 0, preset), preset).hex(),
            "nonce": 7,
            "prefilled": [],
        },
    )
    yield make(
        "prefill_negative", "P2P-CMPCT-2: a negative prefilled index", [-1, 2], "P2P_COMPACT_BAD_INDEX"
    )

    compact = make_compact_block(block, 42, [], preset)
    pool = [encode_transaction(tx, preset).hex() for tx in (*payments, *chain.spare)]

    def rebuild(
        case: str,
        description: str,
        mempool: Sequence[str],
        response: BlockTxn | None = None,
        error: str | None = None,
        message: CompactBlock = compact,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "compact": encode_payload(message, preset).hex(),
            "mempool": [*mempool],
            "block_txn": None if response is None else encode_payload(response, preset).hex(),
        }
        return _case("reconstruct", case, description, data, error)

    yield rebuild(
        "full_mempool", "P2P-CMPCT-3/5: every transaction in the mempool, plus unrelated ones", pool
    )
    yield rebuild("empty_mempool", "P2P-CMPCT-3: all but the coinbase missing", [])
    yield rebuild(
        "missing_filled",
        "P2P-CMPCT-3..5: transactions 2 and 4 missing, then filled by BlockTxn",
        [pool[0], pool[2], *pool[4:]],
        BlockTxn(block_id, (payments[1], payments[3])),
    )
    yield rebuild(
        "blocktxn_wrong_count",
        "P2P-CMPCT-4: one transaction for two missing",
        [pool[0], pool[2]],
        BlockTxn(block_id, (payments[1],)),
        "P2P_COMPACT_BLOCKTXN_MISMATCH",
    )
    yield rebuild(
        "blocktxn_other_block",
        "P2P-CMPCT-4: a BlockTxn for another block",
        [pool[0], pool[2]],
        BlockTxn(seeded_bytes("p2p/other-block", 32), (payments[1], payments[3])),
        "P2P_COMPACT_BLOCKTXN_MISMATCH",
    )
    yield rebuild(
        "blocktxn_wrong_transaction",
        "P2P-CMPCT-5: BlockTxn carries a different transaction (root mismatch)",
        [pool[0], pool[2]],
        BlockTxn(block_id, (payments[1], chain.spare[0])),
        "P2P_COMPACT_MERKLE_MISMATCH",
    )
    repeated = replace(
        compact, short_ids=(compact.short_ids[0], compact.short_ids[0], *compact.short_ids[2:])
    )
    yield rebuild(
        "repeated_short_id",
        "P2P-CMPCT-3/4: a short id listed twice: both slots missing, BlockTxn fills them",
        pool,
        BlockTxn(block_id, (payments[0], payments[1])),
        None,
        repeated,
    )
    yield rebuild(
        "repeated_short_id_missing",
        "P2P-CMPCT-3: a short id listed twice: both slots are missing even with a full mempool",
        pool,
        None,
        None,
        repeated,
    )
    other_coinbase = coinbase_for(PAYMENT_HEIGHT, 1, key("thief").script_pubkey, (), None, preset)
    yield rebuild(
        "wrong_prefilled",
        "P2P-CMPCT-5: a prefilled coinbase the header does not commit to",
        pool,
        None,
        "P2P_COMPACT_MERKLE_MISMATCH",
        replace(compact, prefilled=(PrefilledTransaction(0, other_coinbase),)),
    )
    yield rebuild(
        "wrong_votes",
        "P2P-CMPCT-5: votes the header's votes_root does not commit to",
        pool,
        None,
        "P2P_COMPACT_MERKLE_MISMATCH",
        replace(compact, votes=(*chain.builder.blocks[0].votes, _fake_vote())),
    )
    yield rebuild(
        "coinbase_not_prefilled",
        "P2P-CMPCT-2: the first prefilled index is not 0",
        pool,
        None,
        "P2P_COMPACT_BAD_INDEX",
        replace(compact, prefilled=(PrefilledTransaction(1, payments[0]),), short_ids=compact.short_ids[1:]),
    )
    yield rebuild(
        "prefilled_beyond",
        "P2P-CMPCT-2: a prefilled index past the last transaction",
        pool,
        None,
        "P2P_COMPACT_BAD_INDEX",
        replace(compact, prefilled=(*compact.prefilled, PrefilledTransaction(9, payments[0]))),
    )

    def serve(case: str, description: str, request: GetBlockTxn, error: str | None = None) -> CaseSpec:
        data: dict[str, JSON] = {"block": raw_block, "request": encode_payload(request, preset).hex()}
        return _case("serve_block_txn", case, description, data, error)

    yield serve("two", "P2P-CMPCT-4: transactions 2 and 4", GetBlockTxn(block_id, (2, 4)))
    yield serve("none", "P2P-CMPCT-4: an empty request", GetBlockTxn(block_id, ()))
    yield serve("coinbase", "P2P-CMPCT-4: index 0 (the coinbase) and 3", GetBlockTxn(block_id, (0, 3)))
    yield serve(
        "beyond",
        "P2P-CMPCT-4: index 5 of a 5-transaction block",
        GetBlockTxn(block_id, (1, 5)),
        "P2P_COMPACT_BAD_INDEX",
    )
    yield serve(
        "other_block",
        "P2P-CMPCT-4: a request naming another block",
        GetBlockTxn(seeded_bytes("p2p/x", 32), (1,)),
        "P2P_COMPACT_BLOCKTXN_MISMATCH",
    )


def _fake_vote() -> TicketVote:
    return TicketVote(seeded_bytes("p2p/vote", 32), 0, seeded_bytes("p2p/vote/parent", 32), 0, bytes(64))


# --------------------------------------------------------------------------------------------
# Kademlia (P2P-KAD-1..4)
# --------------------------------------------------------------------------------------------


def _kademlia_cases(preset: Preset) -> Iterator[CaseSpec]:
    own = node_id("own")
    for bucket in (0, 1, 7, 128, 254, 255):
        other = node_in_bucket(own, bucket, f"index/{bucket}")
        yield _case(
            "bucket_index",
            f"bucket_{bucket}",
            "P2P-KAD-1: 256 - bitlength(distance)",
            {"own_id": own.hex(), "node_id": other.hex()},
        )
    yield _case(
        "bucket_index",
        "self",
        "P2P-KAD-1: the own id has no bucket",
        {"own_id": own.hex(), "node_id": own.hex()},
        "P2P_INVALID_NODE_ID",
    )
    yield _case(
        "bucket_index",
        "short_id",
        "P2P-KAD-1: a 31-byte id",
        {"own_id": own.hex(), "node_id": own[:31].hex()},
        "P2P_INVALID_NODE_ID",
    )

    k = preset.network.kademlia_k
    far = [_address(node_in_bucket(own, 0, f"far/{i}"), i) for i in range(k + 4)]
    near = [_address(node_in_bucket(own, 200, f"near/{i}"), 100 + i) for i in range(3)]
    operations: list[JSON] = [{"insert": node_json(n), "head_alive": True} for n in far[:k]]
    operations += [
        {"insert": node_json(far[k]), "head_alive": True},
        {"insert": node_json(far[k + 1]), "head_alive": False},
        {"insert": node_json(far[k + 2]), "head_alive": True},
        {"insert": node_json(replace(far[5], port=30_000)), "head_alive": False},
        {"insert": node_json(far[k + 3]), "head_alive": True},
        {"remove": far[3].node_id.hex()},
        {"remove": far[k + 3].node_id.hex()},
        {"remove": node_id("stranger").hex()},
        *({"insert": node_json(n), "head_alive": False} for n in near),
        {"insert": node_json(_address(own, 0)), "head_alive": True},
    ]
    yield _case(
        "kademlia_sequence",
        "full_bucket",
        "P2P-KAD-2/3: fill bucket 0; pinged heads alive (newcomer cached) or dead (evicted); a known node "
        "moves to the tail; removals promote the newest replacement; the own id is never stored",
        {"own_id": own.hex(), "operations": operations},
    )
    replacements: list[JSON] = [{"insert": node_json(n), "head_alive": True} for n in far[: k + 4]]
    replacements += [{"insert": node_json(n), "head_alive": True} for n in far[k : k + 2]]
    yield _case(
        "kademlia_sequence",
        "replacement_order",
        "P2P-KAD-2: a newcomer seen again moves to the replacement cache's tail",
        {"own_id": own.hex(), "operations": replacements},
    )
    contacts = [_address(node_id(f"contact/{i}"), i) for i in range(60)]
    for case, target, count in (
        ("k_closest", node_id("target/1"), k),
        ("five", node_id("target/2"), 5),
        ("more_than_stored", node_id("target/3"), 100),
        ("target_is_stored", contacts[7].node_id, 3),
        ("zero", node_id("target/4"), 0),
    ):
        yield _case(
            "closest",
            case,
            "P2P-KAD-4: by XOR distance to the target (60 random contacts, full buckets drop some)",
            {
                "own_id": own.hex(),
                "contacts": [node_json(c) for c in contacts],
                "target": target.hex(),
                "count": count,
            },
        )
    yield _case(
        "closest",
        "bad_target",
        "P2P-KAD-1: a 33-byte target",
        {"own_id": own.hex(), "contacts": [], "target": (own + b"\x00").hex(), "count": 1},
        "P2P_INVALID_NODE_ID",
    )


# --------------------------------------------------------------------------------------------
# Misbehaviour (P2P-SCORE-1/2)
# --------------------------------------------------------------------------------------------


def _score_cases(preset: Preset) -> Iterator[CaseSpec]:
    def events(*pairs: tuple[str, Violation]) -> dict[str, JSON]:
        return {"events": [{"peer": peer, "violation": violation.value} for peer, violation in pairs]}

    yield _case(
        "score_sequence",
        "every_violation",
        "P2P-SCORE-1: each kind once, each on its own peer",
        events(*((f"peer{i}", v) for i, v in enumerate(Violation))),
    )
    yield _case(
        "score_sequence",
        "accumulate_to_ban",
        "P2P-SCORE-1: small violations add up to the ban threshold",
        events(*(("slow", Violation.INVALID_TRANSACTION) for _ in range(11))),
    )
    yield _case(
        "score_sequence",
        "peers_independent",
        "P2P-SCORE-1: scores are per peer; fatal framing violations disconnect at any score (P2P-SCORE-2)",
        events(
            ("a", Violation.UNKNOWN_COMMAND),
            ("b", Violation.BAD_CHECKSUM),
            ("a", Violation.HANDSHAKE_VIOLATION),
            ("c", Violation.WRONG_MAGIC),
            ("b", Violation.BAD_CHECKSUM),
            ("a", Violation.UNREQUESTED_DATA),
        ),
    )
    yield _case(
        "score_sequence",
        "forged_quorum_messages",
        "P2P-SCORE-4: two forged quorum messages from one peer reach the ban threshold",
        events(("forger", Violation.INVALID_QUORUM_MESSAGE), ("forger", Violation.INVALID_QUORUM_MESSAGE)),
    )


def _snapshot_finality_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SNAP-9: a snapshot's finality certificate against the finality key in its verified items."""
    fixture = finality_fixture(preset)
    height = fixture.height
    last = len(fixture.hashes) - 1
    other = other_secret("p2p")
    committed = fixture.items()
    uncommitted = fixture.items(fixture.uncommitted())
    off_chain = FinalityCertificate(
        height + 1,
        fixture.hashes[height + 2],
        bls.sign(fixture.secret, finality_message(height + 1, fixture.hashes[height + 2])),
    )
    early = replace(fixture.manifest, height=1, block_hash=fixture.hashes[1])
    utxo_items = {seeded_bytes("snapshot-finality/utxo", 36): b"\x01"}
    cases: list[
        tuple[str, str, StateSnapshotManifest, FinalityCertificate, dict[bytes, bytes], str | None]
    ] = [
        (
            "certifies_the_block",
            "the certificate of the snapshot's own block",
            fixture.manifest,
            fixture.certificate(height),
            committed,
            None,
        ),
        (
            "certifies_a_descendant",
            "a certificate of a descendant on the header chain (FORK-2: its ancestors are final)",
            fixture.manifest,
            fixture.certificate(height + 3),
            committed,
            None,
        ),
        (
            "certificate_at_the_tip",
            "a certificate of the header tip",
            fixture.manifest,
            fixture.certificate(last),
            committed,
            None,
        ),
        (
            "certificate_below",
            "a certificate of the block below the snapshot's (an unfinalized "
            "snapshot served with the newest certificate)",
            fixture.manifest,
            fixture.certificate(height - 1),
            committed,
            "SNAPSHOT_CERTIFICATE_MISMATCH",
        ),
        (
            "certificate_off_chain",
            "a valid signature over a block the header chain does not hold at that height",
            fixture.manifest,
            off_chain,
            committed,
            "SNAPSHOT_CERTIFICATE_MISMATCH",
        ),
        (
            "certificate_above_the_chain",
            "a certificate above the header tip",
            fixture.manifest,
            replace(fixture.certificate(last), height=last + 1),
            committed,
            "SNAPSHOT_CERTIFICATE_MISMATCH",
        ),
        (
            "manifest_off_chain",
            "a manifest whose block the header chain does not hold (SNAP-6)",
            replace(fixture.manifest, block_hash=fixture.hashes[height + 1]),
            fixture.certificate(height),
            committed,
            "SNAPSHOT_STATE_ROOT_MISMATCH",
        ),
        (
            "key_not_committed",
            "the quorum's record without a committed key",
            fixture.manifest,
            fixture.certificate(height),
            uncommitted,
            "SNAPSHOT_NO_FINALITY_KEY",
        ),
        (
            "no_record",
            "no record of the quorum in charge",
            fixture.manifest,
            fixture.certificate(height),
            {},
            "SNAPSHOT_NO_FINALITY_KEY",
        ),
        (
            "utxo_items_only",
            "a snapshot of the UTXO set only (STATE-1) commits no key",
            fixture.manifest,
            fixture.certificate(height),
            utxo_items,
            "SNAPSHOT_NO_FINALITY_KEY",
        ),
        (
            "no_quorum_in_charge",
            "a height below the first DKG's end: no quorum certifies it (FIN-2)",
            early,
            fixture.certificate(1),
            committed,
            "SNAPSHOT_NO_FINALITY_KEY",
        ),
        (
            "record_under_another_base",
            "the quorum's record stored under another base height's key",
            fixture.manifest,
            fixture.certificate(height),
            fixture.items(base=fixture.record.base_height + 1),
            "SNAPSHOT_NO_FINALITY_KEY",
        ),
        (
            "record_names_another_base",
            "under the quorum's key, a record naming another base height",
            fixture.manifest,
            fixture.certificate(height),
            fixture.items(
                replace(fixture.record, base_height=fixture.record.base_height + 1),
                base=fixture.record.base_height,
            ),
            "STATE_ITEM_BAD_KEY",
        ),
        (
            "wrong_signer",
            "signed by another key",
            fixture.manifest,
            fixture.certificate(height, other),
            committed,
            "SNAPSHOT_BAD_CERTIFICATE",
        ),
        (
            "signed_another_height",
            "the signature of the block's finality message at another height",
            fixture.manifest,
            replace(fixture.certificate(height), signature=fixture.certificate(height + 1).signature),
            committed,
            "SNAPSHOT_BAD_CERTIFICATE",
        ),
        (
            "signature_not_g2",
            "a signature that is not a valid G2 encoding",
            fixture.manifest,
            replace(fixture.certificate(height), signature=bytes(96)),
            committed,
            "SNAPSHOT_BAD_CERTIFICATE",
        ),
    ]
    cases += [
        (
            "snapshot_of_genesis",
            "a snapshot of block 0 with the certificate of block 0 passes steps 1-2 (heights from 0); "
            "no quorum is in charge of height 0",
            replace(fixture.manifest, height=0, block_hash=fixture.hashes[0]),
            fixture.certificate(0),
            committed,
            "SNAPSHOT_NO_FINALITY_KEY",
        ),
        (
            "manifest_above_the_chain",
            "a manifest one above the header tip: the header chain does not hold its block",
            replace(fixture.manifest, height=last + 1),
            fixture.certificate(last),
            committed,
            "SNAPSHOT_STATE_ROOT_MISMATCH",
        ),
    ]
    for case, meaning, manifest, certificate, items, error in cases:
        yield _case(
            "check_snapshot_finality",
            case,
            f"SNAP-9: {meaning}",
            {
                "manifest": manifest_json(manifest),
                "certificate": certificate_to_json(certificate),
                "hashes": _hexes(fixture.hashes),
                "items": [[k.hex(), v.hex()] for k, v in sorted(items.items())],
            },
            error,
        )


def _commits_full_state_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SNAP-9: whether a snapshot's items are a full state (the four STATE-2 singletons)."""
    full = compute_state_items(initial_state(preset), preset)
    utxo = {seeded_bytes(f"snapshot-finality/utxo/{i}", 36): b"\x01" for i in range(2)}
    singles = sorted(SINGLETON_KEYS)
    cases: list[tuple[str, str, dict[bytes, bytes]]] = [
        ("full_state", "the items of a full state (STATE-2..4)", full),
        ("utxo_items", "the items of a UTXO snapshot (STATE-1: 36-byte outpoint keys)", utxo),
        ("no_items", "no item", {}),
        (
            "one_singleton_missing",
            "a full state but for one singleton",
            {k: v for k, v in full.items() if k != singles[-1]},
        ),
        ("singletons_only", "the four singletons and nothing else", {k: full[k] for k in singles}),
    ]
    for name, meaning, items in cases:
        yield _case(
            "commits_full_state",
            name,
            f"SNAP-9: {meaning}",
            {"items": [[k.hex(), v.hex()] for k, v in sorted(items.items())]},
        )


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """P2P vectors for one preset."""
    yield from _frame_cases(preset)
    yield from _sync_cases(preset)
    yield from _compact_cases(preset)
    yield from _kademlia_cases(preset)
    yield from _score_cases(preset)
    yield from _snapshot_finality_cases(preset)
    yield from _commits_full_state_cases(preset)
    from conformance.generators.p2p_libp2p import generate as generate_libp2p

    yield from generate_libp2p(preset)
