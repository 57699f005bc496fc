"""Fuzz harnesses of the finality schedule and certificates (spec/masternode/finality.py,
spec/chain/forkchoice.py).

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is a verdict
(swallowed when the target may raise it), any other exception escapes and is a finding, and a
broken invariant raises :class:`FinalityInvariantViolation`. :data:`FINALITY_HARNESSES` lists them
for registration in :data:`fuzz.harnesses.HARNESSES`; :func:`finality_seeds` gives their seeds.

* ``finality_decode_certificate``: :func:`~spec.chain.forkchoice.decode_finality_certificate` on the
  raw input. Only ``DECODE_*`` rejects; an accepted input is 136 bytes and re-encodes to itself
  (ENC-2). The certificate is then checked the way a node does (FIN-2/4): under the key of the
  quorum in charge of its height, among the devnet finality quorums based at 0 and at ``I`` (real
  DKGs). Only ``BLS_INVALID_SIGNATURE`` may reject; a certificate that verifies must be one the
  quorums really signed (nobody else holds the group secret) and must come from the quorum in
  charge.
* ``finality_dkg_session``: :func:`~spec.masternode.finality.finality_dkg_session` on a list and a
  base block picked by the input (``u16`` mask of funded masternodes, ``u16`` mask of banned ones,
  ``u64`` base height, ``u8`` height offset, then the base block hash, normally 32 bytes). Either
  the error the rules name for the first failing check (``DKG_INVALID_PARAMETERS`` off a base
  height, ``MN_QUORUM_TOO_SMALL`` below ``min_quorum_members`` active masternodes,
  ``DKG_INVALID_PARAMETERS`` for a base hash that is not 32 bytes), or a session whose members are
  the selected FINALITY quorum in order (FIN-1), which takes charge exactly at ``base + D`` and
  keeps it for ``I`` heights (FIN-2).
* ``finality_check_commitment``: a mutated transaction carrying the real commitment of the devnet
  finality quorum based at ``I`` (``t`` members' operator-key signatures of its DKG's key), applied
  by FIN-5 (``apply_transaction_to_quorums``) to the recorded quorums 0 and ``I`` at the first
  height of ``I``'s window. Whatever is accepted changed only the records its commitments name,
  each from uncommitted to the named key at this height, and each commitment names the recorded
  session, at least ``t`` strictly increasing member indices, a valid group key and an aggregate
  that verifies under those members' operator keys.
* ``finality_commitment_signature``: decode a relayed member signature of a commitment (FIN-5,
  P2P-5; ENC-2) and check it against quorum ``I``'s record; an accepted one names the record's
  height and session and verifies under that member's operator key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

from conformance.generators.masternode import (
    LABELS,
    commitment_of,
    commitment_tx,
    finality_certificate,
    finality_quorum,
    finality_record,
    funded_list,
    funding,
)
from fuzz.bls_cache import cached_bls
from fuzz.xor import xor_over
from spec.chain.forkchoice import (
    FinalityCertificate,
    decode_finality_certificate,
    encode_finality_certificate,
    verify_finality_certificate,
)
from spec.crypto import bls
from spec.encoding import decode, encode
from spec.errors import DecodeError, DkgInvalidParameters, InvalidSignatureEncoding, QuorumTooSmall, SpecError
from spec.ledger.transaction import Transaction, decode_transaction, encode_transaction
from spec.masternode import finality as fin
from spec.masternode.dkg import session_end_height
from spec.masternode.finality import (
    dkg_length,
    finality_dkg_session,
    finality_quorum_height,
    is_finality_quorum_base,
    member_index,
)
from spec.masternode.quorum import QuorumType, select_quorum
from spec.masternode.registry import (
    MasternodeList,
    MasternodeStatus,
    QuorumCommitment,
    masternode_codecs,
    match_message,
)
from spec.presets import DEVNET

PRESET = DEVNET
CERTIFICATE_BYTES = 136
INTERVAL = PRESET.masternodes.finality_quorum_interval
LENGTH = dkg_length(PRESET)


class FinalityInvariantViolation(AssertionError):
    """A finality rule was broken without a typed rejection."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise FinalityInvariantViolation(message)


