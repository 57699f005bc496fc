"""Handlers of the ``chain`` flow (spec/chain/): proof of work, rewards, tickets, blocks, fork choice.

JSON shapes (besides the general conventions of docs/vector-format.md):

* a target, a chain's work and a cumulative work are 32-byte big-endian hex (they exceed 64 bits);
  compact ``bits`` are JSON numbers;
* a block or a header is its canonical encoding in hex (:func:`spec.chain.block.encode_block`);
* a ticket is ``{"txid", "index", "purchase_height", "voting_key", "owner_key_hash"}``;
* a block index entry is ``{"block_hash", "parent_hash", "height", "cumulative_work"}``.

``apply_blocks`` starts from :func:`spec.chain.state.initial_state` (before genesis) and applies
the blocks in order. An invalid sequence is rejected with the code of the first block that fails;
the message names that block's position (``block 7: ...``). Invalid vectors are always a run of
valid blocks followed by exactly one invalid block, so the failing block is the last one.
"""

from __future__ import annotations

from dataclasses import replace

from conformance.jsonio import field, from_hex, hex_field, hex_list_field, int_field, int_list_field, to_hex
from conformance.jsonio import object_list_field as _objects
from conformance.model import JSON, BadInput, Handler
from spec.chain.block import (
    Block,
    BlockHeader,
    block_hash,
    decode_block,
    decode_header,
    encode_block,
)
from spec.chain.commitment import compute_state_items
from spec.chain.forkchoice import (
    BlockIndexEntry,
    FinalityCertificate,
    check_reorganisation,
    choose_tip,
    verify_finality_certificate,
)
from spec.chain.pow import MAX_TARGET, encode_compact, next_bits, target_from_bits, work_of_target
from spec.chain.rewards import block_subsidy, split_reward
from spec.chain.state import (
    BlockContext,
    ChainState,
    apply_block,
    chain_state_from_items,
    coinbase_for,
    initial_state,
    quorums_with_pending,
)
from spec.chain.tickets import Ticket, live_tickets, next_ticket_price, select_voters
from spec.errors import SpecError
from spec.governance.proposals import Payment
from spec.ledger.state import utxo_state_root
from spec.ledger.transaction import OutPoint, encode_transaction, txid, wtxid
from spec.masternode.finality import QuorumRecord, QuorumRegistry
from spec.masternode.registry import EMPTY_LIST, MasternodeEntry, MasternodeList, MasternodeStatus
from spec.presets import Preset

WORD_BYTES = 32


def big_to_hex(value: int) -> str:
    """A non-negative integer below 2**256 as 32-byte big-endian hex."""
    return value.to_bytes(WORD_BYTES, "big").hex()


def big_field(data: dict[str, JSON], name: str) -> int:
    """A required 32-byte big-endian hex integer field."""
    raw = hex_field(data, name)
    if len(raw) != WORD_BYTES:
        raise BadInput(f"{name} must be 32 bytes")
    return int.from_bytes(raw, "big")


def _bool_field(data: dict[str, JSON], name: str) -> bool:
    value = field(data, name)
    if not isinstance(value, bool):
        raise BadInput(f"{name} must be a boolean")
    return value


def _optional_hex(data: dict[str, JSON], name: str) -> bytes | None:
    value = data.get(name)
    return None if value is None else from_hex(value, name)


def header_json(header: BlockHeader, preset: Preset) -> dict[str, JSON]:
    """HDR-0: every header field, plus the block hash."""
    return {
        "block_hash": to_hex(block_hash(header, preset)),
        "version": header.version,
        "height": header.height,
        "previous_block_hash": to_hex(header.previous_block_hash),
        "merkle_root": to_hex(header.merkle_root),
        "votes_root": to_hex(header.votes_root),
        "state_root": to_hex(header.state_root),
        "timestamp": header.timestamp,
        "bits": header.bits,
        "nonce": header.nonce,
    }


def _uint_field(data: dict[str, JSON], name: str, bits: int) -> int:
    value = int_field(data, name)
    if not 0 <= value < 1 << bits:
        raise BadInput(f"{name} must fit {bits} bits unsigned")
    return value


def parse_ticket(item: dict[str, JSON]) -> Ticket:
    """A pooled ticket from its JSON object."""
    return Ticket(
        OutPoint(hex_field(item, "txid"), _uint_field(item, "index", 32)),
        int_field(item, "purchase_height"),
        hex_field(item, "voting_key"),
        hex_field(item, "owner_key_hash"),
    )


