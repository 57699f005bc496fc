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
from conformance.jsonio import field, from_hex, hex_field, hex_list_field, int_field, int_list_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.chain.commitment import (
    StateCommitment,
    advance_commitment,
    attach_commitment,
    compute_committed_items,
    compute_state_root,
    state_from_items,
    verify_state_proof,
)
from spec.chain.layout import StateLayout
from spec.encoding import encode
from spec.presets import Preset
from spec.sidechain.items import OPENING_CODEC, sidechain_item_key, sidechains_from_items
from spec.sidechain.registry import SidechainsState
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


_LAYOUTS = {"full": StateLayout.FULL, "utxo": StateLayout.UTXO}


def _layout(value: JSON, name: str) -> StateLayout:
    if not isinstance(value, str) or value not in _LAYOUTS:
        raise BadInput(f'{name} must be "full" or "utxo"')
    return _LAYOUTS[value]


def handle_advance_state(preset: Preset, data: dict[str, JSON]) -> JSON:
    """STATE-6: ``{before, trie_of, parent_layout, steps: [{after, touched_utxos, touched_tickets,
    layout}]}`` -> ``{roots, touched}`` (one entry per step), or the code.

    Item sets (``before``, ``trie_of``, each ``after``) are decoded by STATE-5. The trie of the
    committed items of ``trie_of`` (``null``: of ``before``) under ``parent_layout`` (``"full"``:
    STATE-2..4, ``"utxo"``: STATE-1) is attached as that state's commitment (``parent_layout``
    ``null``: no commitment); each step advances the commitment to its ``after`` under its
    ``layout``: by the items that differ (``state_item_changes``: the UTXOs and tickets at the
    touched outpoints, the differing masternode, governance, quorum and sidechain entries, the
    singletons), by the touched outpoints alone under STATE-1, or from scratch when the commitment
    is not the previous state's under that layout (none; another layout: the fork's activation
    block; a stale trie, another state's than ``before``, which must not change the result).
    ``roots`` are the advanced tries' roots (equal to STATE-4, or STATE-1, of each ``after`` when
    the touched lists name every outpoint whose entry differs: the vectors' cases); ``touched`` the
    number of touched UTXO outpoints each commitment records for the node's store.
    """
    before = state_from_items(_items({"items": field(data, "before")}), preset)
    parent, trie_of = field(data, "parent_layout"), field(data, "trie_of")
    built_for = before if trie_of is None else state_from_items(_items({"items": trie_of}), preset)
    commitment: StateCommitment | None = None
    if parent is not None:
        layout = _layout(parent, "parent_layout")
        trie = Trie.from_items(compute_committed_items(built_for, layout, preset), RUSTY_TRIE_HASHER)
        commitment = attach_commitment(built_for, layout, trie)
    roots: list[JSON] = []
    touched: list[JSON] = []
    for step in objects(data, "steps"):
        after = state_from_items(_items({"items": field(step, "after")}), preset)
        commitment = advance_commitment(
            commitment,
            before,
            after,
            _layout(field(step, "layout"), "layout"),
            [parse_outpoint(item) for item in objects(step, "touched_utxos")],
            [parse_outpoint(item) for item in objects(step, "touched_tickets")],
            preset,
        )
        roots.append(to_hex(commitment.root))
        touched.append(len(commitment.touched_utxos))
        before = after
    return {"roots": roots, "touched": touched}


