"""Handlers of the ``sidechain`` and ``peg`` flows (spec/sidechain/, fork ``sidechains``).

JSON shapes (besides the general conventions of docs/vector-format.md):

* a sidechain spec is ``{"sidechain_id", "vm_kind", "federation", "peg_in_depth",
  "challenge_period", "message_timeout", "max_escrow", "max_withdrawal"}`` (integers);
* a header is SC-HDR-1's fields (hashes hex); a checkpoint ``{"header", "signature"}``;
* ``keys`` maps a quorum type (decimal string) to the committed group public key (hex);
* a deposit and an inbound message are SC-HDR-5's fields (bytes hex);
* the sidechains state is ``{"chains": [{"sidechain_id", "activation_height", "escrow",
  "checkpoints": [{"height", "header_hash", "deposit_cursor", "outbox_root", "posted_height"}]}],
  "spent_withdrawals": [[chain, height, index]], "delivered_messages": [...],
  "pending_messages": [{"key": [chain, height, index], "destination", "amount", "relay_height",
  "sender" (hex)}]}``,
  every list sorted.

``apply_blocks`` starts from the ``sidechains`` registered at ``activation_height`` (SC-REG-2) and
applies every ``{"height", "transactions" (hex, coinbase first), "activated" (optional: the specs
a superblock registers before its messages, SC-REG-3)}`` block in order
(:func:`~spec.sidechain.state.apply_block_to_sidechains`); its output lists each block's deposits,
inbound messages and released amounts, then the final state and its ``total_escrow`` (SC-PEG-6).
An invalid run fails at one block.

A chain that was handed inputs also lists ``"input_marks": [{"height", "count", "accumulator"}]``
(SC-DSP-20), and a chain one of whose inbound messages was refunded ``"voids": [{"relay_height",
"position", "refund_height"}]`` (SC-MSG-5). ``credits_proof`` runs ``blocks`` as ``apply_blocks``
does, then checks a wrong-credits ``proof`` (hex) posted at mainchain ``height`` (SC-DSP-21).

``apply_transaction`` (MEMPOOL-1's check, SC-BLK-1/3 for one transaction) runs ``blocks`` as
``apply_blocks`` does, then one ``transaction`` (hex) at mainchain ``height``
(:func:`~spec.sidechain.state.apply_sidechain_transaction`): ``{"released", "state",
"total_escrow"}`` or the transaction's first SC-* code.

``sidechain_outputs`` (SC-BLK-1..4 as the chain transition runs them,
:func:`spec.chain.state.sidechain_outputs`) takes the chain state before ``block`` (hex): the state
before genesis with every fork ACTIVE when ``forks_active`` is true (as found, else), the
``sidechains`` registered at ``activation_height`` and the recorded ``quorums`` /
``pose_quorums`` (FIN-6/7, whose committed keys are the federation keys, SC-CP-4); it returns
``null`` when fork ``sidechains`` is not in force at the block, else the block's ``deposits``,
``inbound``, ``released`` and the sidechains ``state`` after it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

from conformance.handlers.masternode import objects, parse_quorums
from conformance.jsonio import field, from_hex, from_json_int, hex_field, int_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.chain.block import decode_block
from spec.chain.state import initial_state, sidechain_outputs
from spec.errors import SpecError
from spec.forks.deployment import DeploymentStatus
from spec.ledger.transaction import decode_transaction
from spec.presets import Preset
from spec.sidechain.accumulator import (
    CreditsProof,
    check_credits_proof,
    decode_credits_proof,
    get_range_marks,
)
from spec.sidechain.checkpoint import check_checkpoint, check_equivocation, federation_keys
from spec.sidechain.dispute import Outcome
from spec.sidechain.games import (
    BondClaim,
    DisputeMoveMessage,
    DisputeOpenMessage,
    Penalty,
    compute_winner_reward,
    pay_rewards,
)
from spec.sidechain.header import (
    Checkpoint,
    Deposit,
    InboundMessage,
    SidechainHeader,
    VoidedInput,
    compute_checkpoint_message,
    compute_header_hash,
    decode_checkpoint,
    decode_sidechain_header,
    encode_checkpoint,
    get_cursor_after_refunds,
)
from spec.sidechain.items import sidechain_items
from spec.sidechain.liveness import compute_round, get_proposer
from spec.sidechain.messages import check_refund_range
from spec.sidechain.proofs import EquivocationProof, EscrowOverdrawProof
from spec.sidechain.registry import (
    EMPTY_SIDECHAINS,
    CheckpointRecord,
    InputMark,
    SidechainRecord,
    SidechainSpec,
    SidechainsState,
    check_new_sidechain,
    count_range_inputs,
    decode_sidechain_spec,
    encode_sidechain_spec,
    get_bounded_cursor,
    get_sidechain,
    register_sidechains,
    total_escrow,
)
from spec.sidechain.settlement import apply_outcome, check_dispute_window
from spec.sidechain.state import apply_block_to_sidechains, apply_sidechain_transaction, compute_deposits
from spec.sidechain.transactions import (
    DepositMessage,
    OutboxProof,
    RefundClaim,
    SidechainMessage,
    WithdrawalClaim,
    match_sidechain_message,
    sidechain_message_script,
)

SPEC_FIELDS = (
    "sidechain_id",
    "vm_kind",
    "federation",
    "peg_in_depth",
    "challenge_period",
    "message_timeout",
    "max_escrow",
    "max_withdrawal",
)


def parse_spec(item: dict[str, JSON]) -> SidechainSpec:
    """SC-REG-1: a spec from JSON."""
    return SidechainSpec(*(int_field(item, name) for name in SPEC_FIELDS))


def spec_json(spec: SidechainSpec) -> dict[str, JSON]:
    """SC-REG-1: a spec as JSON."""
    return {name: getattr(spec, name) for name in SPEC_FIELDS}


def header_json(header: SidechainHeader) -> dict[str, JSON]:
    """SC-HDR-1: a header as JSON."""
    return {
        "sidechain_id": header.sidechain_id,
        "height": header.height,
        "parent": to_hex(header.parent),
        "timestamp": header.timestamp,
        "tx_root": to_hex(header.tx_root),
        "tx_count": header.tx_count,
        "state_root": to_hex(header.state_root),
        "trace_root": to_hex(header.trace_root),
        "deposit_cursor": header.deposit_cursor,
        "credits_root": to_hex(header.credits_root),
        "outbox_root": to_hex(header.outbox_root),
        "header_hash": to_hex(compute_header_hash(header)),
        "checkpoint_message": to_hex(compute_checkpoint_message(header)),
    }


def checkpoint_json(checkpoint: Checkpoint) -> dict[str, JSON]:
    """SC-HDR-3: a checkpoint as JSON."""
    return {"header": header_json(checkpoint.header), "signature": to_hex(checkpoint.signature)}


def outbox_json(outbox: OutboxProof | EscrowOverdrawProof) -> dict[str, JSON]:
    """SC-TX-2: an outbox proof as JSON."""
    entry = outbox.entry
    return {
        "sidechain_id": outbox.sidechain_id,
        "checkpoint_height": outbox.checkpoint_height,
        "leaf_index": outbox.leaf_index,
        "leaf_count": outbox.leaf_count,
        "entry": {
            "kind": entry.kind,
            "target_chain": entry.target_chain,
            "recipient": to_hex(entry.recipient),
            "amount": entry.amount,
            "payload": to_hex(entry.payload),
            "sender": to_hex(entry.sender),
        },
        "proof": [to_hex(h) for h in outbox.proof],
    }


def message_json(message: SidechainMessage) -> dict[str, JSON]:
    """SC-TX-0: a decoded sidechain message as JSON."""
    if isinstance(message, DepositMessage):
        return {
            "kind": "deposit",
            "sidechain_id": message.sidechain_id,
            "recipient": to_hex(message.recipient),
        }
    if isinstance(message, Checkpoint):
        return {"kind": "checkpoint", **checkpoint_json(message)}
    if isinstance(message, WithdrawalClaim):
        return {"kind": "withdrawal_claim", **outbox_json(message.outbox)}
    if isinstance(message, RefundClaim):
        return {
            "kind": "refund",
            "source_chain": message.source_chain,
            "source_height": message.source_height,
            "source_index": message.source_index,
        }
    if isinstance(message, DisputeOpenMessage):
        return {
            "kind": "dispute_open",
            "header": header_json(message.header),
            "parent_header": to_hex(message.parent_header),
            "tx_count": message.tx_count,
            "credits": [{"recipient": to_hex(c.recipient), "amount": c.amount} for c in message.credits],
            "challenger_trace_root": to_hex(message.challenger_trace_root),
            "challenger_final_root": to_hex(message.challenger_final_root),
            "payout_script": to_hex(message.payout_script),
        }
    if isinstance(message, DisputeMoveMessage):
        return {
            "kind": "dispute_move",
            "game_id": message.game_id,
            "party": message.party,
            "move_kind": message.move_kind,
            "data": to_hex(message.data),
        }
    if isinstance(message, BondClaim):
        return {"kind": "bond_claim", "game_id": message.game_id}
    if isinstance(message, CreditsProof):
        return {
            "kind": "credits_proof",
            "header": header_json(message.header),
            "inputs": [{"recipient": to_hex(c.recipient), "amount": c.amount} for c in message.inputs],
            "payout_script": to_hex(message.payout_script),
        }
    if isinstance(message, EquivocationProof):
        return {
            "kind": "equivocation_proof",
            "first": checkpoint_json(message.first),
            "second": checkpoint_json(message.second),
            "payout_script": to_hex(message.payout_script),
        }
    if isinstance(message, EscrowOverdrawProof):
        return {
            "kind": "overdraw_proof",
            **outbox_json(message),
            "payout_script": to_hex(message.payout_script),
        }
    return {"kind": "relay", **outbox_json(message.outbox)}


def deposit_json(deposit: Deposit) -> dict[str, JSON]:
    """SC-HDR-5: a deposit as JSON."""
    return {
        "sidechain_id": deposit.sidechain_id,
        "mainchain_height": deposit.mainchain_height,
        "position": deposit.position,
        "txid": to_hex(deposit.txid),
        "output_index": deposit.output_index,
        "recipient": to_hex(deposit.recipient),
        "amount": deposit.amount,
    }


def inbound_json(message: InboundMessage) -> dict[str, JSON]:
    """SC-HDR-5: an inbound message as JSON."""
    return {
        "sidechain_id": message.sidechain_id,
        "mainchain_height": message.mainchain_height,
        "position": message.position,
        "source_chain": message.source_chain,
        "source_height": message.source_height,
        "source_index": message.source_index,
        "sender": to_hex(message.sender),
        "recipient": to_hex(message.recipient),
        "amount": message.amount,
        "payload": to_hex(message.payload),
    }


def state_json(state: SidechainsState) -> dict[str, JSON]:
    """SC-REG-4: the sidechains state as JSON (lists sorted)."""
    chains: list[JSON] = []
    for chain_id in sorted(state.chains):
        record = state.chains[chain_id]
        checkpoints: list[JSON] = [
            {
                "height": c.height,
                "header_hash": to_hex(c.header_hash),
                "deposit_cursor": c.deposit_cursor,
                "outbox_root": to_hex(c.outbox_root),
                "posted_height": c.posted_height,
            }
            for c in record.checkpoints
        ]
        chains.append(
            {
                "sidechain_id": chain_id,
                "activation_height": record.activation_height,
                "escrow": record.escrow,
                "checkpoints": checkpoints,
                **marks_json(record.input_marks),
                **voids_json(record.voids),
            }
        )
    pending: list[JSON] = [
        {
            "key": list(message.key),
            "destination": message.destination,
            "amount": message.amount,
            "relay_height": message.relay_height,
            "sender": to_hex(message.sender),
        }
        for _, message in sorted(state.pending_messages.items())
    ]
    return {
        "chains": chains,
        "spent_withdrawals": [list(key) for key in sorted(state.spent_withdrawals)],
        "delivered_messages": [list(key) for key in sorted(state.delivered_messages)],
        "pending_messages": pending,
        **games_json(state),
    }


def mark_json(mark: InputMark) -> JSON:
    """SC-DSP-20: an input mark as ``{"height", "count", "accumulator"}``."""
    return {"height": mark.height, "count": mark.count, "accumulator": to_hex(mark.accumulator)}


def marks_json(marks: Sequence[InputMark]) -> dict[str, JSON]:
    """SC-DSP-20: a record's input marks (no key without any, so outputs of vectors without inputs
    are unchanged)."""
    return {"input_marks": [mark_json(mark) for mark in marks]} if marks else {}


def voids_json(voids: Sequence[VoidedInput]) -> dict[str, JSON]:
    """SC-MSG-5: a record's voided inputs as ``{"voids": [{"relay_height", "position",
    "refund_height"}]}`` (no key without any, so outputs of vectors without refunds are unchanged)."""
    listed: list[JSON] = [
        {"relay_height": v.relay_height, "position": v.position, "refund_height": v.refund_height}
        for v in voids
    ]
    return {"voids": listed} if listed else {}


def games_json(state: SidechainsState) -> dict[str, JSON]:
    """SC-DSP-14..18: the open games and payable bonds (empty: no key, so the outputs of vectors
    without disputes are unchanged)."""
    out: dict[str, JSON] = {}
    if state.games:
        out["games"] = [
            {
                "game_id": game_id,
                "sidechain_id": opened.sidechain_id,
                "height": opened.game.opening.header.height,
                "lo": opened.game.lo,
                "hi": opened.game.hi,
                "agreed_root": to_hex(opened.game.agreed_root),
                "defender_root": to_hex(opened.game.defender_root),
                "challenger_root": to_hex(opened.game.challenger_root),
                "turn": opened.game.turn,
                "last_move_at": opened.game.last_move_at,
                "clocks": list(opened.game.clocks),
                "moves": opened.game.moves,
                "bond": opened.game.opening.challenger_bond,
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


def parse_keys(data: dict[str, JSON]) -> dict[int, bytes]:
    """SC-CP-4: ``keys`` as a quorum type -> key mapping."""
    value = field(data, "keys")
    if not isinstance(value, dict):
        raise BadInput("keys must be an object")
    keys: dict[int, bytes] = {}
    for name, key in value.items():
        if not name.isdigit() or not isinstance(key, str):
            raise BadInput("keys maps a decimal quorum type to a hex key")
        keys[int(name)] = from_hex(key, "key")
    return keys


def parse_key_history(data: dict[str, JSON]) -> list[tuple[int, dict[int, bytes]]]:
    """SC-CP-4 / SC-DSP-8: the optional ``key_history`` ``[{"from", "keys"}]`` (heights increasing):
    the federation keys committed from each height on (before the first entry: ``keys``)."""
    if "key_history" not in data:
        return []
    history = [(int_field(item, "from"), parse_keys(item)) for item in objects(data, "key_history")]
    if any(a[0] >= b[0] for a, b in itertools.pairwise(history)):
        raise BadInput("key_history heights must increase")
    return history


def _keys_at(
    keys: dict[int, bytes], history: list[tuple[int, dict[int, bytes]]], height: int
) -> dict[int, bytes]:
    """The keys committed for the block at ``height`` under ``key_history``."""
    for start, listed in reversed(history):
        if start <= height:
            return listed
    return keys


def handle_decode_checkpoint(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-HDR-1..4: decode a checkpoint; its header, hash, signed message and re-encoding."""
    del preset
    checkpoint = decode_checkpoint(hex_field(data, "encoded"))
    return {**checkpoint_json(checkpoint), "encoded": to_hex(encode_checkpoint(checkpoint))}


