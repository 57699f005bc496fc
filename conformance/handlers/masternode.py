"""Handlers of the ``masternode`` flow (spec/masternode/registry.py, spec/masternode/quorum.py,
spec/masternode/finality.py).

JSON shapes (besides the general conventions of docs/vector-format.md):

* an outpoint is ``{"txid", "index"}``;
* a UTXO is ``{"txid", "index", "value", "script_pubkey", "height", "is_coinbase"}``;
* a masternode entry is ``{"txid", "index", "operator_public_key", "owner_public_key",
  "payout_script", "address", "port", "status" ("ACTIVE" | "POSE_BANNED" | "UNBONDING" |
  "SLASHED"), "registered_height", "pose_score", "last_paid_height" (int|null),
  "last_penalty_quorum_height" (int|null)}`` plus ``"unbonding_height"`` (int) once the masternode
  unbonded or was banned (MN-8; absent before); lists of entries are written in outpoint order;
* transactions are their canonical encoding in hex (TXF-1).

``apply_blocks`` applies ``blocks`` at heights ``start_height, start_height + 1, ...`` with
:func:`spec.masternode.registry.apply_transactions_to_list`, advancing the UTXO set with each
transaction (UTXO-1); once a block's replay succeeds, its lazy replay (``inputs_known``, the chain
transition's) runs too and must give the same list. An invalid sequence is valid blocks
followed by one invalid block; the message names its position (``block 3: ...``).

The finality schedule (FIN-1..4): ``finality_quorum_height`` maps a height to the base height of
the quorum that certifies it; ``finality_dkg_session`` opens the DKG of the finality quorum based
at a height; ``may_sign_finality`` replays a member's signing decisions; and
``check_finality_certificate`` decodes a certificate (ENC) and verifies it (FORK-3) under the key
of the quorum in charge of its height, chosen from ``quorum_keys`` (the group public keys of the
quorums whose DKG succeeded, by base height; a quorum not listed certifies nothing);
``finalized_block`` is FIN-4: :func:`spec.chain.forkchoice.newest_finalized` over a block index
(the chain flow's JSON form) with the schedule choosing each certificate's key.

On-chain quorum commitments (FIN-5/6): a quorum record is the chain flow's JSON form
(:func:`conformance.handlers.chain.quorum_record_json`) and a registry is a list of records
(``quorums``, base heights distinct). ``apply_block_to_quorums`` applies one block's transactions
(their quorum commitments, checked by FIN-5) and then records the quorum based at the block (FIN-6,
from the masternode list after the block); ``check_commitment_signature`` decodes a member's
relayed signature (P2P-5) and checks it against a record; ``committed_finality_key`` reads the key
certificates of each height verify under.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.handlers.chain import parse_index, pose_quorums_json, quorums_json
from conformance.handlers.dkg import message_from_json, message_to_json, signature_share_from_json
from conformance.jsonio import (
    field,
    from_hex,
    from_json_int,
    hex_field,
    hex_list_field,
    int_field,
    int_list_field,
    object_list_field,
    to_hex,
)
from conformance.model import JSON, BadInput, Handler
from spec.chain.forkchoice import (
    decode_finality_certificate,
    newest_finalized,
    verify_finality_certificate,
)
from spec.crypto.threshold import Share
from spec.encoding import decode
from spec.errors import SpecError
from spec.ledger.transaction import OutPoint, Transaction, TxOutput, decode_transaction
from spec.ledger.utxo import UtxoEntry, transaction_diff
from spec.masternode.challenge import (
    PoSeChallenge,
    PoSeResponse,
    assigned_targets,
    challenge_digest,
    challenge_targets,
    challenge_window,
    challengers,
    check_challenge,
    check_response,
    check_response_in_time,
    decode_challenge,
    decode_response,
    encode_challenge,
    encode_response,
    make_challenge,
    make_response,
    terms_to_ban,
    unanswered,
)
from spec.masternode.dkg import Contribution, DkgResult, Exclusion, Justification, session_end_height
from spec.masternode.evidence import (
    CheckpointEquivocationEvidence,
    ContributionPrefixEvidence,
    DkgEquivocationEvidence,
    DoubleSignEvidence,
    SlashingEvidence,
    signed_prefix,
)
from spec.masternode.finality import (
    COMMITMENT_SIGNATURE_CODEC,
    EMPTY_QUORUMS,
    CommitmentSignature,
    QuorumRecord,
    QuorumRegistry,
    apply_block_to_quorums,
    build_commitment,
    check_commitment_signature,
    commitment_signature,
    committed_finality_key,
    committed_pose_key,
    dkg_length,
    finality_dkg_session,
    finality_quorum_height,
    is_finality_quorum_base,
    key_shares_root,
    may_sign_finality,
    member_index,
)
from spec.masternode.pose import (
    judging_quorum_height,
    penalty_from_session,
    penalty_session,
    service_failures,
)
from spec.masternode.quorum import quorum_interval, quorum_threshold, quorum_type, select_quorum
from spec.masternode.registry import (
    MasternodeEntry,
    MasternodeList,
    MasternodeMessage,
    MasternodeStatus,
    PoSePenalty,
    QuorumCommitment,
    Unbond,
    apply_carriers_to_list,
    apply_transaction_to_list,
    apply_transactions_to_list,
    decode_message,
    match_message,
    message_carriers,
    message_script,
    next_payee,
    payee_script,
    pose_quorum_height,
    record_payment,
)
from spec.masternode.share_service import HeightShares, missed_shares, share_failures, share_window
from spec.masternode.signing import add_signature_share
from spec.masternode.slashing import (
    apply_block_evidence,
    burnt_collaterals,
    check_evidence,
    conflict_slot,
    is_conflicting,
)
from spec.presets import Preset
from spec.sidechain.header import encode_checkpoint

objects = object_list_field
"""A required list-of-objects field (:func:`conformance.jsonio.object_list_field`; kept here for
the handlers that import it from this module)."""


def uint_field(data: dict[str, JSON], name: str, bits: int) -> int:
    """A required unsigned integer field that fits ``bits`` bits."""
    value = int_field(data, name)
    if not 0 <= value < 1 << bits:
        raise BadInput(f"{name} must fit {bits} bits unsigned")
    return value


def optional_int(data: dict[str, JSON], name: str) -> int | None:
    """An optional integer field (absent or null gives ``None``)."""
    value = data.get(name)
    if value is None:
        return None
    return from_json_int(value, name)


def optional_hex(data: dict[str, JSON], name: str) -> bytes | None:
    """An optional hex field (absent or null gives ``None``)."""
    value = data.get(name)
    return None if value is None else from_hex(value, name)


def outpoint_json(outpoint: OutPoint) -> dict[str, JSON]:
    """An outpoint as ``{"txid", "index"}``."""
    return {"txid": to_hex(outpoint.txid), "index": outpoint.index}


def parse_outpoint(item: dict[str, JSON]) -> OutPoint:
    """An outpoint from ``{"txid", "index"}``."""
    txid = hex_field(item, "txid")
    if len(txid) != 32:
        raise BadInput("txid must be 32 bytes")
    return OutPoint(txid, uint_field(item, "index", 32))


def parse_utxos(data: dict[str, JSON]) -> dict[OutPoint, UtxoEntry]:
    """The ``utxos`` field as a UTXO set."""
    utxos: dict[OutPoint, UtxoEntry] = {}
    for item in objects(data, "utxos"):
        coinbase = field(item, "is_coinbase")
        if not isinstance(coinbase, bool):
            raise BadInput("is_coinbase must be a boolean")
        outpoint = parse_outpoint(item)
        if outpoint in utxos:
            raise BadInput("utxos lists an outpoint twice")
        output = TxOutput(uint_field(item, "value", 64), hex_field(item, "script_pubkey"))
        utxos[outpoint] = UtxoEntry(output, int_field(item, "height"), coinbase)
    return utxos


def utxo_json(outpoint: OutPoint, entry: UtxoEntry) -> dict[str, JSON]:
    """A UTXO as JSON."""
    return {
        **outpoint_json(outpoint),
        "value": entry.output.value,
        "script_pubkey": to_hex(entry.output.script_pubkey),
        "height": entry.height,
        "is_coinbase": entry.is_coinbase,
    }


def entry_json(entry: MasternodeEntry) -> dict[str, JSON]:
    """MN-4: one masternode entry as JSON (``unbonding_height`` only once it unbonded, MN-8)."""
    unbonding: dict[str, JSON] = (
        {} if entry.unbonding_height is None else {"unbonding_height": entry.unbonding_height}
    )
    return {
        **outpoint_json(entry.collateral),
        "operator_public_key": to_hex(entry.operator_public_key),
        "owner_public_key": to_hex(entry.owner_public_key),
        "payout_script": to_hex(entry.payout_script),
        "address": to_hex(entry.address),
        "port": entry.port,
        "status": entry.status.value,
        "registered_height": entry.registered_height,
        "pose_score": entry.pose_score,
        "last_paid_height": entry.last_paid_height,
        "last_penalty_quorum_height": entry.last_penalty_quorum_height,
        **unbonding,
    }


def list_json(mn_list: MasternodeList) -> list[JSON]:
    """MN-4: the list as JSON entries in outpoint order."""
    return [entry_json(entry) for _, entry in sorted(mn_list.entries.items(), key=lambda kv: kv[0])]


def parse_entry(item: dict[str, JSON]) -> MasternodeEntry:
    """MN-4: one masternode entry from JSON."""
    status = field(item, "status")
    if status not in ("ACTIVE", "POSE_BANNED", "UNBONDING", "SLASHED"):
        raise BadInput("status must be ACTIVE, POSE_BANNED, UNBONDING or SLASHED")
    return MasternodeEntry(
        collateral=parse_outpoint(item),
        operator_public_key=hex_field(item, "operator_public_key"),
        owner_public_key=hex_field(item, "owner_public_key"),
        payout_script=hex_field(item, "payout_script"),
        address=hex_field(item, "address"),
        port=uint_field(item, "port", 16),
        status=MasternodeStatus(status),
        registered_height=int_field(item, "registered_height"),
        pose_score=int_field(item, "pose_score"),
        last_paid_height=optional_int(item, "last_paid_height"),
        last_penalty_quorum_height=optional_int(item, "last_penalty_quorum_height"),
        unbonding_height=optional_int(item, "unbonding_height"),
    )


def parse_list(data: dict[str, JSON], name: str = "masternodes") -> MasternodeList:
    """MN-4: a masternode list from a JSON list of entries (absent: the empty list)."""
    if name not in data:
        return MasternodeList({})
    entries: dict[OutPoint, MasternodeEntry] = {}
    for item in objects(data, name):
        entry = parse_entry(item)
        if entry.collateral in entries:
            raise BadInput(f"{name} lists a collateral twice")
        entries[entry.collateral] = entry
    return MasternodeList(entries)


def commitment_json(commitment: QuorumCommitment) -> dict[str, JSON]:
    """MN-0 kind 3 (FIN-5): ``{"kind": "quorum_commitment", "quorum_height", "session_id",
    "group_public_key", "key_shares_root", "signers", "signature"}``."""
    return {
        "kind": "quorum_commitment" if commitment.quorum_type == 1 else "pose_quorum_commitment",
        "quorum_height": commitment.quorum_height,
        "session_id": to_hex(commitment.session_id),
        "group_public_key": to_hex(commitment.group_public_key),
        "key_shares_root": to_hex(commitment.key_shares_root),
        "signers": list(commitment.signers),
        "signature": to_hex(commitment.signature),
    }


def commitment_signature_json(signed: CommitmentSignature) -> dict[str, JSON]:
    """FIN-5 (relay, P2P-5): ``{"quorum_height", "session_id", "group_public_key",
    "key_shares_root", "signer", "signature"}``."""
    return {
        "quorum_height": signed.quorum_height,
        "session_id": to_hex(signed.session_id),
        "group_public_key": to_hex(signed.group_public_key),
        "key_shares_root": to_hex(signed.key_shares_root),
        "signer": signed.signer,
        "signature": to_hex(signed.signature),
    }


def parse_quorum_record(item: dict[str, JSON]) -> QuorumRecord:
    """FIN-6: a quorum record from its JSON form (:func:`conformance.handlers.chain.quorum_record_json`)."""
    committed = optional_int(item, "committed_height")
    if committed is not None and not 0 <= committed < 2**64:
        raise BadInput("committed_height must be a u64 or null")
    return QuorumRecord(
        base_height=uint_field(item, "base_height", 64),
        base_hash=hex_field(item, "base_hash"),
        session_id=hex_field(item, "session_id"),
        members=tuple(hex_list_field(item, "members")),
        threshold=uint_field(item, "threshold", 16),
        group_public_key=optional_hex(item, "group_public_key"),
        committed_height=committed,
        key_shares_root=optional_hex(item, "key_shares_root"),
    )


def parse_quorums(data: dict[str, JSON], name: str = "quorums") -> QuorumRegistry:
    """FIN-6: a quorum registry from a JSON list of records (absent: the empty registry)."""
    if name not in data:
        return EMPTY_QUORUMS
    records: dict[int, QuorumRecord] = {}
    for item in objects(data, name):
        record = parse_quorum_record(item)
        if record.base_height in records:
            raise BadInput(f"{name} lists a base height twice")
        records[record.base_height] = record
    pose: dict[int, QuorumRecord] = {}
    for item in objects(data, "pose_quorums") if "pose_quorums" in data else []:
        record = parse_quorum_record(item)
        if record.base_height in pose:
            raise BadInput("pose_quorums lists a base height twice")
        pose[record.base_height] = record
    return QuorumRegistry(records, pose)


def evidence_json(evidence: SlashingEvidence) -> dict[str, JSON]:
    """SLASH-1: ``{"kind": "slashing_evidence", "evidence": "double_sign", "quorum_height", "member",
    "key_share", "key_share_proof", "height", "first_block", "first_signature", "second_block",
    "second_signature"}`` or ``{"kind": "slashing_evidence", "evidence": "dkg_equivocation",
    "quorum_height", "first", "second"}`` (DKG messages in the dkg flow's JSON form) or
    ``{"kind": "slashing_evidence", "evidence": "contribution_prefix", "quorum_height", "first",
    "second"}`` with each side ``{"first_chunk", "siblings", "signature"}`` (tag 4) or
    ``{"kind": "slashing_evidence", "evidence": "checkpoint_equivocation", "quorum_type",
    "quorum_height", "first", "second"}`` with the checkpoints in hex (SC-HDR-4, tag 3)."""
    if isinstance(evidence, CheckpointEquivocationEvidence):
        return {
            "kind": "slashing_evidence",
            "evidence": "checkpoint_equivocation",
            "quorum_type": evidence.quorum_type,
            "quorum_height": evidence.quorum_height,
            "first": to_hex(encode_checkpoint(evidence.first)),
            "second": to_hex(encode_checkpoint(evidence.second)),
        }
    if isinstance(evidence, ContributionPrefixEvidence):
        return {
            "kind": "slashing_evidence",
            "evidence": "contribution_prefix",
            "quorum_height": evidence.quorum_height,
            **{
                name: {
                    "first_chunk": to_hex(side.first_chunk),
                    "siblings": [to_hex(s) for s in side.siblings],
                    "signature": to_hex(side.signature),
                }
                for name, side in (("first", evidence.first), ("second", evidence.second))
            },
        }
    if isinstance(evidence, DoubleSignEvidence):
        return {
            "kind": "slashing_evidence",
            "evidence": "double_sign",
            "quorum_height": evidence.quorum_height,
            "member": evidence.member,
            "key_share": to_hex(evidence.key_share),
            "key_share_proof": [to_hex(h) for h in evidence.key_share_proof],
            "height": evidence.height,
            "first_block": to_hex(evidence.first_block),
            "first_signature": to_hex(evidence.first_signature),
            "second_block": to_hex(evidence.second_block),
            "second_signature": to_hex(evidence.second_signature),
        }
    return {
        "kind": "slashing_evidence",
        "evidence": "dkg_equivocation",
        "quorum_height": evidence.quorum_height,
        "first": message_to_json(evidence.first),
        "second": message_to_json(evidence.second),
    }


def message_json(message: MasternodeMessage) -> dict[str, JSON]:
    """MN-0: a decoded masternode message as JSON."""
    if isinstance(message, QuorumCommitment):
        return commitment_json(message)
    if isinstance(
        message,
        DoubleSignEvidence
        | DkgEquivocationEvidence
        | ContributionPrefixEvidence
        | CheckpointEquivocationEvidence,
    ):
        return evidence_json(message)
    if isinstance(message, Unbond):
        return {
            "kind": "unbond",
            "collateral": outpoint_json(message.collateral),
            "signature": to_hex(message.signature),
        }
    if isinstance(message, PoSePenalty):
        return {
            "kind": "pose_penalty",
            "masternode": outpoint_json(message.masternode),
            "quorum_height": message.quorum_height,
            "signature": to_hex(message.signature),
        }
    reg = message.registration
    return {
        "kind": "registration",
        "collateral": outpoint_json(reg.collateral),
        "operator_public_key": to_hex(reg.operator_public_key),
        "proof_of_possession": to_hex(reg.proof_of_possession),
        "owner_public_key": to_hex(reg.owner_public_key),
        "payout_script": to_hex(reg.payout_script),
        "address": to_hex(reg.address),
        "port": reg.port,
        "signature": to_hex(message.signature),
    }


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------


def handle_match_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MN-0: ``{"script"}`` (an output script) -> ``{"message"}``: the message JSON, or null when the
    script carries none; ``DECODE_*`` for a message output whose payload does not decode."""
    message = match_message(hex_field(data, "script"), preset)
    return {"message": None if message is None else message_json(message)}


def handle_apply_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MN-1..4, MN-6: ``{"masternodes", "utxos", "transaction", "height", "pose_quorum_key"}`` ->
    ``{"masternodes"}`` after the transaction (``utxos`` is the set before it)."""
    tx = decode_transaction(hex_field(data, "transaction"), preset)
    mn_list = apply_transaction_to_list(
        parse_list(data),
        tx,
        parse_utxos(data),
        uint_field(data, "height", 64),
        preset,
        optional_hex(data, "pose_quorum_key"),
    )
    return {"masternodes": list_json(mn_list)}


def _replayed(
    mn_list: MasternodeList,
    transactions: list[Transaction],
    utxos: dict[OutPoint, UtxoEntry],
    height: int,
    preset: Preset,
    key: bytes | None,
) -> MasternodeList:
    """MN-5 both ways: the readable replay (every diff, in order), then, once it has shown that
    every input exists, the chain transition's lazy replay (``inputs_known``, issue 14), which must
    give the same list, as must its visit of the message carriers and collateral spenders alone
    (``apply_carriers_to_list``); a difference is the adapter's internal error, never an answer."""
    eager = apply_transactions_to_list(mn_list, transactions, utxos, height, preset, key)
    lazy = apply_transactions_to_list(mn_list, transactions, utxos, height, preset, key, inputs_known=True)
    carriers = message_carriers(transactions)
    visited = apply_carriers_to_list(mn_list, transactions, carriers, utxos, height, preset, key)
    if list_json(lazy) != list_json(eager) or list_json(visited) != list_json(eager):
        raise RuntimeError("MN-5: the lazy replay differs from the readable one")
    return eager


def handle_apply_blocks(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MN-5: ``{"masternodes" (optional), "utxos", "start_height", "blocks": [{"transactions": [hex],
    "pose_quorum_key": hex|null}]}`` -> ``{"masternodes", "payees", "utxo_count"}``.

    ``payees`` lists, per block, the outpoint paid (MN-7, ``next_payee`` of the list before the
    block) or null.
    """
    mn_list = parse_list(data)
    utxos = parse_utxos(data)
    height = uint_field(data, "start_height", 64)
    payees: list[JSON] = []
    for position, block in enumerate(objects(data, "blocks")):
        raw = hex_list_field(block, "transactions")
        key = optional_hex(block, "pose_quorum_key")
        try:
            transactions = [decode_transaction(item, preset) for item in raw]
            payee = next_payee(mn_list, height)
            payees.append(None if payee is None else outpoint_json(payee.collateral))
            mn_list = _replayed(mn_list, transactions, utxos, height, preset, key)
            for tx in transactions:
                diff = transaction_diff(utxos, tx, height, preset)
                for outpoint, _ in diff.spent:
                    del utxos[outpoint]
                utxos.update(diff.created)
        except SpecError as exc:
            raise type(exc)(f"block {position}: {exc.detail}") from exc
        height += 1
    return {"masternodes": list_json(mn_list), "payees": payees, "utxo_count": len(utxos)}


def handle_payee_rotation(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MN-7: ``{"masternodes", "start_height", "count"}`` -> ``{"payees"}`` of ``count`` blocks in which
    nothing but payments changes the list (one outpoint or null per block)."""
    mn_list = parse_list(data)
    height = uint_field(data, "start_height", 64)
    count = int_field(data, "count")
    if not 0 <= count <= 10_000:
        raise BadInput("count must be in [0, 10000]")
    payees: list[JSON] = []
    for offset in range(count):
        payee = next_payee(mn_list, height + offset)
        payees.append(None if payee is None else outpoint_json(payee.collateral))
        mn_list = record_payment(mn_list, height + offset)
    return {"payees": payees}


def handle_select_quorum(preset: Preset, data: dict[str, JSON]) -> JSON:
    """QUORUM-2/3: ``{"masternodes", "quorum_type", "base_block_hash"}`` ->
    ``{"members": [{"member_index", "txid", "index", "operator_public_key"}], "threshold"}``."""
    kind = quorum_type(int_field(data, "quorum_type"))
    base = hex_field(data, "base_block_hash")
    if len(base) != 32:
        raise BadInput("base_block_hash must be 32 bytes")
    quorum = select_quorum(parse_list(data), kind, base, preset)
    return {
        "members": [
            {
                "member_index": member.index,
                **outpoint_json(member.collateral),
                "operator_public_key": to_hex(member.operator_public_key),
            }
            for member in quorum.members
        ],
        "threshold": quorum.threshold,
    }


def handle_quorum_threshold(preset: Preset, data: dict[str, JSON]) -> JSON:
    """QUORUM-3: ``{"members"}`` (n >= 1) -> ``{"threshold"}``."""
    members = int_field(data, "members")
    if members < 1:
        raise BadInput("members must be positive")
    return {"threshold": quorum_threshold(members)}


def handle_finality_quorum_height(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-1/2: ``{"height"}`` -> ``{"quorum_height"`` (int or null), ``"is_quorum_base",
    "dkg_length"}``."""
    height = uint_field(data, "height", 64)
    return {
        "quorum_height": finality_quorum_height(height, preset),
        "is_quorum_base": is_finality_quorum_base(height, preset),
        "dkg_length": dkg_length(preset),
    }


def handle_finality_dkg_session(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-1: ``{"masternodes", "base_block_hash", "base_height"}`` -> ``{"session_id", "start_height",
    "end_height", "threshold", "members": [{"member_index", "operator_public_key"}], "member_indices":
    [{"txid", "index", "member_index" (int or null)}]}`` (``member_indices`` lists every masternode of
    the input in outpoint order); ``DKG_INVALID_PARAMETERS``, ``MN_QUORUM_TOO_SMALL``."""
    mn_list = parse_list(data)
    session = finality_dkg_session(
        mn_list, hex_field(data, "base_block_hash"), uint_field(data, "base_height", 64), preset
    )
    return {
        "session_id": to_hex(session.session_id),
        "start_height": session.start_height,
        "end_height": session_end_height(session.start_height, session.params),
        "threshold": session.threshold,
        "members": [
            {"member_index": index, "operator_public_key": to_hex(key)}
            for index, key in enumerate(session.members, start=1)
        ],
        "member_indices": [
            {**outpoint_json(outpoint), "member_index": member_index(session, entry.operator_public_key)}
            for outpoint, entry in sorted(mn_list.entries.items(), key=lambda kv: kv[0])
        ],
    }


def handle_may_sign_finality(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-3: ``{"last_signed_height"`` (int or null), ``"heights"}`` -> ``{"signed": [bool],
    "last_signed_height"}``: a member offered ``heights`` in turn signs each one
    :func:`~spec.masternode.finality.may_sign_finality` allows and remembers it."""
    last = optional_int(data, "last_signed_height")
    heights = int_list_field(data, "heights")
    if not all(0 <= h < 2**64 for h in heights):
        raise BadInput("heights must be a list of u64 integers")
    if last is not None and not 0 <= last < 2**64:
        raise BadInput("last_signed_height must be a u64 or null")
    signed: list[JSON] = []
    for height in heights:
        allowed = may_sign_finality(last, height)
        signed.append(allowed)
        if allowed:
            last = height
    return {"signed": signed, "last_signed_height": last}


def parse_quorum_keys(data: dict[str, JSON]) -> dict[int, bytes]:
    """``quorum_keys: [{"base_height", "group_public_key"}]`` as a map from base height to key."""
    keys: dict[int, bytes] = {}
    for item in objects(data, "quorum_keys"):
        base = uint_field(item, "base_height", 64)
        if base in keys:
            raise BadInput("quorum_keys lists a base height twice")
        keys[base] = hex_field(item, "group_public_key")
    return keys


def handle_check_finality_certificate(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-2/4, FORK-3: ``{"certificate"`` (hex), ``"quorum_keys": [{"base_height",
    "group_public_key"}]}`` -> ``{"height", "block_hash", "signature", "quorum_height"`` (int or
    null), ``"valid"}``; ``DECODE_*`` for a bad encoding, ``BLS_INVALID_*`` for a signature (or the
    chosen key) that is not a valid point."""
    certificate = decode_finality_certificate(hex_field(data, "certificate"))
    keys = parse_quorum_keys(data)
    quorum_height = finality_quorum_height(certificate.height, preset)
    key = None if quorum_height is None else keys.get(quorum_height)
    return {
        "height": certificate.height,
        "block_hash": to_hex(certificate.block_hash),
        "signature": to_hex(certificate.signature),
        "quorum_height": quorum_height,
        "valid": key is not None and verify_finality_certificate(certificate, key),
    }


def handle_finalized_block(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-4, FORK-2/3: ``{"index", "certificates"`` (hex encodings), ``"quorum_keys", "previous"``
    (hex or null)``}`` -> ``{"finalized"}`` (hex or null); ``DECODE_*`` for a certificate that does
    not decode, ``BLS_INVALID_*`` for a malformed signature or key that gets checked."""
    keys = parse_quorum_keys(data)
    certificates = [decode_finality_certificate(raw) for raw in hex_list_field(data, "certificates")]

    def quorum_key(height: int) -> bytes | None:
        base = finality_quorum_height(height, preset)
        return None if base is None else keys.get(base)

    finalized = newest_finalized(parse_index(data), certificates, quorum_key, optional_hex(data, "previous"))
    return {"finalized": None if finalized is None else to_hex(finalized)}


def handle_apply_block_to_quorums(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-5/6: ``{"quorums", "masternodes"`` (the list after the block; absent: empty), ``"block_hash",
    "height", "transactions": [hex]}`` -> ``{"quorums"}`` after the block: its commitments in
    transaction and output order, then the quorum based at it (if ``height`` is a base height and
    one forms); the first failing commitment's code otherwise (``MN_*``, ``BLS_INVALID_PUBLIC_KEY``,
    ``DECODE_*`` for a masternode message output that does not decode)."""
    registry = parse_quorums(data)
    block_hash = hex_field(data, "block_hash")
    if len(block_hash) != 32:
        raise BadInput("block_hash must be 32 bytes")
    height = uint_field(data, "height", 64)
    transactions = [decode_transaction(raw, preset) for raw in hex_list_field(data, "transactions")]
    after = apply_block_to_quorums(registry, transactions, parse_list(data), block_hash, height, preset)
    return {"quorums": quorums_json(after), "pose_quorums": pose_quorums_json(after)}


def handle_check_commitment_signature(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-5 (relay): ``{"quorum"`` (a record), ``"signature"`` (hex, the ``CommitmentSignature``
    encoding)} -> the decoded signature (:func:`commitment_signature_json`) if it is valid for the
    record; ``DECODE_*``, ``MN_WRONG_QUORUM_SESSION``, ``MN_BAD_COMMITMENT_SIGNERS``,
    ``MN_BAD_COMMITMENT_SIGNATURE`` otherwise."""
    quorum = field(data, "quorum")
    if not isinstance(quorum, dict):
        raise BadInput("quorum must be an object")
    record = parse_quorum_record(quorum)
    signed = decode(COMMITMENT_SIGNATURE_CODEC, hex_field(data, "signature"))
    check_commitment_signature(record, signed)
    return commitment_signature_json(signed)


def _committed_keys(
    preset: Preset,
    data: dict[str, JSON],
    key_at: Callable[[QuorumRegistry, int, Preset], bytes | None],
    quorum_height_at: Callable[[int, Preset], int | None],
) -> JSON:
    """``{"keys": [{"height", "quorum_height", "group_public_key"}]}`` for each of ``data["heights"]``:
    the quorum in charge at that height and its committed key (hex or null)."""
    registry = parse_quorums(data)
    heights = int_list_field(data, "heights")
    if not all(0 <= h < 2**64 for h in heights):
        raise BadInput("heights must be a list of u64 integers")
    keys: list[JSON] = []
    for height in heights:
        key = key_at(registry, height, preset)
        keys.append(
            {
                "height": height,
                "quorum_height": quorum_height_at(height, preset),
                "group_public_key": None if key is None else to_hex(key),
            }
        )
    return {"keys": keys}


def handle_committed_finality_key(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-2/5: ``{"quorums", "heights"}`` -> ``{"keys": [{"height", "quorum_height"`` (int or null),
    ``"group_public_key"`` (hex or null)``}]}``: the committed key certificates of each height verify
    under."""
    return _committed_keys(preset, data, committed_finality_key, finality_quorum_height)


def handle_apply_evidence(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SLASH-2..5: ``{"quorums"`` (the records before the block), ``"masternodes"`` (the list after
    the block's MN-5), ``"transactions": [hex]}`` -> ``{"masternodes", "burnt": [outpoint]}`` after
    the block's slashing evidence in transaction and output order; the first failing piece's code
    otherwise (``MN_*``, ``DECODE_*``)."""
    registry = parse_quorums(data)
    before = parse_list(data)
    transactions = [decode_transaction(raw, preset) for raw in hex_list_field(data, "transactions")]
    after = apply_block_evidence(before, registry, transactions, preset)
    return {
        "masternodes": list_json(after),
        "burnt": [outpoint_json(o) for o in burnt_collaterals(before, after)],
    }


def handle_check_evidence(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SLASH-2/3/5 (the check a node makes before relaying evidence): ``{"quorums"``, ``"masternodes"``,
    ``"transaction": hex}`` -> ``{"convicted": outpoint}``: the masternode the transaction's first
    slashing evidence convicts (for tag 3, the federation's first member), or the code."""
    registry = parse_quorums(data)
    mn_list = parse_list(data)
    transaction = decode_transaction(hex_field(data, "transaction"), preset)
    for output in transaction.outputs:
        message = match_message(output.script_pubkey, preset)
        if isinstance(
            message,
            DoubleSignEvidence
            | DkgEquivocationEvidence
            | ContributionPrefixEvidence
            | CheckpointEquivocationEvidence,
        ):
            return {"convicted": outpoint_json(check_evidence(registry, mn_list, message, preset).collateral)}
    raise BadInput("the transaction carries no slashing evidence")


def handle_terms_to_ban(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-8 under given (governable, GOV-7) MN-5/6 values: ``{"penalty", "ban_threshold",
    "decay_per_block", "interval"}`` -> ``{"terms_to_ban"}`` (int or null: never banned)."""
    del preset
    return {
        "terms_to_ban": terms_to_ban(
            uint_field(data, "penalty", 64),
            uint_field(data, "ban_threshold", 64),
            uint_field(data, "decay_per_block", 64),
            uint_field(data, "interval", 64),
        )
    }


def handle_pose_verdict(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-1/2: ``{"finality_base_height", "excluded": [{"dealer", "reason"}]}`` (a finality DKG's
    DKG-8 exclusions, reasons as in the dkg flow) -> ``{"failures", "judging_quorum_height"}``."""
    excluded = []
    for item in objects(data, "excluded"):
        reason = field(item, "reason")
        if reason not in {e.value for e in Exclusion}:
            raise BadInput("unknown exclusion reason")
        excluded.append((uint_field(item, "dealer", 16), Exclusion(reason)))
    base = uint_field(data, "finality_base_height", 64)
    result = DkgResult(bytes(32), 1, (), tuple(excluded), bytes(48), ())
    return {
        "failures": list(service_failures(result)),
        "judging_quorum_height": judging_quorum_height(base, preset),
    }


def handle_pose_penalty(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-3: ``{"quorum_id", "public_key_shares": [{"index", "public_key"}], "threshold",
    "masternode": {"txid", "index"}, "quorum_height", "shares": [{"quorum_id", "message", "signer",
    "signature"}]}`` -> the recovered ``penalty`` (MN-0 JSON), ``accepted`` signers and ``rejected``
    shares; ``THRESHOLD_INSUFFICIENT_SHARES`` below ``t`` valid shares, ``SIGN_INVALID_SESSION``."""
    keys = [
        Share(int_field(k, "index"), hex_field(k, "public_key")) for k in objects(data, "public_key_shares")
    ]
    if len(keys) > preset.quorum.max_members:
        raise BadInput(f"at most {preset.quorum.max_members} public key shares")
    raw = field(data, "masternode")
    if not isinstance(raw, dict):
        raise BadInput("masternode must be an outpoint object")
    target = parse_outpoint(raw)
    height = uint_field(data, "quorum_height", 64)
    session = penalty_session(
        hex_field(data, "quorum_id"), keys, int_field(data, "threshold"), target, height
    )
    rejected: list[JSON] = []
    for position, item in enumerate(objects(data, "shares")):
        try:
            session = add_signature_share(session, signature_share_from_json(item))
        except SpecError as error:
            rejected.append({"share": position, "error": error.code})
    penalty = penalty_from_session(session, target, height)
    return {"penalty": message_json(penalty), "accepted": sorted(session.shares), "rejected": rejected}


def challenge_json(challenge: PoSeChallenge) -> dict[str, JSON]:
    """POSE-5: ``{"quorum_height", "challenger", "target" (outpoint), "nonce", "signature",
    "digest"}`` (the digest a response names)."""
    return {
        "quorum_height": challenge.quorum_height,
        "challenger": challenge.challenger,
        "target": outpoint_json(challenge.target),
        "nonce": to_hex(challenge.nonce),
        "signature": to_hex(challenge.signature),
        "digest": to_hex(challenge_digest(challenge)),
    }


def response_json(response: PoSeResponse) -> dict[str, JSON]:
    """POSE-6: ``{"challenge", "signature"}``."""
    return {"challenge": to_hex(response.challenge), "signature": to_hex(response.signature)}


def handle_check_pose_challenge(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-4/5: ``{"quorum"`` (the PoSe quorum's record), ``"masternodes", "height"`` (the
    receiver's best height), ``"challenge"`` (hex)} -> the decoded challenge
    (:func:`challenge_json`) plus ``"window": [first, deadline]`` if it is valid."""
    raw = field(data, "quorum")
    if not isinstance(raw, dict):
        raise BadInput("quorum must be a record object")
    record = parse_quorum_record(raw)
    mn_list = parse_list(data)
    height = uint_field(data, "height", 64)
    challenge = decode_challenge(hex_field(data, "challenge"))
    check_challenge(record, mn_list, challenge, height, preset)
    first, deadline = challenge_window(challenge.quorum_height, preset)
    return {**challenge_json(challenge), "window": [first, deadline]}


def handle_check_pose_response(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-6: ``{"masternodes", "challenge"`` (hex, decoded unchecked), ``"response"`` (hex),
    ``"received_height"}`` -> the decoded response (:func:`response_json`) if it answers the
    challenge, is signed by the target and arrived below the deadline."""
    mn_list = parse_list(data)
    challenge = decode_challenge(hex_field(data, "challenge"))
    response = decode_response(hex_field(data, "response"))
    check_response(mn_list, challenge, response)
    check_response_in_time(challenge.quorum_height, uint_field(data, "received_height", 64), preset)
    return response_json(response)


def handle_pose_challenge_verdict(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-7/8: ``{"quorum_height", "challenged": [outpoint], "answered": [{"txid", "index",
    "received_height"}]}`` -> ``{"window": [first, deadline], "penalise": [outpoint],
    "terms_to_ban"`` (int or null, under the preset's MN-5/6 values)}."""
    quorum_height = uint_field(data, "quorum_height", 64)
    challenged = [parse_outpoint(item) for item in objects(data, "challenged")]
    answered: dict[OutPoint, int] = {}
    for item in objects(data, "answered"):
        answered[parse_outpoint(item)] = uint_field(item, "received_height", 64)
    params = preset.masternodes
    first, deadline = challenge_window(quorum_height, preset)
    return {
        "window": [first, deadline],
        "penalise": [outpoint_json(o) for o in unanswered(challenged, answered, quorum_height, preset)],
        "terms_to_ban": terms_to_ban(
            params.pose_penalty,
            params.pose_ban_threshold,
            params.pose_decay_per_block,
            params.pose_quorum_interval,
        ),
    }


def handle_committed_pose_key(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-7 / MN-6: ``{"quorums", "pose_quorums", "heights"}`` -> ``{"keys": [{"height",
    "quorum_height"`` (the PoSe quorum in charge, int or null), ``"group_public_key"`` (its committed
    key, hex or null)``}]}``: the key the PoSe penalties of a block at each height verify under."""
    return _committed_keys(preset, data, committed_pose_key, pose_quorum_height)


def handle_quorum_interval(preset: Preset, data: dict[str, JSON]) -> JSON:
    """QUORUM-1: ``{"quorum_type"}`` -> ``{"interval"}``, the preset rotation interval in blocks;
    ``MN_UNKNOWN_QUORUM_TYPE``."""
    return {"interval": quorum_interval(quorum_type(int_field(data, "quorum_type")), preset)}


def handle_build_commitment(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-5/7 (member side): ``{"quorum_type", "quorum_height", "session_id", "group_public_key",
    "key_shares_root", "signers": [{"index", "operator_secret_key"}]}`` -> each signer's operator
    ``signatures`` (``[{"index", "signature"}]``, ascending), the ``commitment`` (MN-0 JSON, kind 3 or
    5) carrying their aggregate, and its null-data output ``script``; ``BLS_INVALID_SECRET_KEY``."""
    kind = quorum_type(int_field(data, "quorum_type"))
    height = uint_field(data, "quorum_height", 64)
    session_id = hex_field(data, "session_id")
    group_key = hex_field(data, "group_public_key")
    root = hex_field(data, "key_shares_root")
    if len(session_id) != 32 or len(group_key) != 48 or len(root) != 32:
        raise BadInput("session_id and key_shares_root are 32 bytes, group_public_key 48")
    signers = {
        uint_field(item, "index", 16): hex_field(item, "operator_secret_key")
        for item in objects(data, "signers")
    }
    if not signers or len(signers) != len(objects(data, "signers")) or min(signers) < 1:
        raise BadInput("signers: at least one, distinct indices from 1")
    signatures = {
        index: commitment_signature(key, height, session_id, group_key, root)
        for index, key in signers.items()
    }
    commitment = build_commitment(height, session_id, group_key, root, signatures, kind)
    return {
        "signatures": [{"index": i, "signature": to_hex(signatures[i])} for i in sorted(signatures)],
        "commitment": message_json(commitment),
        "script": to_hex(message_script(commitment, preset)),
    }


def handle_key_shares_root(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-5: ``{"public_key_shares": [hex]}`` (the members' 48-byte public key shares, in member
    order) -> ``{"root"}``, the ``key_shares_root`` a commitment carries (``build_commitment``'s
    input), so that a member's signature share can be checked from the chain alone (SLASH-2)."""
    shares = hex_list_field(data, "public_key_shares")
    if not shares or any(len(share) != 48 for share in shares):
        raise BadInput("public_key_shares: at least one, 48 bytes each")
    return {"root": to_hex(key_shares_root(shares))}


def handle_reencode_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MN-0: ``{"script"}`` -> ``{"script"}``: the canonical output script of the message the script
    carries (MN-0 encoding, split into pushes as MN-0 says), null when it carries none;
    ``DECODE_*`` as for ``match_message``. A canonical script comes back unchanged."""
    message = match_message(hex_field(data, "script"), preset)
    return {"script": None if message is None else to_hex(message_script(message, preset))}


def handle_make_pose_challenge(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-5/6 (producing side): ``{"quorum_height", "challenger", "target" (outpoint), "nonce",
    "secret_key"`` (the challenger's operator key), ``"target_secret_key"}`` -> the signed
    ``challenge`` (:func:`challenge_json`) and its ``encoding``, the target's ``response``
    (:func:`response_json`) and its ``response_encoding``; ``BLS_INVALID_SECRET_KEY``."""
    raw_target = field(data, "target")
    if not isinstance(raw_target, dict):
        raise BadInput("target must be an outpoint object")
    nonce = hex_field(data, "nonce")
    if len(nonce) != 32:
        raise BadInput("nonce must be 32 bytes")
    challenge = make_challenge(
        hex_field(data, "secret_key"),
        uint_field(data, "quorum_height", 64),
        uint_field(data, "challenger", 16),
        parse_outpoint(dict(raw_target)),
        nonce,
    )
    response = make_response(hex_field(data, "target_secret_key"), challenge)
    return {
        "challenge": challenge_json(challenge),
        "encoding": to_hex(encode_challenge(challenge)),
        "response": response_json(response),
        "response_encoding": to_hex(encode_response(response)),
    }


def handle_challenge_targets(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-4: ``{"masternodes", "own_operator_key"}`` -> ``{"targets"}``: the outpoints of every
    ACTIVE masternode but the challenger's own (by operator key), ascending."""
    return {
        "targets": [
            outpoint_json(o) for o in challenge_targets(parse_list(data), hex_field(data, "own_operator_key"))
        ]
    }


def handle_pose_challengers(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-11: ``{"quorum_height", "members"`` (n), ``"targets": [outpoint], "masternodes"`` (optional),
    ``"own_operator_key"`` and ``"member"`` (optional, together)} -> ``{"challengers": [{"txid",
    "index", "members": [index]}]}`` for each target, and ``"assigned"`` (the targets ``member``
    challenges among the list's ACTIVE ones but its own) when a list is given."""
    quorum_height = uint_field(data, "quorum_height", 64)
    members = uint_field(data, "members", 16)
    result: dict[str, JSON] = {
        "challengers": [
            {**outpoint_json(t), "members": list(challengers(quorum_height, t, members, preset))}
            for t in (parse_outpoint(item) for item in objects(data, "targets"))
        ]
    }
    if "masternodes" in data:
        member = uint_field(data, "member", 16)
        own = hex_field(data, "own_operator_key")
        assigned = assigned_targets(parse_list(data), own, quorum_height, member, members, preset)
        result["assigned"] = [outpoint_json(o) for o in assigned]
    return result


def handle_finality_share_verdict(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POSE-9/10: ``{"quorum_height"`` (the judging PoSe quorum), ``"masternodes", "observed":
    [{"height", "quorum"`` (the finality record FIN-2 names, as ``quorums`` items),
    ``"signers": [index]}]}`` -> ``{"window": [first, end, verdict], "missed": [{"operator_key",
    "missed"}]`` (by key), ``"penalise": [outpoint]}``."""
    quorum_height = uint_field(data, "quorum_height", 64)
    observed: list[HeightShares] = []
    for item in objects(data, "observed"):
        raw = field(item, "quorum")
        if not isinstance(raw, dict):
            raise BadInput("quorum must be a record object")
        signers = int_list_field(item, "signers")
        observed.append(
            HeightShares(uint_field(item, "height", 64), parse_quorum_record(raw), frozenset(signers))
        )
    missed = missed_shares(observed, quorum_height, preset)
    return {
        "window": list(share_window(quorum_height, preset)),
        "missed": [{"operator_key": to_hex(k), "missed": missed[k]} for k in sorted(missed)],
        "penalise": [
            outpoint_json(o) for o in share_failures(parse_list(data), observed, quorum_height, preset)
        ],
    }


def _equivocable(data: dict[str, JSON], name: str) -> Contribution | Justification:
    item = field(data, name)
    if not isinstance(item, dict):
        raise BadInput(f"{name} must be a DKG message object")
    message = message_from_json(dict(item))
    if not isinstance(message, (Contribution, Justification)):
        raise BadInput(f"{name}: only contributions and justifications can equivocate")
    return message


def handle_dkg_conflict(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SLASH-2/4 (producing side): ``{"first", "second"}`` (DKG messages in the dkg flow's JSON
    form, contributions or justifications) -> each one's conflict ``slots`` (``[kind, dealer,
    complainer or 0]``), whether the two are ``conflicting`` (one slot, two digests), and for
    contributions the signed ``prefixes`` a contribution-prefix evidence carries
    (``{"first_chunk", "siblings", "signature"}``, null for a justification)."""
    messages = [_equivocable(data, "first"), _equivocable(data, "second")]
    prefixes: list[JSON] = []
    for message in messages:
        if isinstance(message, Contribution):
            signed = signed_prefix(message)
            prefixes.append(
                {
                    "first_chunk": to_hex(signed.first_chunk),
                    "siblings": [to_hex(s) for s in signed.siblings],
                    "signature": to_hex(signed.signature),
                }
            )
        else:
            prefixes.append(None)
    return {
        "slots": [list(conflict_slot(m)) for m in messages],
        "conflicting": is_conflicting(messages[0], messages[1]),
        "prefixes": prefixes,
    }


def handle_payee_scripts(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MN-7 / RWD-3: ``{"masternodes", "start_height", "count"}`` -> ``{"scripts"}``: the payout
    script each of ``count`` blocks must pay (``payee_script``; null: no eligible masternode), in
    blocks where nothing but payments changes the list (as ``payee_rotation``)."""
    mn_list = parse_list(data)
    height = uint_field(data, "start_height", 64)
    count = int_field(data, "count")
    if not 0 <= count <= 10_000:
        raise BadInput("count must be in [0, 10000]")
    scripts: list[JSON] = []
    for offset in range(count):
        script = payee_script(mn_list, height + offset)
        scripts.append(None if script is None else to_hex(script))
        mn_list = record_payment(mn_list, height + offset)
    return {"scripts": scripts}


def handle_decode_payload(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MN-0: ``{"payload"}`` (the concatenated null-data pushes: prefix, kind, body) ->
    ``{"message"}``; ``DECODE_INVALID_TAG`` without the prefix, ``DECODE_*`` otherwise."""
    return {"message": message_json(decode_message(hex_field(data, "payload"), preset))}


HANDLERS: dict[str, Handler] = {
    "match_message": handle_match_message,
    "apply_transaction": handle_apply_transaction,
    "apply_blocks": handle_apply_blocks,
    "payee_rotation": handle_payee_rotation,
    "select_quorum": handle_select_quorum,
    "quorum_threshold": handle_quorum_threshold,
    "finality_quorum_height": handle_finality_quorum_height,
    "finality_dkg_session": handle_finality_dkg_session,
    "may_sign_finality": handle_may_sign_finality,
    "check_finality_certificate": handle_check_finality_certificate,
    "finalized_block": handle_finalized_block,
    "apply_block_to_quorums": handle_apply_block_to_quorums,
    "check_commitment_signature": handle_check_commitment_signature,
    "committed_finality_key": handle_committed_finality_key,
    "apply_evidence": handle_apply_evidence,
    "check_evidence": handle_check_evidence,
    "terms_to_ban": handle_terms_to_ban,
    "pose_verdict": handle_pose_verdict,
    "pose_penalty": handle_pose_penalty,
    "check_pose_challenge": handle_check_pose_challenge,
    "check_pose_response": handle_check_pose_response,
    "pose_challenge_verdict": handle_pose_challenge_verdict,
    "committed_pose_key": handle_committed_pose_key,
    "quorum_interval": handle_quorum_interval,
    "key_shares_root": handle_key_shares_root,
    "build_commitment": handle_build_commitment,
    "reencode_message": handle_reencode_message,
    "make_pose_challenge": handle_make_pose_challenge,
    "challenge_targets": handle_challenge_targets,
    "pose_challengers": handle_pose_challengers,
    "finality_share_verdict": handle_finality_share_verdict,
    "dkg_conflict": handle_dkg_conflict,
    "payee_scripts": handle_payee_scripts,
    "decode_payload": handle_decode_payload,
}
