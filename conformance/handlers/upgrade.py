"""Handlers of the ``upgrade`` flow (UPG-1..6, GT-1/2): vote bits, the vote message, the deployment
state machine, and chains that vote a fork in (docs/upgrades.md).

Every handler reads the deployments from the preset; a request carries no fork, because the fork in
force is a function of the chain (UPG-6).
"""

from __future__ import annotations

from dataclasses import asdict

from conformance.handlers.chain import _bool_field
from conformance.jsonio import field, from_json_int, hex_field, hex_list_field, int_field, str_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.chain.block import decode_block
from spec.chain.state import BlockContext, ChainState, apply_block, initial_state, sidechain_outputs
from spec.chain.tickets import vote_message
from spec.errors import SpecError
from spec.forks import FORKS, fork_by_name, fork_for_block
from spec.forks.deployment import (
    DeploymentStatus,
    activation_height,
    agenda_choice,
    begin_window,
    deployment_of,
    next_status,
    vote_bits_for,
)
from spec.governance.proposals import GovernedParameters, ProposalStatus, effective_preset
from spec.ledger.transaction import OutPoint
from spec.presets import Deployment, Preset

CHOICE_NAMES = ("abstain", "no", "yes")


def _deployment(preset: Preset, data: dict[str, JSON]) -> Deployment:
    agenda = str_field(data, "agenda_id")
    deployment = deployment_of(preset, agenda)
    if deployment is None:
        raise BadInput(f"no agenda {agenda!r} in preset {preset.name}")
    return deployment


def _status(data: dict[str, JSON]) -> DeploymentStatus:
    try:
        return DeploymentStatus(str_field(data, "status"))
    except ValueError:
        raise BadInput("status must be defined, started, locked_in, active or failed") from None


