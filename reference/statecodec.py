"""JSON encodings of the masternode list, the governance state and the finality quorum records,
for the reference node's store.

They are storage formats of the reference node, not consensus encodings: the spec derives both
states from the blocks (:class:`spec.chain.state.ChainState`), and the store keeps them so a
reopened node need not replay the chain. Every field round-trips exactly
(``tests/test_chain_masternodes.py``). Proposals are kept as their canonical GOV-0 encoding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from spec.encoding import Codec, decode, encode
from spec.forks.deployment import AgendaRecord, Deployments, DeploymentStatus
from spec.governance.proposals import (
    GovernanceState,
    GovernedParameters,
    Proposal,
    ProposalRecord,
    ProposalStatus,
    ScheduledChange,
    VoteChoice,
    VoteRecord,
    governance_codecs,
)
from spec.ledger.transaction import OutPoint
from spec.masternode.finality import QuorumRecord, QuorumRegistry
from spec.masternode.registry import MasternodeEntry, MasternodeList, MasternodeStatus
from spec.presets import Preset
from spec.sidechain.items import sidechain_items, sidechains_from_items
from spec.sidechain.registry import SidechainsState


def _outpoint(outpoint: OutPoint) -> str:
    return f"{outpoint.txid.hex()}:{outpoint.index}"


def _parse_outpoint(text: str) -> OutPoint:
    txid, _, index = text.partition(":")
    return OutPoint(bytes.fromhex(txid), int(index))


def _entry_json(entry: MasternodeEntry) -> dict[str, Any]:
    return {
        "collateral": _outpoint(entry.collateral),
        "operator_public_key": entry.operator_public_key.hex(),
        "owner_public_key": entry.owner_public_key.hex(),
        "payout_script": entry.payout_script.hex(),
        "address": entry.address.hex(),
        "port": entry.port,
        "status": entry.status.value,
        "registered_height": entry.registered_height,
        "pose_score": entry.pose_score,
        "last_paid_height": entry.last_paid_height,
        "last_penalty_quorum_height": entry.last_penalty_quorum_height,
        "unbonding_height": entry.unbonding_height,
    }


def _parse_entry(item: dict[str, Any]) -> MasternodeEntry:
    return MasternodeEntry(
        collateral=_parse_outpoint(item["collateral"]),
        operator_public_key=bytes.fromhex(item["operator_public_key"]),
        owner_public_key=bytes.fromhex(item["owner_public_key"]),
        payout_script=bytes.fromhex(item["payout_script"]),
        address=bytes.fromhex(item["address"]),
        port=item["port"],
        status=MasternodeStatus(item["status"]),
        registered_height=item["registered_height"],
        pose_score=item["pose_score"],
        last_paid_height=item["last_paid_height"],
        last_penalty_quorum_height=item["last_penalty_quorum_height"],
        unbonding_height=item.get("unbonding_height"),  # MN-8 (absent in stores written before it)
    )


def encode_masternodes(mn_list: MasternodeList) -> bytes:
    """The list as canonical JSON (entries in outpoint order)."""
    items = [_entry_json(entry) for _, entry in sorted(mn_list.entries.items())]
    return json.dumps(items, sort_keys=True, separators=(",", ":")).encode()


def decode_masternodes(raw: bytes) -> MasternodeList:
    """Inverse of :func:`encode_masternodes`."""
    entries = [_parse_entry(item) for item in json.loads(raw)]
    return MasternodeList({entry.collateral: entry for entry in entries})


def _stored_proposal_codec(preset: Preset) -> Codec[Proposal]:
    """A stored proposal record may hold any action the chain ever accepted, so the node's stored
    state reads the CREATE_SIDECHAIN action too (SC-FORK-2), as STATE-3's item codec does; GOV-0 on
    new messages stays gated by the fork."""
    stored = replace(preset, governance=replace(preset.governance, sidechain_proposals=True))
    return governance_codecs(stored).proposal


def encode_governance(state: GovernanceState, preset: Preset) -> bytes:
    """The governance state as canonical JSON."""
    codec = _stored_proposal_codec(preset)
    data = {
        "proposals": [
            {
                "id": identifier.hex(),
                "proposal": encode(codec, record.proposal).hex(),
                "submitted_height": record.submitted_height,
                "status": record.status.value,
                "yes": record.yes,
                "no": record.no,
                "abstain": record.abstain,
            }
            for identifier, record in sorted(state.proposals.items())
        ],
        "votes": {
            identifier.hex(): {
                _outpoint(outpoint): [int(vote.choice), vote.revision]
                for outpoint, vote in sorted(votes.items())
            }
            for identifier, votes in sorted(state.votes.items())
        },
        "executed": sorted(identifier.hex() for identifier in state.executed),
        "scheduled": [
            [c.activation_height, c.parameter, c.new_value, c.proposal_id.hex()] for c in state.scheduled
        ],
        "parameters": [[name, value] for name, value in state.parameters.values],
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def decode_governance(raw: bytes, preset: Preset) -> GovernanceState:
    """Inverse of :func:`encode_governance`."""
    data = json.loads(raw)
    codec = _stored_proposal_codec(preset)
    proposals = {
        bytes.fromhex(item["id"]): ProposalRecord(
            bytes.fromhex(item["id"]),
            decode(codec, bytes.fromhex(item["proposal"])),
            item["submitted_height"],
            ProposalStatus(item["status"]),
            item["yes"],
            item["no"],
            item["abstain"],
        )
        for item in data["proposals"]
    }
    votes = {
        bytes.fromhex(identifier): {
            _parse_outpoint(outpoint): VoteRecord(VoteChoice(choice), revision)
            for outpoint, (choice, revision) in by_masternode.items()
        }
        for identifier, by_masternode in data["votes"].items()
    }
    return GovernanceState(
        proposals=proposals,
        votes=votes,
        executed=frozenset(bytes.fromhex(identifier) for identifier in data["executed"]),
        scheduled=tuple(
            ScheduledChange(height, name, value, bytes.fromhex(identifier))
            for height, name, value, identifier in data["scheduled"]
        ),
        parameters=GovernedParameters(tuple((name, value) for name, value in data["parameters"])),
    )


def _hex_or_none(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def _bytes_or_none(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


def encode_quorums(registry: QuorumRegistry) -> bytes:
    """The finality and PoSe quorum records (FIN-6/7) as canonical JSON, by base height."""
    both = {"finality": _records_json(registry.records), "pose": _records_json(registry.pose_records)}
    return json.dumps(both, sort_keys=True, separators=(",", ":")).encode()


def _records_json(records: Mapping[int, QuorumRecord]) -> list[dict[str, Any]]:
    return [
        {
            "base_height": r.base_height,
            "base_hash": r.base_hash.hex(),
            "session_id": r.session_id.hex(),
            "members": [key.hex() for key in r.members],
            "threshold": r.threshold,
            "group_public_key": _hex_or_none(r.group_public_key),
            "committed_height": r.committed_height,
            "key_shares_root": _hex_or_none(r.key_shares_root),
        }
        for _, r in sorted(records.items())
    ]


def decode_quorums(raw: bytes) -> QuorumRegistry:
    """Inverse of :func:`encode_quorums` (a plain list, the format before FIN-7, holds finality records)."""
    data = json.loads(raw)
    if isinstance(data, list):
        return QuorumRegistry(_parse_records(data))
    return QuorumRegistry(_parse_records(data["finality"]), _parse_records(data["pose"]))


def _parse_records(items: list[dict[str, Any]]) -> dict[int, QuorumRecord]:
    records = [
        QuorumRecord(
            base_height=item["base_height"],
            base_hash=bytes.fromhex(item["base_hash"]),
            session_id=bytes.fromhex(item["session_id"]),
            members=tuple(bytes.fromhex(key) for key in item["members"]),
            threshold=item["threshold"],
            group_public_key=_bytes_or_none(item["group_public_key"]),
            committed_height=item["committed_height"],
            key_shares_root=_bytes_or_none(item.get("key_shares_root")),
        )
        for item in items
    ]
    return {record.base_height: record for record in records}


def encode_deployments(deployments: Deployments) -> bytes:
    """The deployment records (UPG-4/5) as canonical JSON, in fork order."""
    items = [
        {"agenda_id": r.agenda_id, "status": r.status.value, "since": r.since_height, "yes": r.yes}
        | {"no": r.no}
        for r in deployments
    ]
    return json.dumps(items, sort_keys=True, separators=(",", ":")).encode()


def decode_deployments(raw: bytes) -> Deployments:
    """Inverse of :func:`encode_deployments`."""
    return tuple(
        AgendaRecord(
            item["agenda_id"], DeploymentStatus(item["status"]), item["since"], item["yes"], item["no"]
        )
        for item in json.loads(raw)
    )


def encode_sidechains(state: SidechainsState) -> bytes:
    """The sidechains state (SC-REG-4) as canonical JSON: its committed items (SC-STATE-1) in hex,
    sorted by key (empty before fork ``sidechains``)."""
    items = sorted(sidechain_items(state).items())
    return json.dumps([[k.hex(), v.hex()] for k, v in items], separators=(",", ":")).encode()


def decode_sidechains(raw: bytes) -> SidechainsState:
    """Inverse of :func:`encode_sidechains` (``sidechains_from_items``)."""
    return sidechains_from_items({bytes.fromhex(k): bytes.fromhex(v) for k, v in json.loads(raw)})
