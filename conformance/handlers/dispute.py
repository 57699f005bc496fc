"""Handlers of the ``dispute`` flow (spec/sidechain/dispute.py, SC-DSP-1..10; docs/disputes.md).

JSON shapes (besides the general conventions of docs/vector-format.md):

* an ``opening`` is ``{"header": hex of the encoded SidechainHeader (SC-HDR-4), "vm_kind",
  "tx_count", "parent_state_root", "gas_limit", "fee_recipient", "federation": [hex],
  "challenger_trace_root", "challenger_final_root", "challenger_bond", "opened_at"}``;
* a move is ``{"kind": "bisect" | "one_step" | "timeout", "party": 0 (defender) | 1 (challenger),
  "at": mainchain height, "data": hex of the encoded BisectMove / OneStepProof}`` (a timeout has
  no ``party`` or ``data``);
* ``play`` applies the moves in order and returns the game state after each and the outcome; an
  invalid case's last move is the one rejected with ``expect_error``;
* ``compute_trace`` (SC-DSP-1, what a watcher re-executes) takes ``{"vm_kind", "witness": hex of
  the encoded StateWitness of the pre-state nodes (SC-DSP-5's format), "pre_root", "credits":
  [{"recipient", "amount"}], "txs": [hex], "context": {"sidechain_id", "height", "timestamp",
  "fee_recipient" (hex), "gas_limit"}}`` and returns ``{"trace": [hex r_1 .. r_n]}`` or a
  ``VM_*`` code;
* ``is_trace_claimed`` (SC-DSP-1) takes ``{"header", "trace": [hex]}`` and returns ``{"claimed"}``;
* ``credit_step_witness`` (SC-DSP-5, VM-6: what a defender posts for an empty block) takes
  ``{"vm_kind", "witness" (the nodes held), "pre_root", "credits"}`` and returns ``{"witness"}``
  or ``VM_WITNESS_INCOMPLETE``.
"""

from __future__ import annotations

from conformance.handlers.masternode import list_json, outpoint_json, parse_list, parse_quorums
from conformance.jsonio import field, hex_field, hex_list_field, int_field, str_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.encoding import decode
from spec.masternode.slashing import burnt_collaterals, slash_federation
from spec.presets import Preset
from spec.sidechain.dispute import (
    BisectMove,
    DisputeOpening,
    Game,
    OneStepProof,
    Outcome,
    Party,
    apply_bisect_move,
    apply_one_step,
    check_equivocation_proof,
    check_escrow_overdraw_proof,
    claim_timeout,
    compute_trace,
    decode_bisect_move,
    decode_one_step_proof,
    encode_bisect_move,
    encode_one_step_proof,
    is_trace_claimed,
    max_moves,
    open_game,
    record_credit_step_witness,
)
from spec.sidechain.header import BlockCredit, decode_checkpoint, decode_sidechain_header
from spec.sidechain.settlement import federation_quorum, is_settled_before_maturity
from spec.vm.interface import (
    OUTBOX_ENTRY_CODEC,
    ExecutionContext,
    VmKind,
    decode_witness,
    encode_witness,
    state_hasher,
    witness_nodes,
)


def _object(data: dict[str, JSON], name: str) -> dict[str, JSON]:
    value = field(data, name)
    if not isinstance(value, dict):
        raise BadInput(f"{name} must be an object")
    return value


def opening_from_json(value: dict[str, JSON]) -> DisputeOpening:
    """SC-DSP-2: an opening from its JSON shape."""
    return DisputeOpening(
        header=decode_sidechain_header(hex_field(value, "header")),
        vm_kind=int_field(value, "vm_kind"),
        tx_count=int_field(value, "tx_count"),
        parent_state_root=hex_field(value, "parent_state_root"),
        gas_limit=int_field(value, "gas_limit"),
        fee_recipient=hex_field(value, "fee_recipient"),
        federation=tuple(hex_list_field(value, "federation")),
        challenger_trace_root=hex_field(value, "challenger_trace_root"),
        challenger_final_root=hex_field(value, "challenger_final_root"),
        challenger_bond=int_field(value, "challenger_bond"),
        opened_at=int_field(value, "opened_at"),
        credits=tuple(_credit(item) for item in _list(value, "credits")),
    )


def _list(value: dict[str, JSON], name: str) -> list[JSON]:
    items = value.get(name, [])
    if not isinstance(items, list):
        raise BadInput(f"{name} must be a list")
    return items