def handle_sidechain_item_key(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-STATE-1: ``{kind, parts}`` (an item kind 0x10..0x14 and its u64 key parts) -> ``{"key"}``
    (hex), or the code (``STATE_ITEM_BAD_KEY``: another kind, number of parts, or a part out of
    u64)."""
    del preset
    return {"key": to_hex(sidechain_item_key(int_field(data, "kind"), *int_list_field(data, "parts")))}


def handle_sidechains_from_items(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-STATE-1: ``{items}`` (sidechain items only, kinds 0x10..0x19) -> the decoded sidechains
    state, or the code: ``chains`` (by id: the spec's fields, activation height, escrow and each
    checkpoint's fields), ``spent`` and ``delivered`` (sorted ``[chain, height, leaf]`` keys),
    ``pending`` (sorted by key: each message's own key, destination, amount, relay height and
    position), a chain's ``voids`` (``[relay_height, position, refund_height]``, SC-MSG-5) when it
    has any, the
    open ``games`` and ``bond_payouts`` when there are any, and ``next_game``, the id the next
    opened game gets (always present: 0 when no 0x17 item is stored, SC-DSP-14)."""
    del preset
    state = sidechains_from_items(_items(data))
    return {
        "chains": [
            {
                "spec": [
                    record.spec.sidechain_id,
                    record.spec.vm_kind,
                    record.spec.federation,
                    record.spec.peg_in_depth,
                    record.spec.challenge_period,
                    record.spec.message_timeout,
                    record.spec.max_escrow,
                    record.spec.max_withdrawal,
                ],
                "activation_height": record.activation_height,
                "escrow": record.escrow,
                "checkpoints": [
                    [
                        c.height,
                        to_hex(c.header_hash),
                        c.deposit_cursor,
                        to_hex(c.outbox_root),
                        c.posted_height,
                    ]
                    for c in record.checkpoints
                ],
                "input_marks": [[m.height, m.count, to_hex(m.accumulator)] for m in record.input_marks],
                **(
                    {"voids": [[v.relay_height, v.position, v.refund_height] for v in record.voids]}
                    if record.voids
                    else {}
                ),
            }
            for _, record in sorted(state.chains.items())
        ],
        "spent": [list(key) for key in sorted(state.spent_withdrawals)],
        "delivered": [list(key) for key in sorted(state.delivered_messages)],
        "pending": [
            {
                "key": list(message.key),
                "destination": message.destination,
                "amount": message.amount,
                "relay_height": message.relay_height,
                "position": message.position,
            }
            for _, message in sorted(state.pending_messages.items())
        ],
        **_games_json(state),
        "next_game": state.next_game,
    }


def _games_json(state: SidechainsState) -> dict[str, JSON]:
    """SC-STATE-1 kinds 0x15..0x17: every field an open game's item holds (no keys without any)."""
    out: dict[str, JSON] = {}
    if state.games:
        out["games"] = [
            {
                "game_id": game_id,
                "sidechain_id": opened.sidechain_id,
                "payout_script": to_hex(opened.payout_script),
                "opening": to_hex(encode(OPENING_CODEC, opened.game.opening)),
                "defender_bond": opened.game.defender_bond,
                "burn_share_bps": opened.game.burn_share_bps,
                "lo": opened.game.lo,
                "hi": opened.game.hi,
                "agreed_root": to_hex(opened.game.agreed_root),
                "defender_root": to_hex(opened.game.defender_root),
                "challenger_root": to_hex(opened.game.challenger_root),
                "pending_root": None
                if opened.game.pending_root is None
                else to_hex(opened.game.pending_root),
                "turn": opened.game.turn,
                "last_move_at": opened.game.last_move_at,
                "clocks": list(opened.game.clocks),
                "moves": opened.game.moves,
            }
            for game_id, opened in sorted(state.games.items())
        ]
    if state.bond_payouts:
        out["bond_payouts"] = [
            {"game_id": game_id, "script": to_hex(due.script), "amount": due.amount}
            for game_id, due in sorted(state.bond_payouts.items())
        ]
    if state.next_game:
        out["next_game"] = state.next_game
    return out


HANDLERS: dict[str, Handler] = {
    "state_items": handle_state_items,
    "verify_state_proof": handle_verify_state_proof,
    "advance_state": handle_advance_state,
    "sidechain_item_key": handle_sidechain_item_key,
    "sidechains_from_items": handle_sidechains_from_items,
}