def handle_agenda_choice(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UPG-2: ``{agenda_id, vote_bits}`` -> ``{choice}`` (``abstain``, ``no`` or ``yes``)."""
    bits = int_field(data, "vote_bits")
    if not 0 <= bits <= 0xFF:
        raise BadInput("vote_bits is a u8")
    return {"choice": CHOICE_NAMES[agenda_choice(bits, _deployment(preset, data).vote_bit)]}


def handle_vote_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POS-4 / UPG-3: ``{parent_hash, txid, index, vote_bits}`` -> ``{message}`` (what the key signs)."""
    bits = int_field(data, "vote_bits")
    index = int_field(data, "index")
    if not 0 <= bits <= 0xFF or not 0 <= index < 1 << 32:
        raise BadInput("vote_bits is a u8 and index a u32")
    outpoint = OutPoint(hex_field(data, "txid"), index)
    return {"message": to_hex(vote_message(hex_field(data, "parent_hash"), outpoint, bits))}


def handle_vote_bits(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UPG-2 (voter side): ``{choices: [{vote_bit, choice}]}`` -> ``{vote_bits}``, the bits of an
    approving vote that casts each ``choice`` (0 abstain, 1 no, 2 yes) on the agenda at ``vote_bit``."""
    raw = field(data, "choices")
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise BadInput("choices must be a list of {vote_bit, choice} objects")
    pairs: list[tuple[int, int]] = []
    for item in raw:
        assert isinstance(item, dict)
        vote_bit, choice = int_field(item, "vote_bit"), int_field(item, "choice")
        if not 1 <= vote_bit <= 6 or not 0 <= choice <= 3:
            raise BadInput("vote_bit is 1..6 (a 2-bit field of the u8 above bit 0), choice 0..3")
        pairs.append((vote_bit, choice))
    return {"vote_bits": vote_bits_for(pairs)}


def handle_fork_rules(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UPG-1: ``{name, governed: {"section.field": int}}`` -> what the fork called ``name`` changes:
    ``{index, state_layout, sidechains_enabled, governable, sidechain_proposals, tickets}``, with
    ``tickets`` the ``[tickets]`` section POS-5 reads when governance activated the ``governed``
    values (GOV-7); ``PRESET_INVALID`` for a name no fork has."""
    fork = fork_by_name(str_field(data, "name"))
    raw = field(data, "governed")
    if not isinstance(raw, dict):
        raise BadInput("governed must be an object of parameter values")
    known = {p.name for p in FORKS[-1].governance_preset(preset).governance.governable}
    parameters = GovernedParameters()
    for name, value in raw.items():
        if name not in known:
            raise BadInput(f"{name!r} is not a governable parameter of {preset.name}")
        parameters = parameters.with_value(name, from_json_int(value, name))
    governance = fork.governance_preset(preset).governance
    tickets = fork.ticket_price_preset(preset, effective_preset(preset, parameters)).tickets
    return {
        "index": FORKS.index(fork),
        "state_layout": fork.state_layout().value,
        "sidechains_enabled": fork.sidechains_enabled(),
        "governable": [p.name for p in governance.governable],
        "sidechain_proposals": governance.sidechain_proposals,
        "tickets": {key: value for key, value in asdict(tickets).items()},
    }


def handle_next_state(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UPG-4: ``{agenda_id, status, window_start, yes, no, previous_fork_active}`` -> ``{status}``."""
    deployment = _deployment(preset, data)
    start = int_field(data, "window_start")
    if start <= 0 or start % deployment.window_blocks != 0:
        raise BadInput("window_start must be a positive multiple of the window length")
    status = next_status(
        _status(data),
        start,
        int_field(data, "yes"),
        int_field(data, "no"),
        _bool_field(data, "previous_fork_active"),
        deployment,
    )
    return {"status": status.value}


def upgrade_json(state: ChainState, preset: Preset) -> dict[str, JSON]:
    """The deployment records after the tip, and what is in force for the next block."""
    height = state.height + 1
    stepped = begin_window(state.deployments, height, preset)
    deployments = [f.deployment for f in preset.forks if f.deployment is not None]
    fork = fork_for_block(state.deployments, height, preset)
    return {
        "height": state.height,
        "tip_hash": to_hex(state.tip_hash),
        "deployments": [
            {
                "agenda_id": r.agenda_id,
                "status": r.status.value,
                "since_height": r.since_height,
                "yes": r.yes,
                "no": r.no,
            }
            for r in state.deployments
        ],
        "next_block": {
            "fork": fork.name,
            "statuses": [r.status.value for r in stepped],
            "activation_heights": [
                activation_height(r, d) for r, d in zip(stepped, deployments, strict=True)
            ],
            "governable": [p.name for p in fork.governance_preset(preset).governance.governable],
        },
        "pending_proposals": sorted(
            to_hex(i) for i, r in state.governance.proposals.items() if r.status is ProposalStatus.PENDING
        ),
    }


def _apply(state: ChainState, blocks: list[bytes], preset: Preset, label: str) -> ChainState:
    for position, raw in enumerate(blocks):
        try:
            block = decode_block(raw, preset)
            state = apply_block(state, block, BlockContext(block.header.timestamp), preset)
        except SpecError as exc:
            raise type(exc)(f"{label} block {position}: {exc.detail}") from exc
    return state


def handle_apply_blocks(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UPG-4..6 on a chain: ``{blocks}`` from before genesis (each validated with the clock at its
    own timestamp) -> :func:`upgrade_json`, or the code of the first failing block."""
    return upgrade_json(
        _apply(initial_state(preset), hex_list_field(data, "blocks"), preset, "chain"), preset
    )


def handle_sidechain_outputs(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-BLK-1..4 as a node following deposits asks them: ``{"blocks", "block"}`` -> apply ``blocks``
    from before genesis (as ``apply_blocks``), then what ``block``, connected on that tip, hands each
    sidechain (:func:`~spec.chain.state.sidechain_outputs`): ``{"outputs": {"deposits", "inbound",
    "released"}}`` (the withdrawal value each transaction releases, coinbase first); ``outputs`` is
    null when fork ``sidechains`` is not in force at the block; or the code of the first failing
    block or message."""
    from conformance.handlers.sidechain import deposit_json, inbound_json

    state = _apply(initial_state(preset), hex_list_field(data, "blocks"), preset, "chain")
    outputs = sidechain_outputs(state, decode_block(hex_field(data, "block"), preset), preset)
    if outputs is None:
        return {"outputs": None}
    return {
        "outputs": {
            "deposits": [deposit_json(d) for d in outputs.deposits],
            "inbound": [inbound_json(m) for m in outputs.inbound],
            "released": list(outputs.released),
        }
    }


def handle_reorganise(preset: Preset, data: dict[str, JSON]) -> JSON:
    """A reorganisation across an activation boundary: apply ``common`` then ``old_branch``, then
    switch to ``new_branch`` (disconnect the old branch down to the end of ``common``, connect the
    new one) -> :func:`upgrade_json` of the new tip, or the code of the first failing block."""
    common = _apply(initial_state(preset), hex_list_field(data, "common"), preset, "common")
    _apply(common, hex_list_field(data, "old_branch"), preset, "old branch")
    return upgrade_json(_apply(common, hex_list_field(data, "new_branch"), preset, "new branch"), preset)


def handle_forks(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UPG-1: ``{}`` -> the preset's forks in order with their deployments."""
    if data:
        raise BadInput("forks takes no input")
    result: list[JSON] = []
    for fork, params in zip(FORKS, preset.forks, strict=True):
        d = params.deployment
        result.append(
            {
                "name": fork.name,
                "deployment": None
                if d is None
                else {
                    "agenda_id": d.agenda_id,
                    "vote_bit": d.vote_bit,
                    "window_blocks": d.window_blocks,
                    "quorum_votes": d.quorum_votes,
                    "threshold_bps": d.threshold_bps,
                    "start_height": d.start_height,
                    "expiry_height": d.expiry_height,
                },
            }
        )
    return {"forks": result}


HANDLERS: dict[str, Handler] = {
    "forks": handle_forks,
    "agenda_choice": handle_agenda_choice,
    "vote_bits": handle_vote_bits,
    "fork_rules": handle_fork_rules,
    "vote_message": handle_vote_message,
    "next_state": handle_next_state,
    "apply_blocks": handle_apply_blocks,
    "reorganise": handle_reorganise,
    "sidechain_outputs": handle_sidechain_outputs,
}