def handle_decode_header(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-HDR-1/2: decode a sidechain header; its fields, hash and checkpoint message."""
    del preset
    return header_json(decode_sidechain_header(hex_field(data, "encoded")))


def handle_match_message(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-TX-0: the sidechain message an output script carries (``null``: none), with the script
    that carries it re-encoded (``script``: canonical, so equal to the input)."""
    message = match_sidechain_message(hex_field(data, "script"), preset)
    if message is None:
        return None
    return {**message_json(message), "script": to_hex(sidechain_message_script(message, preset))}


def handle_federation_keys(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-CP-4: the committed group keys (by quorum type, decimal) in charge at mainchain ``height``
    given the recorded ``quorums`` and ``pose_quorums`` (FIN-6/7)."""
    keys = federation_keys(parse_quorums(data), int_field(data, "height"), preset)
    return {str(kind): to_hex(key) for kind, key in sorted(keys.items())}


def handle_check_spec(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-REG-1/2: decode a sidechain spec and check it against the ``registered`` specs; its fields
    and its canonical re-encoding."""
    spec = decode_sidechain_spec(hex_field(data, "encoded"))
    registered = [parse_spec(item) for item in objects(data, "registered")]
    check_new_sidechain(spec, register_sidechains(EMPTY_SIDECHAINS, registered, 0), preset)
    return {**spec_json(spec), "encoded": to_hex(encode_sidechain_spec(spec))}


def _initial(data: dict[str, JSON]) -> SidechainsState:
    specs = [parse_spec(item) for item in objects(data, "sidechains")]
    return register_sidechains(EMPTY_SIDECHAINS, specs, int_field(data, "activation_height"))


def _state_after_blocks(data: dict[str, JSON], keys: dict[int, bytes], preset: Preset) -> SidechainsState:
    """The registered ``sidechains`` after the plain ``blocks`` (as ``apply_blocks``, without
    reverts or activations)."""
    state = _initial(data)
    history = parse_key_history(data)
    for item in objects(data, "blocks"):
        raw = field(item, "transactions")
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise BadInput("transactions must be a list of hex strings")
        transactions = [decode_transaction(from_hex(t, "transaction"), preset) for t in raw]
        height = int_field(item, "height")
        block_keys = _keys_at(keys, history, height)
        state = apply_block_to_sidechains(state, transactions, height, block_keys, preset).state
    return state


def _object(data: dict[str, JSON], name: str) -> dict[str, JSON]:
    value = field(data, name)
    if not isinstance(value, dict):
        raise BadInput(f"{name} must be an object")
    return value


def _slashed(item: dict[str, JSON], penalties: int) -> list[list[int]]:
    """SC-DSP-25: a block's ``slashed`` lists, one per penalty, of non-negative collateral values."""
    raw = field(item, "slashed")
    if not isinstance(raw, list) or len(raw) != penalties:
        raise BadInput(f"slashed must list one list of collateral values per penalty ({penalties})")
    lists: list[list[int]] = []
    for values in raw:
        if not isinstance(values, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values
        ):
            raise BadInput("each slashed list holds positive collateral values")
        lists.append([int(v) for v in values])
    return lists


def _reward_json(penalty: Penalty, slashed: list[int], preset: Preset) -> JSON:
    """SC-DSP-25: a penalty's reward: its claim id, what is paid and what of the slashed collateral
    is burnt."""
    params = preset.dispute
    paid, burnt = compute_winner_reward(slashed, params.winner_reward, params.burn_share_bps)
    return {"claim_id": penalty.claim_id, "paid": paid, "burnt": burnt}


def handle_apply_blocks(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-BLK-1..3: apply blocks of sidechain messages; every block's outputs and the final state.

    Each block's output lists the open dispute games and payable bonds after it, and the
    federations its settled games penalise (SC-DSP-14..18; keys present only when not empty).
    An optional ``key_history`` ``[{"from", "keys"}]`` changes the federation keys from a height
    on (a quorum rotation: a block's checkpoints verify under its height's keys, an equivocation
    proof under the keys at its checkpoint's posting, SC-DSP-8). A block may carry
    ``"revert": {"sidechain_id", "height", "opened_at", "winner"}``: a dispute over that
    checkpoint, opened at mainchain height ``opened_at`` (SC-DSP-11), ended with ``winner``
    (0 defender, 1 challenger) and its outcome is applied before the block's transactions
    (SC-DSP-12: a challenger's win reverts from ``height``). A block with ``"items": true`` also
    lists the state's committed items after it (SC-STATE-1, ``[key, value]`` hex pairs in key
    order), e.g. an open game's (kind 0x15). A block with ``"slashed": [[value, ...], ...]``
    (one list per penalty of the block: the collaterals the mainchain transition newly slashed for
    it, SC-DSP-13) has SC-DSP-25's rewards paid after it (``pay_rewards``), as the mainchain
    transition does after its masternode step, and lists them (``rewards``: claim id, paid,
    burnt); each penalty names its ``claim_id`` and ``payout_script``."""
    state = _initial(data)
    keys = parse_keys(data)
    history = parse_key_history(data)

    def keys_at(height: int) -> dict[int, bytes]:
        return _keys_at(keys, history, height)

    blocks: list[JSON] = []
    for item in objects(data, "blocks"):
        height = int_field(item, "height")
        if "revert" in item:
            revert = _object(item, "revert")
            sidechain_id, disputed = int_field(revert, "sidechain_id"), int_field(revert, "height")
            check_dispute_window(state, sidechain_id, disputed, int_field(revert, "opened_at"))
            winner = int_field(revert, "winner")
            if winner not in (0, 1):
                raise BadInput("winner must be 0 or 1")
            reverted = disputed if winner == 1 else None
            state = apply_outcome(state, sidechain_id, Outcome(winner, "", 0, 0, reverted, ()))
        raw = field(item, "transactions")
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise BadInput("transactions must be a list of hex strings")
        transactions = [decode_transaction(from_hex(t, "transaction"), preset) for t in raw]
        activated = [parse_spec(spec) for spec in objects(item, "activated")] if "activated" in item else []
        try:
            result = apply_block_to_sidechains(
                state, transactions, height, keys_at(height), preset, activated, keys_at
            )
        except SpecError as error:
            error.args = (f"height {height}: {error.args[0]}",)
            raise
        # SC-PEG-2's own function lists the deposits (the same list as the transition's)
        deposits = compute_deposits(
            transactions,
            height,
            register_sidechains(state, activated, height),
            keys_at(height),
            preset,
            keys_at,
        )
        state = result.state
        rewards: dict[str, JSON] = {}
        if "slashed" in item:
            slashed = _slashed(item, len(result.penalties))
            state = pay_rewards(state, result.penalties, slashed, preset.dispute)
            owed = zip(result.penalties, slashed, strict=True)
            rewards["rewards"] = [_reward_json(penalty, values, preset) for penalty, values in owed]
        # SC-STATE-1: the committed items after the block, when the vector asks for them
        items: dict[str, JSON] = (
            {"items": [[to_hex(k), to_hex(v)] for k, v in sorted(sidechain_items(state).items())]}
            if item.get("items") is True
            else {}
        )
        blocks.append(
            {
                **items,
                "height": height,
                "deposits": [deposit_json(d) for d in deposits],
                "inbound": [inbound_json(m) for m in result.inbound],
                "released": list(result.released),
                **games_json(state),
                **rewards,
                **(
                    {
                        "penalties": [
                            {
                                "sidechain_id": p.sidechain_id,
                                "quorum_type": p.quorum_type,
                                "posted_height": p.posted_height,
                                "claim_id": p.claim_id,
                                "payout_script": to_hex(p.payout_script),
                            }
                            for p in result.penalties
                        ]
                    }
                    if result.penalties
                    else {}
                ),
            }
        )
    return {"blocks": blocks, "state": state_json(state), "total_escrow": total_escrow(state)}


def handle_credits_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-DSP-20/21: on the state ``blocks`` build (as ``apply_blocks``, without reverts or
    activations), check the credits ``proof`` (hex, :func:`~spec.sidechain.accumulator.
    encode_credits_proof`) posted at mainchain ``height``: ``{"reverted_height", "range": [start
    mark, end mark] (the accumulator at the parent's and the checkpoint's cursor), "state"}`` (the
    state after the revert, SC-DSP-12) or the proof's first code."""
    keys = parse_keys(data)
    state = _state_after_blocks(data, keys, preset)
    proof = decode_credits_proof(hex_field(data, "proof"), preset)
    reverted = check_credits_proof(state, proof, int_field(data, "height"))
    sidechain_id = proof.header.sidechain_id
    start, end = get_range_marks(get_sidechain(state, sidechain_id), reverted)
    after = apply_outcome(state, sidechain_id, Outcome(1, "credits_proof", 0, 0, reverted, ()))
    return {
        "reverted_height": reverted,
        "range": [mark_json(start), mark_json(end)],
        "state": state_json(after),
    }


def handle_apply_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-BLK-1/3 for one transaction (the mempool's check, MEMPOOL-1): on the state that
    ``blocks`` build (as ``apply_blocks``, without reverts or activations), the state after
    ``transaction`` in the block at ``height`` and the escrow its claims release."""
    keys = parse_keys(data)
    state = _state_after_blocks(data, keys, preset)
    tx = decode_transaction(hex_field(data, "transaction"), preset)
    history = parse_key_history(data)
    height = int_field(data, "height")

    def keys_at(posted: int) -> dict[int, bytes]:
        return _keys_at(keys, history, posted)

    after, released = apply_sidechain_transaction(state, tx, height, keys_at(height), preset, keys_at)
    return {"state": state_json(after), "released": released, "total_escrow": total_escrow(after)}


def _parse_marks(data: dict[str, JSON]) -> tuple[InputMark, ...]:
    raw = field(data, "input_marks")
    if not isinstance(raw, list) or not all(isinstance(m, list) and len(m) == 3 for m in raw):
        raise BadInput("input_marks must be a list of [height, count, accumulator hex]")
    return tuple(
        InputMark(from_json_int(m[0]), from_json_int(m[1]), from_hex(m[2], "accumulator")) for m in raw
    )


def _parse_voids(data: dict[str, JSON]) -> tuple[VoidedInput, ...]:
    raw = field(data, "voids")
    if not isinstance(raw, list) or not all(isinstance(v, list) and len(v) == 3 for v in raw):
        raise BadInput("voids must be a list of [relay_height, position, refund_height]")
    return tuple(VoidedInput(*(from_json_int(x) for x in v)) for v in raw)


def handle_check_checkpoint(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-CP-1..4, SC-CP-7, SC-CP-8 on a state built by ``blocks`` (as ``apply_blocks``): is
    ``checkpoint`` acceptable in the block at ``mainchain_height``? Its header hash if so. Optional
    ``input_marks`` (``[[height, count, accumulator hex]]``) and ``voids`` (``[[relay_height,
    position, refund_height]]``) replace the sidechain record's (a state whose accumulator counts
    thousands of inputs without listing their blocks: SC-CP-8's bound)."""
    state = _initial(data)
    keys = parse_keys(data)
    for item in objects(data, "blocks"):
        raw = field(item, "transactions")
        if not isinstance(raw, list):
            raise BadInput("transactions must be a list")
        transactions = [decode_transaction(from_hex(t, "transaction"), preset) for t in raw]
        state = apply_block_to_sidechains(state, transactions, int_field(item, "height"), keys, preset).state
    checkpoint = decode_checkpoint(hex_field(data, "checkpoint"))
    record = get_sidechain(state, checkpoint.header.sidechain_id)
    if "input_marks" in data:
        record = replace(record, input_marks=_parse_marks(data))
    if "voids" in data:
        record = replace(record, voids=_parse_voids(data))
    check_checkpoint(record, checkpoint, keys, int_field(data, "mainchain_height"), preset)
    return to_hex(compute_header_hash(checkpoint.header))


def handle_check_equivocation(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-CP-5: are the two checkpoints equivocation evidence under ``public_key``?"""
    del preset
    first = decode_checkpoint(hex_field(data, "first"))
    second = decode_checkpoint(hex_field(data, "second"))
    check_equivocation(first, second, hex_field(data, "public_key"))
    return {"sidechain_id": first.header.sidechain_id, "height": first.header.height}


def handle_proposer(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-LIVE-1/2: ``{"height", "round_start", "mainchain_height", "qualified": [int]}`` ->
    ``{"round", "proposer"}`` under the preset's ``proposer_timeout_blocks``."""
    qualified = field(data, "qualified")
    if not isinstance(qualified, list) or not all(isinstance(q, int) and q >= 1 for q in qualified):
        raise BadInput("qualified must be a list of member indexes")
    timeout = preset.sidechains.proposer_timeout_blocks
    round_ = compute_round(int_field(data, "round_start"), int_field(data, "mainchain_height"), timeout)
    members = [int(q) for q in qualified]
    return {"round": round_, "proposer": get_proposer(int_field(data, "height"), round_, members)}


def handle_cursor_after_refunds(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-HDR-6 / SC-CP-7 (the producer's cursor): ``{voids: [[relay_height, position,
    refund_height]], cursor}`` -> the highest cursor at or below ``cursor`` that no voided slot has
    in ``[relay_height, refund_height)``."""
    del preset
    raw = field(data, "voids")
    if not isinstance(raw, list) or not all(isinstance(v, list) and len(v) == 3 for v in raw):
        raise BadInput("voids must be a list of [relay_height, position, refund_height]")
    voids = [VoidedInput(*(from_json_int(x) for x in v)) for v in raw]
    return get_cursor_after_refunds(voids, int_field(data, "cursor"))


def handle_refund_range(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-MSG-6: may a refund in the block at ``height`` void a slot of a destination whose input
    marks are ``input_marks`` (``[[height, count, accumulator hex]]``) and whose latest cursor is
    ``cursor`` (``null``: no checkpoint)? ``{"inputs": count(height - 1) - count(cursor), "room":
    max_opening_credits - max_block_inputs}`` if so, ``SC_REFUND_RANGE_TOO_LARGE`` otherwise."""
    marks = _parse_marks(data)
    spec = SidechainSpec(2, 1, 2, 2, 3, 4, 10**12, 10**10)  # only the marks and cursor are read
    raw_cursor = field(data, "cursor")
    checkpoints: tuple[CheckpointRecord, ...] = ()
    if raw_cursor is not None:
        checkpoints = (CheckpointRecord(0, bytes(32), from_json_int(raw_cursor), bytes(32), 0),)
    record = SidechainRecord(spec, 0, 0, checkpoints, marks)
    height = int_field(data, "height")
    check_refund_range(record, height, preset)
    start = checkpoints[0].deposit_cursor if checkpoints else 0
    return {
        "inputs": count_range_inputs(marks, start, height - 1),
        "room": preset.dispute.max_opening_credits - preset.sidechains.max_block_inputs,
    }


def handle_bounded_cursor(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-CP-8 (the producer's cursor): ``{input_marks: [[height, count, accumulator hex]], start,
    cursor}`` -> the highest cursor at or below ``cursor`` whose range from ``start`` holds at most
    ``dispute.max_opening_credits`` inputs."""
    bound = preset.dispute.max_opening_credits
    return get_bounded_cursor(_parse_marks(data), int_field(data, "start"), int_field(data, "cursor"), bound)


SIDECHAIN_HANDLERS: dict[str, Handler] = {
    "bounded_cursor": handle_bounded_cursor,
    "proposer": handle_proposer,
    "cursor_after_refunds": handle_cursor_after_refunds,
    "decode_checkpoint": handle_decode_checkpoint,
    "decode_header": handle_decode_header,
    "match_message": handle_match_message,
    "federation_keys": handle_federation_keys,
    "check_spec": handle_check_spec,
    "check_checkpoint": handle_check_checkpoint,
    "check_equivocation": handle_check_equivocation,
}


def handle_sidechain_outputs(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SC-BLK-1..4 of one mainchain ``block`` on the chain state the input describes: what it hands
    each sidechain, or ``null`` before fork ``sidechains``."""
    base = initial_state(preset)
    active = field(data, "forks_active")
    if not isinstance(active, bool):
        raise BadInput("forks_active must be a boolean")
    deployments = (
        tuple(replace(r, status=DeploymentStatus.ACTIVE) for r in base.deployments)
        if active
        else base.deployments
    )
    state = replace(base, deployments=deployments, sidechains=_initial(data), quorums=parse_quorums(data))
    result = sidechain_outputs(state, decode_block(hex_field(data, "block"), preset), preset)
    if result is None:
        return None
    return {
        "deposits": [deposit_json(d) for d in result.deposits],
        "inbound": [inbound_json(m) for m in result.inbound],
        "released": list(result.released),
        "state": state_json(result.state),
    }


PEG_HANDLERS: dict[str, Handler] = {
    "apply_blocks": handle_apply_blocks,
    "refund_range": handle_refund_range,
    "credits_proof": handle_credits_proof,
    "apply_transaction": handle_apply_transaction,
    "sidechain_outputs": handle_sidechain_outputs,
}