@cache
def _quorum_keys() -> dict[int, bytes]:
    """The group keys of the devnet finality quorums based at 0 and at ``I`` (real DKGs)."""
    return {base: finality_quorum(base, PRESET).group_public_key for base in (0, INTERVAL)}


@cache
def _genuine() -> dict[FinalityCertificate, int]:
    """Certificates the two quorums signed (seeds), with the base height of their signer."""
    signed = {
        finality_certificate(0, LENGTH, PRESET): 0,
        finality_certificate(0, LENGTH + INTERVAL - 1, PRESET): 0,
        finality_certificate(INTERVAL, LENGTH + INTERVAL, PRESET): INTERVAL,
        finality_certificate(INTERVAL, LENGTH + 2 * INTERVAL - 1, PRESET): INTERVAL,
        finality_certificate(0, LENGTH + INTERVAL, PRESET): 0,  # signed, but out of its charge
    }
    return signed


def fuzz_decode_certificate(data: bytes) -> None:
    """ENC-2 for finality certificates, then FIN-2/4 and FORK-3: only genuine ones in charge verify."""
    try:
        certificate = decode_finality_certificate(data)
    except DecodeError:
        return
    _require(len(data) == CERTIFICATE_BYTES, f"a certificate of {len(data)} bytes decoded")
    _require(encode_finality_certificate(certificate) == data, "ENC-2: a certificate re-encodes differently")
    _require(decode_finality_certificate(encode_finality_certificate(certificate)) == certificate, "ENC-2")
    base = finality_quorum_height(certificate.height, PRESET)
    _require((base is None) == (certificate.height < LENGTH), "FIN-2: no quorum exactly below D")
    key = None if base is None else _quorum_keys().get(base)
    if key is None:
        return
    try:
        valid = verify_finality_certificate(certificate, key)
    except InvalidSignatureEncoding:
        return
    if valid:
        signer = _genuine().get(certificate)
        _require(signer is not None, f"FORK-3: a certificate nobody signed verifies: {data.hex()}")
        _require(signer == base, "FIN-2: a certificate counts under a quorum that did not sign it")


def _mask(data: bytes, offset: int) -> list[str]:
    bits = int.from_bytes(data[offset : offset + 2].ljust(2, b"\x00"), "little")
    return [label for position, label in enumerate(LABELS) if bits >> position & 1]