def _credit(item: JSON) -> BlockCredit:
    """SC-DSP-1: ``{"recipient" (hex), "amount"}``: one input the block credits before transaction 0."""
    if not isinstance(item, dict):
        raise BadInput("a credit must be an object")
    return BlockCredit(hex_field(item, "recipient"), int_field(item, "amount"))


def game_json(game: Game) -> dict[str, JSON]:
    """SC-DSP-2..4: the game state a move leaves."""
    return {
        "lo": game.lo,
        "hi": game.hi,
        "agreed_root": to_hex(game.agreed_root),
        "defender_root": to_hex(game.defender_root),
        "challenger_root": to_hex(game.challenger_root),
        "pending_root": None if game.pending_root is None else to_hex(game.pending_root),
        "turn": game.turn,
        "last_move_at": game.last_move_at,
        "clocks": list(game.clocks),
        "moves": game.moves,
    }


def outcome_json(outcome: Outcome | None) -> JSON:
    """SC-DSP-6, SC-DSP-7: the outcome, ``None`` while the game runs."""
    if outcome is None:
        return None
    return {
        "winner": outcome.winner,
        "reason": outcome.reason,
        "winner_receives": outcome.winner_receives,
        "burnt": outcome.burnt,
        "reverted_height": outcome.reverted_height,
        "penalised": [to_hex(member) for member in outcome.penalised],
    }


def _party(value: dict[str, JSON]) -> Party:
    party = int_field(value, "party")
    if party not in (0, 1):
        raise BadInput("party must be 0 or 1")
    return Party(party)


