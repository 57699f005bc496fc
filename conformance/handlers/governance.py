"""Handlers of the ``governance`` flow (spec/governance/proposals.py).

JSON shapes (besides the general conventions of docs/vector-format.md and the masternode flow's
entry and outpoint shapes, conformance/handlers/masternode.py):

* a proposal is ``{"name" (hex), "start_superblock", "action"}``; an action is
  ``{"type": "TREASURY_PAYOUT", "payment_script", "amount"}`` or
  ``{"type": "PARAMETER_CHANGE", "parameter" (hex of the ASCII name), "new_value"}``;
* a vote is ``{"proposal_id", "masternode": {"txid", "index"}, "choice" ("YES" | "NO" |
  "ABSTAIN"), "revision", "signature"}``;
* a proposal record is ``{"proposal_id", "proposal", "submitted_height", "status", "yes", "no",
  "abstain"}``; records are listed in proposal-id order.

The state after a run also lists ``governed`` (every governable name with its governed value, or
null when governance never changed it) and ``votes`` (the votes in force of the proposals still
pending: ``{"proposal_id", "masternode", "choice", "revision"}`` by proposal id, then outpoint).

``apply_blocks`` runs every height from ``start_height`` to ``end_height``: at each height
:func:`~spec.governance.proposals.begin_block` (activation, tally, superblock payments; the
treasury is debited by the payments), then the transactions listed for that height
(:func:`~spec.governance.proposals.apply_block_to_governance`), then ``income_per_block`` is added
to the treasury. The masternode list is fixed for the whole run. An invalid run fails at one
transaction; the message names its height (``height 12: ...``).
"""

from __future__ import annotations

from conformance.handlers.masternode import objects, outpoint_json, parse_list, parse_outpoint, uint_field
from conformance.jsonio import field, hex_field, hex_list_field, int_field, str_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.errors import SpecError
from spec.governance.proposals import (
    EMPTY_STATE,
    CreateSidechain,
    GovernanceMessage,
    GovernanceState,
    ParameterChange,
    Payment,
    Proposal,
    ProposalAction,
    ProposalRecord,
    TreasuryPayout,
    Vote,
    VoteChoice,
    apply_block_to_governance,
    approval_met,
    begin_block,
    decode_message,
    effective_preset,
    encode_message,
    governable_names,
    is_superblock,
    match_message,
    message_script,
    participation_met,
    submit_proposal,
)
from spec.ledger.transaction import decode_transaction
from spec.presets import Preset, preset_parameter


def action_json(action: ProposalAction) -> dict[str, JSON]:
    """GOV-1: a proposal action as JSON."""
    if isinstance(action, TreasuryPayout):
        return {
            "type": "TREASURY_PAYOUT",
            "payment_script": to_hex(action.payment_script),
            "amount": action.amount,
        }
    if isinstance(action, CreateSidechain):
        spec = action.spec
        return {"type": "CREATE_SIDECHAIN", **{name: getattr(spec, name) for name in vars(spec)}}
    return {"type": "PARAMETER_CHANGE", "parameter": to_hex(action.parameter), "new_value": action.new_value}


def proposal_json(proposal: Proposal) -> dict[str, JSON]:
    """GOV-1: a proposal as JSON."""
    return {
        "name": to_hex(proposal.name),
        "start_superblock": proposal.start_superblock,
        "action": action_json(proposal.action),
    }


def message_json(message: GovernanceMessage) -> dict[str, JSON]:
    """GOV-0: a decoded governance message as JSON."""
    if isinstance(message, Proposal):
        return {"kind": "proposal", **proposal_json(message)}
    return {
        "kind": "vote",
        "proposal_id": to_hex(message.proposal_id),
        "masternode": outpoint_json(message.masternode),
        "choice": message.choice.name,
        "revision": message.revision,
        "signature": to_hex(message.signature),
    }


def _object(value: JSON, name: str) -> dict[str, JSON]:
    if not isinstance(value, dict):
        raise BadInput(f"{name} must be an object")
    return value