def fuzz_dkg_session(data: bytes) -> None:
    """FIN-1/2: a finality session of a fuzzed list and base block, or the error of the first failing rule."""
    labels = _mask(data, 0)
    banned = set(_mask(data, 2)) & set(labels)
    base = int.from_bytes(data[4:12].ljust(8, b"\x00"), "little")
    offset = data[12] if len(data) > 12 else 0
    base_hash = data[13:45] if len(data) > 13 else bytes(32)
    fund = funding(PRESET)
    listed = funded_list(labels, PRESET)
    collaterals = {fund.collateral(label) for label in banned}
    mn_list = MasternodeList(
        {
            outpoint: entry
            if outpoint not in collaterals
            else replace(entry, status=MasternodeStatus.POSE_BANNED)
            for outpoint, entry in listed.entries.items()
        }
    )
    is_base = is_finality_quorum_base(base, PRESET)
    enough = len(labels) - len(banned) >= PRESET.masternodes.min_quorum_members
    try:
        session = finality_dkg_session(mn_list, base_hash, base, PRESET)
    except DkgInvalidParameters:
        _require(
            not is_base or (enough and len(base_hash) != 32), "DKG_INVALID_PARAMETERS for a valid session"
        )
        return
    except QuorumTooSmall:
        _require(is_base and not enough, "MN_QUORUM_TOO_SMALL with enough active masternodes")
        return
    _require(is_base and enough and len(base_hash) == 32, "a session opened against FIN-1")
    quorum = select_quorum(mn_list, QuorumType.FINALITY, base_hash, PRESET)
    _require(
        list(session.members) == [m.operator_public_key for m in quorum.members],
        "FIN-1: session members are not the selected quorum in order",
    )
    _require(session.threshold == quorum.threshold and session.start_height == base, "FIN-1: parameters")
    for member in quorum.members:
        _require(member_index(session, member.operator_public_key) == member.index, "FIN-1: member index")
    end = session_end_height(base, session.params)
    _require(end == base + LENGTH, "FIN-2: D is the session length")
    expected = base + INTERVAL * (offset // INTERVAL)
    _require(finality_quorum_height(end + offset, PRESET) == expected, "FIN-2: the quorum in charge")
    _require(finality_quorum_height(end - 1, PRESET) != base, "FIN-2: in charge before its DKG ended")


def _mutated(original: bytes, data: bytes) -> bytes:
    """``original`` with ``data`` XOR-ed over it (extra fuzz bytes are appended)."""
    return xor_over(original, data)


@cache
def _commitment_scenario() -> tuple[fin.QuorumRegistry, Transaction, int]:
    interval = PRESET.masternodes.finality_quorum_interval
    registry = fin.QuorumRegistry(
        {0: finality_record(0, PRESET), interval: finality_record(interval, PRESET)}
    )
    tx = commitment_tx([commitment_of(interval, PRESET)], PRESET)
    return registry, tx, fin.commitment_window(interval, PRESET)[0]


def fuzz_check_commitment(data: bytes) -> None:
    """FIN-5 on a mutated commitment transaction.

    The fixture's member keys, group key and aggregate signature are decoded and verified on every
    input, twice when it is accepted (FIN-5, then the checks below): it runs on the memoising BLS
    backend (:mod:`fuzz.bls_cache`), so repeated curve arithmetic is answered from the cache.
    """
    with cached_bls():
        _check_commitment(data)


def _check_commitment(data: bytes) -> None:
    registry, tx, height = _commitment_scenario()
    try:
        candidate = decode_transaction(_mutated(encode_transaction(tx, PRESET), data), PRESET)
        after = fin.apply_transaction_to_quorums(registry, candidate, height, PRESET)
    except SpecError:
        return
    commitments = [
        message
        for output in candidate.outputs
        if isinstance(message := match_message(output.script_pubkey, PRESET), QuorumCommitment)
    ]
    named = [c.quorum_height for c in commitments]
    _require(len(set(named)) == len(named), "one quorum committed twice")
    _require(set(after.records) == set(registry.records), "records appeared or vanished")
    for base, record in registry.records.items():
        if base not in named:
            _require(after.records[base] == record, "a record no commitment names changed")
    for commitment in commitments:
        before = registry.records.get(commitment.quorum_height)
        if before is None or before.group_public_key is not None:
            raise FinalityInvariantViolation("an unknown or already committed quorum was committed")
        opens, closes = fin.commitment_window(before.base_height, PRESET)
        _require(opens <= height < closes, "committed outside the window")
        _require(commitment.session_id == before.session_id, "committed another session")
        signers = commitment.signers
        _require(
            len(signers) >= before.threshold
            and all(1 <= j <= len(before.members) for j in signers)
            and list(signers) == sorted(set(signers)),
            "fewer than t distinct members",
        )
        digest = fin.commitment_hash(
            commitment.quorum_height,
            commitment.session_id,
            commitment.group_public_key,
            commitment.key_shares_root,
        )
        keys = [before.members[j - 1] for j in signers]
        _require(
            bls.key_validate(commitment.group_public_key)
            and bls.fast_aggregate_verify(keys, digest, commitment.signature),
            "a commitment the members did not sign",
        )
        committed = after.records[commitment.quorum_height]
        expected = replace(
            before,
            group_public_key=commitment.group_public_key,
            committed_height=height,
            key_shares_root=commitment.key_shares_root,
        )
        _require(committed == expected, "the committed record is not the record with the key")


@cache
def _commitment_signature_scenario() -> tuple[fin.QuorumRecord, bytes]:
    interval = PRESET.masternodes.finality_quorum_interval
    record = finality_record(interval, PRESET)
    commitment = commitment_of(interval, PRESET, [2])
    signed = fin.CommitmentSignature(
        interval,
        record.session_id,
        commitment.group_public_key,
        commitment.key_shares_root,
        2,
        commitment.signature,
    )
    return record, encode(fin.COMMITMENT_SIGNATURE_CODEC, signed)


def fuzz_commitment_signature(data: bytes) -> None:
    """FIN-5 (relay): decode a member's commitment signature (ENC-2) and check it against quorum I."""
    record, _ = _commitment_signature_scenario()
    try:
        signed = decode(fin.COMMITMENT_SIGNATURE_CODEC, data)
    except SpecError:
        return
    _require(encode(fin.COMMITMENT_SIGNATURE_CODEC, signed) == data, "a non-canonical signature decoded")
    try:
        fin.check_commitment_signature(record, signed)
    except SpecError:
        return
    _require(
        signed.quorum_height == record.base_height and signed.session_id == record.session_id,
        "a signature of another quorum was accepted",
    )
    message = fin.commitment_hash(
        signed.quorum_height, signed.session_id, signed.group_public_key, signed.key_shares_root
    )
    _require(
        bls.verify(record.members[signed.signer - 1], message, signed.signature),
        "a signature the member did not make was accepted",
    )


FINALITY_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "finality_decode_certificate": fuzz_decode_certificate,
    "finality_dkg_session": fuzz_dkg_session,
    "finality_check_commitment": fuzz_check_commitment,
    "finality_commitment_signature": fuzz_commitment_signature,
}
"""The finality harnesses by corpus name (``fuzz/corpora/<name>/``)."""