def handle_play(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-1..7: ``{"opening", "moves"}`` -> ``{"states": [...], "outcome"}``."""
    game = open_game(opening_from_json(_object(data, "opening")), preset.dispute)
    moves = field(data, "moves")
    if not isinstance(moves, list):
        raise BadInput("moves must be a list")
    states: list[JSON] = [game_json(game)]
    params = preset.dispute
    for move in moves:
        if not isinstance(move, dict):
            raise BadInput("a move must be an object")
        kind = str_field(move, "kind")
        at = int_field(move, "at")
        if kind == "timeout":
            game = claim_timeout(game, at, params)
        elif kind == "bisect":
            game = apply_bisect_move(
                game, _party(move), decode_bisect_move(hex_field(move, "data")), at, params
            )
        elif kind == "one_step":
            proof = decode_one_step_proof(hex_field(move, "data"))
            game = apply_one_step(game, _party(move), proof, at, preset)
        else:
            raise BadInput(f"unknown move kind {kind!r}")
        states.append(game_json(game))
    return {"states": states, "outcome": outcome_json(game.outcome)}


def handle_decode_bisect_move(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-10: ``{"data"}`` -> ``{"position", "root", "proof"}``."""
    move = decode_bisect_move(hex_field(data, "data"))
    return {"position": move.position, "root": to_hex(move.root), "proof": [to_hex(h) for h in move.proof]}


def handle_decode_one_step_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-10: ``{"data"}`` -> ``{"tx", "tx_proof", "witness"}``."""
    proof = decode_one_step_proof(hex_field(data, "data"))
    return {
        "tx": to_hex(proof.tx),
        "tx_proof": [to_hex(h) for h in proof.tx_proof],
        "witness": to_hex(proof.witness),
    }


def handle_encode_bisect_move(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-10: ``{"position", "root", "proof"}`` -> ``{"data"}``."""
    move = BisectMove(
        int_field(data, "position"), hex_field(data, "root"), tuple(hex_list_field(data, "proof"))
    )
    return {"data": to_hex(encode_bisect_move(move))}


def handle_encode_one_step_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-10: ``{"tx", "tx_proof", "witness"}`` -> ``{"data"}``."""
    proof = OneStepProof(
        hex_field(data, "tx"), tuple(hex_list_field(data, "tx_proof")), hex_field(data, "witness")
    )
    return {"data": to_hex(encode_one_step_proof(proof))}


def handle_max_moves(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-10: ``{"tx_count"}`` (at least 0: an empty block's one credit step) -> ``{"max_moves"}``."""
    count = int_field(data, "tx_count")
    if count < 0:
        raise BadInput("tx_count must not be negative")
    return {"max_moves": max_moves(count)}


def handle_equivocation(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-8: ``{"first", "second": hex checkpoints, "public_key"}`` -> ``{"reverted_height"}``."""
    height = check_equivocation_proof(
        decode_checkpoint(hex_field(data, "first")),
        decode_checkpoint(hex_field(data, "second")),
        hex_field(data, "public_key"),
    )
    return {"reverted_height": height}


def handle_escrow_overdraw(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-9: ``{"header", "entry", "index", "count", "proof", "escrow"}`` -> ``{"reverted_height"}``."""
    height = check_escrow_overdraw_proof(
        decode_sidechain_header(hex_field(data, "header")),
        decode(OUTBOX_ENTRY_CODEC, hex_field(data, "entry")),
        int_field(data, "index"),
        int_field(data, "count"),
        hex_list_field(data, "proof"),
        int_field(data, "escrow"),
    )
    return {"reverted_height": height}


def handle_federation_penalty(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-11/13: ``{"quorums", "masternodes", "quorum_type", "posted_height", "challenge_period"}``
    -> ``{"quorum_height"`` (the federation quorum in charge at the reverted checkpoint's posted
    height, or null), ``"masternodes"`` (the list after slashing its members), ``"burnt"``,
    ``"settled_before_maturity"`` (does every game end before a checkpoint of that challenge
    period matures)``}``."""
    registry = parse_quorums(data)
    before = parse_list(data)
    record = federation_quorum(
        registry, int_field(data, "quorum_type"), int_field(data, "posted_height"), preset
    )
    after = before if record is None else slash_federation(before, record.members)
    return {
        "quorum_height": None if record is None else record.base_height,
        "masternodes": list_json(after),
        "burnt": [outpoint_json(o) for o in burnt_collaterals(before, after)],
        "settled_before_maturity": is_settled_before_maturity(
            int_field(data, "challenge_period"), preset.dispute
        ),
    }


def handle_compute_trace(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-1: ``{"vm_kind", "witness", "pre_root", "credits", "txs", "context"}`` -> ``{"trace"}``."""
    kind = VmKind(int_field(data, "vm_kind"))
    hasher = state_hasher(kind)
    nodes = witness_nodes(decode_witness(hex_field(data, "witness"), hasher), hasher)
    context = _object(data, "context")
    trace = compute_trace(
        preset,
        kind,
        nodes,
        hex_field(data, "pre_root"),
        tuple(_credit(item) for item in _list(data, "credits")),
        hex_list_field(data, "txs"),
        ExecutionContext(
            int_field(context, "sidechain_id"),
            int_field(context, "height"),
            int_field(context, "timestamp"),
            hex_field(context, "fee_recipient"),
            int_field(context, "gas_limit"),
        ),
    )
    return {"trace": [to_hex(root) for root in trace]}


def handle_is_trace_claimed(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-1: ``{"header" (hex SC-HDR-4), "trace": [hex]}`` -> ``{"claimed"}``: does the header
    claim the trace a watcher re-executed (an empty block's by ``state_root`` alone)?"""
    header = decode_sidechain_header(hex_field(data, "header"))
    return {"claimed": is_trace_claimed(header, hex_list_field(data, "trace"))}


def handle_credit_step_witness(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-5, VM-6: ``{"vm_kind", "witness" (hex StateWitness of the nodes held), "pre_root",
    "credits"}`` -> ``{"witness"}``: the witness of an empty block's credit step (the nodes the
    credits read and the node of ``pre_root``), or ``VM_WITNESS_INCOMPLETE``."""
    kind = VmKind(int_field(data, "vm_kind"))
    hasher = state_hasher(kind)
    nodes = witness_nodes(decode_witness(hex_field(data, "witness"), hasher), hasher)
    credits = tuple(_credit(item) for item in _list(data, "credits"))
    witness = record_credit_step_witness(preset, kind, nodes, hex_field(data, "pre_root"), credits)
    return {"witness": to_hex(encode_witness(witness))}


HANDLERS: dict[str, Handler] = {
    "compute_trace": handle_compute_trace,
    "is_trace_claimed": handle_is_trace_claimed,
    "credit_step_witness": handle_credit_step_witness,
    "federation_penalty": handle_federation_penalty,
    "play": handle_play,
    "decode_bisect_move": handle_decode_bisect_move,
    "decode_one_step_proof": handle_decode_one_step_proof,
    "encode_bisect_move": handle_encode_bisect_move,
    "encode_one_step_proof": handle_encode_one_step_proof,
    "max_moves": handle_max_moves,
    "equivocation": handle_equivocation,
    "escrow_overdraw": handle_escrow_overdraw,
}