def _outpoint_json(outpoint: OutPoint) -> dict[str, JSON]:
    return {"txid": to_hex(outpoint.txid), "index": outpoint.index}


def parse_index(data: dict[str, JSON]) -> dict[bytes, BlockIndexEntry]:
    """FORK-1: the block index of a JSON list of entries."""
    index: dict[bytes, BlockIndexEntry] = {}
    for item in _objects(data, "index"):
        entry = BlockIndexEntry(
            hex_field(item, "block_hash"),
            hex_field(item, "parent_hash"),
            int_field(item, "height"),
            big_field(item, "cumulative_work"),
        )
        if entry.block_hash in index:
            raise BadInput("index lists a block twice")
        index[entry.block_hash] = entry
    return index


# --------------------------------------------------------------------------------------------
# Proof of work (POW-1..4)
# --------------------------------------------------------------------------------------------


def handle_compact_target(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POW-1/3: ``{"bits"}`` -> ``{"target", "work"}``; ``POW_INVALID_BITS`` or ``POW_TARGET_ABOVE_LIMIT``."""
    target = target_from_bits(int_field(data, "bits"), preset)
    return {"target": big_to_hex(target), "work": big_to_hex(work_of_target(target))}


def handle_encode_compact(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POW-1: ``{"target"}`` (nonzero) -> ``{"bits"}``, the canonical encoding (rounding down)."""
    target = big_field(data, "target")
    if not 1 <= target <= MAX_TARGET:
        raise BadInput("target must be nonzero")
    return {"bits": encode_compact(target)}


def handle_next_bits(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POW-4: ``{"height", "parent_bits", "timestamps"}`` -> ``{"bits"}``.

    ``timestamps`` lists the timestamps of blocks ``0 .. height - 1`` (exactly ``height`` numbers).
    """
    height = int_field(data, "height")
    timestamps = int_list_field(data, "timestamps")
    if height < 0 or len(timestamps) != height:
        raise BadInput("timestamps must hold exactly one timestamp per block below height")
    return {"bits": next_bits(height, int_field(data, "parent_bits"), timestamps, preset)}


# --------------------------------------------------------------------------------------------
# Rewards (RWD-1/2)
# --------------------------------------------------------------------------------------------


def handle_block_subsidy(preset: Preset, data: dict[str, JSON]) -> JSON:
    """RWD-1: ``{"height"}`` -> ``{"subsidy"}``."""
    height = int_field(data, "height")
    if height < 0:
        raise BadInput("height must be non-negative")
    return {"subsidy": block_subsidy(height, preset)}


def handle_split_reward(preset: Preset, data: dict[str, JSON]) -> JSON:
    """RWD-2: ``{"reward", "voters", "masternode_due"}`` -> the four shares.

    Output: ``{"miner", "per_voter", "masternode", "treasury"}``.
    """
    reward, voters = int_field(data, "reward"), int_field(data, "voters")
    if reward < 0 or voters < 0:
        raise BadInput("reward and voters must be non-negative")
    split = split_reward(reward, voters, _bool_field(data, "masternode_due"), preset)
    return {
        "miner": split.miner,
        "per_voter": split.per_voter,
        "masternode": split.masternode,
        "treasury": split.treasury,
    }


# --------------------------------------------------------------------------------------------
# Tickets (POS-3, POS-5)
# --------------------------------------------------------------------------------------------


def handle_select_voters(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POS-3: ``{"tickets", "parent_hash", "height"}`` -> ``{"selected": [{"txid", "index"}]}`` in order."""
    pool: dict[OutPoint, Ticket] = {}
    for item in _objects(data, "tickets"):
        ticket = parse_ticket(item)
        if ticket.outpoint in pool:
            raise BadInput("tickets lists an outpoint twice")
        pool[ticket.outpoint] = ticket
    selected = select_voters(pool, hex_field(data, "parent_hash"), int_field(data, "height"), preset)
    return {"selected": [_outpoint_json(t.outpoint) for t in selected]}


def handle_ticket_price(preset: Preset, data: dict[str, JSON]) -> JSON:
    """POS-5: ``{"height", "price", "live_count"}`` -> ``{"price"}`` in force at ``height``."""
    price = next_ticket_price(
        int_field(data, "height"), int_field(data, "price"), int_field(data, "live_count"), preset
    )
    return {"price": price}


# --------------------------------------------------------------------------------------------
# Blocks (HDR-0, BLK-0) and the chain state transition
# --------------------------------------------------------------------------------------------


def handle_decode_header(preset: Preset, data: dict[str, JSON]) -> JSON:
    """HDR-0: ``{"bytes"}`` -> every header field and ``block_hash``, or a ``DECODE_*`` rejection."""
    return header_json(decode_header(hex_field(data, "bytes"), preset), preset)


def _block_json(block: Block, preset: Preset) -> dict[str, JSON]:
    return {
        **header_json(block.header, preset),
        "size": len(encode_block(block, preset)),
        "votes": [
            {
                "ticket_txid": to_hex(v.ticket_txid),
                "ticket_index": v.ticket_index,
                "parent_hash": to_hex(v.parent_hash),
                "vote": v.vote,
                "signature": to_hex(v.signature),
            }
            for v in block.votes
        ],
        "transactions": [
            {"txid": to_hex(txid(tx, preset)), "wtxid": to_hex(wtxid(tx, preset))}
            for tx in block.transactions
        ],
    }


def handle_decode_block(preset: Preset, data: dict[str, JSON]) -> JSON:
    """BLK-0: ``{"bytes"}`` -> header fields, ``block_hash``, ``size``, ``votes`` and transaction ids."""
    return _block_json(decode_block(hex_field(data, "bytes"), preset), preset)


def state_json(state: ChainState, preset: Preset) -> dict[str, JSON]:
    """The observable chain state after a block sequence (see docs/chain.md).

    ``masternodes``, ``proposals`` and ``quorums`` (FIN-6, :func:`quorums_json`) are present only
    when the list, the governance state or the quorum registry is not empty.
    """
    pool = sorted(state.tickets.values(), key=lambda t: t.outpoint)
    result: dict[str, JSON] = {
        "tip_hash": to_hex(state.tip_hash),
        "height": state.height,
        "bits": state.bits,
        "state_root": to_hex(utxo_state_root(state.utxos, preset)),
        "cumulative_work": big_to_hex(state.cumulative_work),
        "treasury": state.treasury,
        "ticket_price": state.ticket_price,
        "live_tickets": len(live_tickets(state.tickets, state.height + 1, preset)),
        "ticket_pool": [{**_outpoint_json(t.outpoint), "purchase_height": t.purchase_height} for t in pool],
        "utxo_count": len(state.utxos),
        "utxo_value": sum(entry.output.value for entry in state.utxos.values()),
    }
    if state.masternodes.entries:
        result["masternodes"] = [
            {
                **_outpoint_json(outpoint),
                "status": entry.status.value,
                "registered_height": entry.registered_height,
                "last_paid_height": entry.last_paid_height,
                "pose_score": entry.pose_score,
                "payout_script": to_hex(entry.payout_script),
            }
            for outpoint, entry in sorted(state.masternodes.entries.items())
        ]
    if state.governance.proposals:
        result["proposals"] = [
            {
                "proposal_id": to_hex(identifier),
                "status": record.status.value,
                "yes": record.yes,
                "no": record.no,
                "abstain": record.abstain,
            }
            for identifier, record in sorted(state.governance.proposals.items())
        ]
    if state.quorums.records:
        result["quorums"] = quorums_json(state.quorums)
    if state.quorums.pose_records:
        result["pose_quorums"] = pose_quorums_json(state.quorums)
    return result


def quorum_record_json(record: QuorumRecord) -> dict[str, JSON]:
    """FIN-6: one recorded finality quorum as ``{"base_height", "base_hash", "session_id", "members"
    (operator keys in member order), "threshold", "group_public_key" (hex or null),
    "committed_height" (int or null), "key_shares_root" (hex or null)}``."""
    key = record.group_public_key
    root = record.key_shares_root
    return {
        "base_height": record.base_height,
        "base_hash": to_hex(record.base_hash),
        "session_id": to_hex(record.session_id),
        "members": [to_hex(member) for member in record.members],
        "threshold": record.threshold,
        "group_public_key": None if key is None else to_hex(key),
        "committed_height": record.committed_height,
        "key_shares_root": None if root is None else to_hex(root),
    }


def quorums_json(registry: QuorumRegistry) -> list[JSON]:
    """FIN-6: the quorum registry as records in base height order."""
    return [quorum_record_json(registry.records[base]) for base in sorted(registry.records)]


def pose_quorums_json(registry: QuorumRegistry) -> list[JSON]:
    """FIN-7: the PoSe quorum records in base height order."""
    return [quorum_record_json(registry.pose_records[base]) for base in sorted(registry.pose_records)]


def _masternode_payees(data: dict[str, JSON], count: int) -> list[bytes | None] | None:
    raw = data.get("masternode_payees")
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != count:
        raise BadInput("masternode_payees must list one script (or null) per block")
    return [None if item is None else from_hex(item, "masternode_payees") for item in raw]


LEGACY_PAYEE_COLLATERAL = OutPoint(bytes(32), 0xFFFFFFFF)


def legacy_payee_list(payee: bytes | None) -> MasternodeList:
    """The masternode list the legacy ``masternode_payees`` input stands for: one ACTIVE masternode,
    registered before genesis, paying ``payee`` (empty for ``None``).

    The payee is derived from :attr:`ChainState.masternodes` (MN-7); vectors written when it was a
    node input keep their meaning by replacing the list before each block with this one.
    """
    if payee is None:
        return EMPTY_LIST
    entry = MasternodeEntry(
        collateral=LEGACY_PAYEE_COLLATERAL,
        operator_public_key=bytes(48),
        owner_public_key=bytes(32),
        payout_script=payee,
        address=bytes(16),
        port=0,
        status=MasternodeStatus.ACTIVE,
        registered_height=-1,
        pose_score=0,
        last_paid_height=None,
        last_penalty_quorum_height=None,
    )
    return MasternodeList({LEGACY_PAYEE_COLLATERAL: entry})


def handle_apply_blocks(preset: Preset, data: dict[str, JSON]) -> JSON:
    """HDR-*, BLK-*, POW-*, POS-*, RWD-*: apply ``blocks`` from the state before genesis.

    ``{"blocks": [hex], "now": int (optional), "masternode_payees": [hex|null] (optional),
    "resume_from_items": int (optional)}`` ->
    the state after the last block (:func:`state_json`), or the code of the first failing block.
    ``now`` is the validating node's clock for every block; absent, each block is validated with
    ``now`` equal to its own timestamp. The masternode payee is derived from the masternode list
    the blocks build (MN-7); ``masternode_payees``, if present, replaces that list before each block
    with :func:`legacy_payee_list` of the given script (null: no masternode).
    ``resume_from_items`` ``k``, if present: after block ``k`` the state is replaced by the one
    STATE-5 rebuilds from its committed items (STATE-2/3) and the header chain's part (tip hash,
    height, bits, timestamps, cumulative work), as a node that fast-synced to block ``k`` holds
    it; the later blocks are validated on that state (the output is the same as without it).
    """
    blocks = hex_list_field(data, "blocks")
    now = None if data.get("now") is None else int_field(data, "now")
    payees = _masternode_payees(data, len(blocks))
    resume = None if data.get("resume_from_items") is None else int_field(data, "resume_from_items")
    if resume is not None and not 0 <= resume < len(blocks):
        raise BadInput("resume_from_items must be the position of one of the blocks")
    state = initial_state(preset)
    for position, raw in enumerate(blocks):
        try:
            block = decode_block(raw, preset)
            clock = block.header.timestamp if now is None else now
            if payees is not None:
                state = replace(state, masternodes=legacy_payee_list(payees[position]))
            state = apply_block(state, block, BlockContext(clock), preset)
        except SpecError as exc:
            raise type(exc)(f"block {position}: {exc.detail}") from exc
        if position == resume:
            state = resumed_from_items(state, preset)
    if payees is not None:
        state = replace(state, masternodes=EMPTY_LIST)
    return state_json(state, preset)


def handle_quorums_with_pending(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FIN-6 / ST-2: ``{"blocks": [hex]}`` (from before genesis, each validated with the clock at its
    own timestamp) -> ``{"quorums", "pose_quorums"}``: the finality and PoSe quorum records the next
    block's rules see (:func:`~spec.chain.state.quorums_with_pending`): the tip's records plus,
    under ``state_trie``, the quorums based at the tip itself, which the next block records (the
    members a node selects for the DKG of a quorum based at its tip), or the first failing
    block's code."""
    state = initial_state(preset)
    for position, raw in enumerate(hex_list_field(data, "blocks")):
        try:
            block = decode_block(raw, preset)
            state = apply_block(state, block, BlockContext(block.header.timestamp), preset)
        except SpecError as exc:
            raise type(exc)(f"block {position}: {exc.detail}") from exc
    registry = quorums_with_pending(state, preset)
    return {"quorums": quorums_json(registry), "pose_quorums": pose_quorums_json(registry)}


def resumed_from_items(state: ChainState, preset: Preset) -> ChainState:
    """STATE-5: ``state`` rebuilt from its committed items (:func:`compute_state_items`) and the parts
    the header chain gives, without a trie (the next block builds it)."""
    return chain_state_from_items(
        compute_state_items(state, preset),
        state.tip_hash,
        state.height,
        state.bits,
        state.timestamps,
        state.cumulative_work,
        preset,
    )


# --------------------------------------------------------------------------------------------
# Fork choice and finality (FORK-1..3)
# --------------------------------------------------------------------------------------------


def handle_choose_tip(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FORK-1/2: ``{"index", "tips", "finalized"}`` -> ``{"tip"}`` (hex, or null if none is eligible)."""
    tip = choose_tip(parse_index(data), hex_list_field(data, "tips"), _optional_hex(data, "finalized"))
    return {"tip": None if tip is None else to_hex(tip)}


def handle_check_reorganisation(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FORK-2: ``{"index", "new_tip", "finalized"}`` -> ``{"ok": true}`` or ``FORK_FINALITY_VIOLATION``."""
    check_reorganisation(parse_index(data), hex_field(data, "new_tip"), _optional_hex(data, "finalized"))
    return {"ok": True}


def handle_verify_finality_certificate(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FORK-3: ``{"height", "block_hash", "signature", "quorum_public_key"}`` -> ``{"valid"}``."""
    certificate = FinalityCertificate(
        _uint_field(data, "height", 64), hex_field(data, "block_hash"), hex_field(data, "signature")
    )
    return {"valid": verify_finality_certificate(certificate, hex_field(data, "quorum_public_key"))}


def handle_coinbase_for(preset: Preset, data: dict[str, JSON]) -> JSON:
    """RWD-3: ``{"height", "fees", "miner_script", "voters": [ticket], "masternode_payee"`` (hex or
    null), ``"payments": [{"proposal_id", "script", "amount"}]}`` -> ``{"coinbase"`` (hex),
    ``"txid", "outputs": [{"value", "script"}]}``: the coinbase a block producer writes, paying the
    miner's share to ``miner_script``, then each voter, the masternode payee and the payments."""
    height, fees = _uint_field(data, "height", 64), _uint_field(data, "fees", 64)
    voters = tuple(parse_ticket(item) for item in _objects(data, "voters"))
    payments = [
        Payment(hex_field(item, "proposal_id"), hex_field(item, "script"), _uint_field(item, "amount", 64))
        for item in _objects(data, "payments")
    ]
    payee = _optional_hex(data, "masternode_payee")
    tx = coinbase_for(height, fees, hex_field(data, "miner_script"), voters, payee, preset, payments)
    return {
        "coinbase": to_hex(encode_transaction(tx, preset)),
        "txid": to_hex(txid(tx, preset)),
        "outputs": [{"value": o.value, "script": to_hex(o.script_pubkey)} for o in tx.outputs],
    }


def handle_finalized_block(preset: Preset, data: dict[str, JSON]) -> JSON:
    """FORK-2/3, FIN-4: the block fork choice keeps given the finality certificates received; the
    masternode flow's ``finalized_block`` (same input and output), served here too because the
    rule (:func:`spec.chain.forkchoice.newest_finalized`) is the chain's."""
    from conformance.handlers.masternode import handle_finalized_block as finalized_block

    return finalized_block(preset, data)


HANDLERS: dict[str, Handler] = {
    "compact_target": handle_compact_target,
    "encode_compact": handle_encode_compact,
    "next_bits": handle_next_bits,
    "block_subsidy": handle_block_subsidy,
    "split_reward": handle_split_reward,
    "select_voters": handle_select_voters,
    "ticket_price": handle_ticket_price,
    "decode_header": handle_decode_header,
    "decode_block": handle_decode_block,
    "apply_blocks": handle_apply_blocks,
    "quorums_with_pending": handle_quorums_with_pending,
    "choose_tip": handle_choose_tip,
    "check_reorganisation": handle_check_reorganisation,
    "verify_finality_certificate": handle_verify_finality_certificate,
    "coinbase_for": handle_coinbase_for,
    "finalized_block": handle_finalized_block,
}
