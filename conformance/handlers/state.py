"""Handlers of the ``state`` flow (fork ``state_trie``): the full-state layout (STATE-2..5) and
state proofs (STATE-7) (spec/chain/commitment.py, docs/trie.md "State layout").

JSON shapes: ``items`` is a list of ``[key_hex, value_hex]`` pairs with distinct keys (as in the
``trie`` flow); a proof is a list of hex node encodings, root first (MPT-10).
"""

from __future__ import annotations

from conformance.handlers.trie import _items
from conformance.jsonio import field, from_hex, hex_field, hex_list_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.chain.commitment import compute_state_root, state_from_items, verify_state_proof
from spec.presets import Preset


def handle_state_items(preset: Preset, data: dict[str, JSON]) -> JSON:
    """STATE-5 then STATE-4: ``{items}`` -> the decoded state's summary and its root, or the code.

    The output counts the entries of every kind and gives the singletons, so an implementation
    that decodes an item into the wrong place disagrees; ``root`` is STATE-4 of the decoded state
    (equal to MPT-6 of ``items``, since decoding accepts only what the layout produces).
    """
    items = _items(data)
    state = state_from_items(items, preset)
    governance = state.governance
    return {
        "root": to_hex(compute_state_root(state, preset)),
        "utxos": len(state.utxos),
        "utxo_value": sum(entry.output.value for entry in state.utxos.values()),
        "tickets": len(state.tickets),
        "ticket_price": state.ticket_price,
        "treasury": state.treasury,
        "masternodes": len(state.masternodes.entries),
        "proposals": len(governance.proposals),
        "votes": sum(len(votes) for votes in governance.votes.values()),
        "executed": len(governance.executed),
        "parameters": [[name, value] for name, value in governance.parameters.values],
        "scheduled": len(governance.scheduled),
        "finality_quorums": sorted(state.quorums.records),
        "pose_quorums": sorted(state.quorums.pose_records),
        "deployments": [
            [r.agenda_id, r.status.value, r.since_height, r.yes, r.no] for r in state.deployments
        ],
    }


def handle_verify_state_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """STATE-7: ``{root, key, value (hex or null), proof}`` -> ``{"verified": true}``, or the code."""
    del preset
    raw = field(data, "value")
    value = None if raw is None else from_hex(raw, "value")
    root = hex_field(data, "root")
    if len(root) != 32:
        raise BadInput("root is 32 bytes")
    verify_state_proof(root, hex_field(data, "key"), value, tuple(hex_list_field(data, "proof")))
    return {"verified": True}


HANDLERS: dict[str, Handler] = {
    "state_items": handle_state_items,
    "verify_state_proof": handle_verify_state_proof,
}
