"""Handlers of the ``state`` flow (fork ``state_trie``): the full-state layout (STATE-2..5), the
incremental commitment (STATE-6) and state proofs (STATE-7) (spec/chain/commitment.py,
docs/trie.md "State layout").

JSON shapes: ``items`` (and ``before``, ``after``) is a list of ``[key_hex, value_hex]`` pairs with
distinct keys (as in the ``trie`` flow); a proof is a list of hex node encodings, root first
(MPT-10); an outpoint is ``{"txid", "index"}``.
"""

from __future__ import annotations

from conformance.handlers.masternode import objects, parse_outpoint
from conformance.handlers.trie import _items
from conformance.jsonio import field, from_hex, hex_field, hex_list_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.chain.commitment import (
    advance_commitment,
    attach_commitment,
    compute_committed_items,
    compute_state_root,
    state_from_items,
    verify_state_proof,
)
from spec.chain.layout import StateLayout
from spec.presets import Preset
from spec.trie import RUSTY_TRIE_HASHER, Trie


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


def handle_advance_state(preset: Preset, data: dict[str, JSON]) -> JSON:
    """STATE-6: ``{before, after, touched_utxos, touched_tickets, layout}`` -> ``{root, touched}``.

    ``before`` and ``after`` are item sets (STATE-5 decodes both); the trie of ``before``'s
    committed items under ``layout`` (``"full"``: STATE-2..4, ``"utxo"``: STATE-1) is attached as
    its commitment and advanced to ``after`` by the items that differ (``state_item_changes``: the
    UTXOs and tickets at the touched outpoints, the differing masternode, governance, quorum and
    sidechain entries, the singletons), or by the touched outpoints alone under STATE-1. ``root``
    is the advanced trie's root (equal to STATE-4, or STATE-1, of ``after`` when the touched lists
    name every outpoint whose entry differs: the vectors' cases); ``touched`` is the number of
    touched UTXO outpoints the commitment records for the node's store.
    """
    layouts = {"full": StateLayout.FULL, "utxo": StateLayout.UTXO}
    name = field(data, "layout")
    if name not in layouts:
        raise BadInput('layout must be "full" or "utxo"')
    layout = layouts[str(name)]
    before = state_from_items(_items({"items": field(data, "before")}), preset)
    after = state_from_items(_items({"items": field(data, "after")}), preset)
    touched_utxos = [parse_outpoint(item) for item in objects(data, "touched_utxos")]
    touched_tickets = [parse_outpoint(item) for item in objects(data, "touched_tickets")]
    trie = Trie.from_items(compute_committed_items(before, layout, preset), RUSTY_TRIE_HASHER)
    advanced = advance_commitment(
        attach_commitment(before, layout, trie), before, after, layout, touched_utxos, touched_tickets, preset
    )
    return {"root": to_hex(advanced.root), "touched": len(advanced.touched_utxos)}


HANDLERS: dict[str, Handler] = {
    "state_items": handle_state_items,
    "verify_state_proof": handle_verify_state_proof,
    "advance_state": handle_advance_state,
}