def parse_action(item: dict[str, JSON]) -> ProposalAction:
    """The inverse of :func:`action_json`."""
    kind = str_field(item, "type")
    if kind == "TREASURY_PAYOUT":
        return TreasuryPayout(hex_field(item, "payment_script"), uint_field(item, "amount", 64))
    if kind == "PARAMETER_CHANGE":
        return ParameterChange(hex_field(item, "parameter"), uint_field(item, "new_value", 64))
    raise BadInput(f"unknown action type {kind!r}")


def parse_message(item: dict[str, JSON]) -> GovernanceMessage:
    """The inverse of :func:`message_json`."""
    kind = str_field(item, "kind")
    if kind == "proposal":
        action = parse_action(_object(field(item, "action"), "action"))
        return Proposal(hex_field(item, "name"), uint_field(item, "start_superblock", 64), action)
    if kind != "vote":
        raise BadInput(f"unknown message kind {kind!r}")
    choice = str_field(item, "choice")
    if choice not in VoteChoice.__members__:
        raise BadInput(f"unknown vote choice {choice!r}")
    return Vote(
        hex_field(item, "proposal_id"),
        parse_outpoint(_object(field(item, "masternode"), "masternode")),
        VoteChoice[choice],
        uint_field(item, "revision", 32),
        hex_field(item, "signature"),
    )


def record_json(record: ProposalRecord) -> dict[str, JSON]:
    """A proposal record as JSON."""
    return {
        "proposal_id": to_hex(record.proposal_id),
        "proposal": proposal_json(record.proposal),
        "submitted_height": record.submitted_height,
        "status": record.status.value,
        "yes": record.yes,
        "no": record.no,
        "abstain": record.abstain,
    }


def payment_json(height: int, payment: Payment) -> dict[str, JSON]:
    """GOV-6: one superblock payment as JSON."""
    return {
        "height": height,
        "proposal_id": to_hex(payment.proposal_id),
        "script": to_hex(payment.script),
        "amount": payment.amount,
    }


def state_json(state: GovernanceState, treasury: int, preset: Preset) -> dict[str, JSON]:
    """The observable governance state: records, executed ids, schedule, overlay, effective values."""
    effective = effective_preset(preset, state.parameters)
    return {
        "treasury": treasury,
        "proposals": [record_json(r) for _, r in sorted(state.proposals.items())],
        "executed": sorted(to_hex(i) for i in state.executed),
        "scheduled": [
            {
                "activation_height": c.activation_height,
                "parameter": c.parameter,
                "new_value": c.new_value,
                "proposal_id": to_hex(c.proposal_id),
            }
            for c in state.scheduled
        ],
        "parameters": {name: value for name, value in state.parameters.values},
        "governed": {name: state.parameters.get(name) for name in governable_names(preset)},
        "votes": [
            {
                "proposal_id": to_hex(identifier),
                "masternode": outpoint_json(masternode),
                "choice": record.choice.name,
                "revision": record.revision,
            }
            for identifier, votes in sorted(state.votes.items())
            for masternode, record in sorted(votes.items())
        ],
        "effective": {p.name: preset_parameter(effective, p.name) for p in preset.governance.governable},
    }


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------


def handle_match_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """GOV-0: ``{"script"}`` -> ``{"message"}`` (JSON, or null when the script carries none);
    ``DECODE_*`` for a governance output whose payload does not decode."""
    message = match_message(hex_field(data, "script"), preset)
    return {"message": None if message is None else message_json(message)}


def handle_decode_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """GOV-0: ``{"payload"}`` (the whole null-data push: prefix, kind, body) -> ``{"message"}``;
    ``DECODE_INVALID_TAG`` for a payload without the prefix or of an unknown kind, ``DECODE_*``
    for a body that does not decode."""
    return {"message": message_json(decode_message(hex_field(data, "payload"), preset))}