def finality_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: genuine certificates (in and out of their quorum's charge) and near misses; session
    inputs at base heights with every masternode, the minimum, too few, and off a base height."""
    genuine = [encode_finality_certificate(c) for c in _genuine()]
    everyone = (1 << len(LABELS)) - 1
    hash_zero = b"\x00" * 32

    def session(labels: int, banned: int, base: int, offset: int, base_hash: bytes = hash_zero) -> bytes:
        return (
            labels.to_bytes(2, "little")
            + banned.to_bytes(2, "little")
            + base.to_bytes(8, "little")
            + bytes([offset])
            + base_hash
        )

    minimum = (1 << PRESET.masternodes.min_quorum_members) - 1
    _, com_tx, _ = _commitment_scenario()
    raw_tx = encode_transaction(com_tx, PRESET)
    payload = encode(masternode_codecs(PRESET).commitment, commitment_of(INTERVAL, PRESET))
    body = raw_tx.index(payload)  # the commitment after the prefix and kind
    fields = {
        "height": 0,
        "session": 8,
        "key": 8 + 32,
        "signers": 8 + 32 + 48 + 1,
        "signature": len(payload) - 1,
    }
    _, signed = _commitment_signature_scenario()
    signer_at = 8 + 32 + 48

    def flip(offset: int) -> bytes:
        return bytes(offset) + b"\x01"

    return {
        "finality_decode_certificate": {
            **{f"seed-genuine-{i}": raw for i, raw in enumerate(genuine)},
            "seed-truncated": genuine[0][:-1],
            "seed-trailing": genuine[0] + b"\x00",
            "seed-other-height": (LENGTH + 1).to_bytes(8, "little") + genuine[0][8:],
            "seed-before-d": (LENGTH - 1).to_bytes(8, "little") + genuine[0][8:],
        },
        "finality_dkg_session": {
            "seed-everyone": session(everyone, 0, 0, 0),
            "seed-second-quorum": session(everyone, 1, INTERVAL, INTERVAL, b"\x01" * 32),
            "seed-minimum": session(minimum, 0, 2 * INTERVAL, 3),
            "seed-too-few": session(minimum, 1, INTERVAL, 0),
            "seed-not-base": session(everyone, 0, INTERVAL + 1, 0),
            "seed-short-hash": session(everyone, 0, 0, 0, b"\x02" * 31),
            "seed-largest-base": session(everyone, 0, (2**64 - 1) // INTERVAL * INTERVAL, 255),
        },
        "finality_check_commitment": {
            "seed-unchanged": b"",
            "seed-flip-version": b"\x02",
            **{f"seed-flip-{name}": flip(body + offset) for name, offset in fields.items()},
        },
        "finality_commitment_signature": {
            "seed-valid": signed,
            "seed-other-signer": signed[:signer_at] + b"\x03\x00" + signed[signer_at + 2 :],
            "seed-trailing": signed + b"\x00",
        },
    }