def handle_message_script(preset: Preset, data: dict[str, JSON]) -> JSON:
    """GOV-0: ``{"message"}`` (as :func:`message_json` writes it) -> ``{"payload", "script"}``: the
    encoded message (prefix, kind, body) and the null-data output script that carries it."""
    message = parse_message(_object(field(data, "message"), "message"))
    payload, script = encode_message(message, preset), message_script(message, preset)
    return {"payload": to_hex(payload), "script": to_hex(script)}


def handle_submit_proposals(preset: Preset, data: dict[str, JSON]) -> JSON:
    """GOV-1..3: ``{"height", "transactions": [hex]}`` -> ``{"proposals": [record]}``: every proposal
    the transactions carry, submitted in order at ``height`` to an empty governance state (votes
    they carry are ignored); the code of the first invalid proposal otherwise."""
    height = uint_field(data, "height", 64)
    state = EMPTY_STATE
    for raw in hex_list_field(data, "transactions"):
        state = submit_proposal(state, decode_transaction(raw, preset), height, preset)
    return {"proposals": [record_json(r) for _, r in sorted(state.proposals.items())]}


def handle_is_superblock(preset: Preset, data: dict[str, JSON]) -> JSON:
    """GOV-3: ``{"height"}`` -> ``{"superblock"}``: whether ``height`` is a positive multiple of
    ``governance.superblock_interval``."""
    return {"superblock": is_superblock(uint_field(data, "height", 64), preset)}


def handle_apply_blocks(preset: Preset, data: dict[str, JSON]) -> JSON:
    """GOV-0..7: ``{"masternodes", "treasury", "income_per_block", "start_height", "end_height",
    "blocks": [{"height", "transactions": [hex]}]}`` -> ``{"payments", ...state_json}``."""
    mn_list = parse_list(data)
    treasury = uint_field(data, "treasury", 64)
    income = uint_field(data, "income_per_block", 64)
    start, end = uint_field(data, "start_height", 64), uint_field(data, "end_height", 64)
    if end < start or end - start > 100_000:
        raise BadInput("end_height must be in [start_height, start_height + 100000]")
    blocks: dict[int, list[bytes]] = {}
    for item in objects(data, "blocks"):
        height = int_field(item, "height")
        if not start <= height <= end or height in blocks or any(h > height for h in blocks):
            raise BadInput("block heights must increase inside [start_height, end_height]")
        blocks[height] = hex_list_field(item, "transactions")
    state = EMPTY_STATE
    payments: list[JSON] = []
    for height in range(start, end + 1):
        try:
            paid, state = begin_block(state, mn_list, treasury, height, preset)
            treasury -= sum(p.amount for p in paid)
            payments.extend(payment_json(height, p) for p in paid)
            transactions = [decode_transaction(raw, preset) for raw in blocks.get(height, [])]
            state = apply_block_to_governance(state, transactions, mn_list, height, preset)
        except SpecError as exc:
            raise type(exc)(f"height {height}: {exc.detail}") from exc
        treasury += income
    return {"payments": payments, **state_json(state, treasury, preset)}


def handle_thresholds(preset: Preset, data: dict[str, JSON]) -> JSON:
    """GOV-5: ``{"yes", "no", "abstain", "active"}`` -> ``{"participation_met", "approval_met",
    "passed"}``."""
    yes, no = uint_field(data, "yes", 32), uint_field(data, "no", 32)
    abstain, active = uint_field(data, "abstain", 32), uint_field(data, "active", 32)
    params = preset.governance
    participation = participation_met(yes, no, abstain, active, params.participation_bps)
    approval = approval_met(yes, no, params.approval_bps)
    return {
        "participation_met": participation,
        "approval_met": approval,
        "passed": participation and approval,
    }


HANDLERS: dict[str, Handler] = {
    "match_message": handle_match_message,
    "apply_blocks": handle_apply_blocks,
    "thresholds": handle_thresholds,
    "decode_message": handle_decode_message,
    "message_script": handle_message_script,
    "submit_proposals": handle_submit_proposals,
    "is_superblock": handle_is_superblock,
}
