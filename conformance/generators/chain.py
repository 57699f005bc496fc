"""Vectors of the ``chain`` flow: compact targets, retargeting, emission and the reward split, voter
selection, ticket price, block and header decoding, fork choice, finality certificates, and block
sequences applied from genesis (one invalid case per rule that ``apply_blocks`` can reach).

Block sequences are mined, so they exist only for presets whose proof-of-work limit is easy enough
to mine in a test (:data:`MAX_MINING_WORK`): devnet. Mainnet's limit needs about 2**24 hashes per
block; its vectors cover the pure arithmetic and the block format only.

Every block comes from :class:`conformance.chainbuilder.ChainBuilder` and every transaction is signed
by the deterministic wallet, so the vectors are identical on every run. An invalid block is a valid
block with one thing changed; the generator then recomputes everything else the change disturbs
(Merkle roots, votes root, state root, coinbase, proof of work) so that only the rule under test
fails. Each invalid sequence is valid blocks followed by that one block.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from conformance import masternodechain
from conformance.chainbuilder import ChainBuilder, mine, voting_ticket_script
from conformance.handlers.chain import big_to_hex
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.wallet import Key, key, sign_transaction
from spec.chain.block import (
    BLOCK_VERSION,
    Block,
    BlockHeader,
    TicketVote,
    block_hash,
    encode_block,
    encode_header,
    max_block_transactions,
    transactions_root,
    votes_root,
)
from spec.chain.forkchoice import finality_message
from spec.chain.pow import (
    MAX_TARGET,
    decode_compact,
    encode_compact,
    hash_meets_target,
    pow_limit,
    target_from_bits,
    work_of_target,
)
from spec.chain.rewards import block_subsidy
from spec.chain.state import ChainState, coinbase_for, median_time_past
from spec.chain.tickets import (
    VOTE_APPROVE,
    Ticket,
    live_tickets,
    next_ticket_price,
    select_voters,
    ticket_script,
    vote_message,
)
from spec.crypto import bls, ed25519, threshold
from spec.encoding import varint_encode
from spec.errors import SpecError
from spec.ledger.state import utxo_state_root
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    txid,
)
from spec.ledger.utxo import apply_transactions
from spec.masternode.finality import build_commitment
from spec.merkle import empty_root, merkle_root
from spec.presets import Preset

MAX_MINING_WORK = 1 << 10
"""Block-sequence vectors are generated only if the preset's limit target needs at most this many
expected hashes per block."""

MAX_FULL_PERIOD_HEIGHT = 1_000
"""Retarget vectors list one timestamp per block: presets with longer periods get fewer of them."""

PAYMENT_FEE = 10_000
TICKET_SETS = 2
"""The main chain buys enough tickets for this many full voting blocks, plus a few left over."""


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error)


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """Chain vectors for one preset."""
    yield from _compact_cases(preset)
    yield from _retarget_cases(preset)
    yield from _reward_cases(preset)
    yield from _selection_cases(preset)
    yield from _price_cases(preset)
    yield from _decode_cases(preset)
    yield from _fork_choice_cases(preset)
    yield from _finality_cases(preset)
    yield from _finalized_block_cases(preset)
    yield from _coinbase_cases(preset)
    if mineable(preset):
        yield from _sequence_cases(preset)
        if masternodechain.supported(preset):
            yield from _masternode_sequence_cases(preset)
        if masternodechain.quorum_supported(preset):
            yield from _quorum_sequence_cases(preset)
        if masternodechain.penalty_supported(preset):
            yield from _penalty_sequence_cases(preset)
        yield from _resumed_sequence_cases(preset)
        yield from _parent_quorum_cases(preset)


def mineable(preset: Preset) -> bool:
    """Whether test chains can be mined under ``preset`` (see :data:`MAX_MINING_WORK`)."""
    return work_of_target(pow_limit(preset)) <= MAX_MINING_WORK


# --------------------------------------------------------------------------------------------
# Proof of work arithmetic (POW-1, POW-3, POW-4)
# --------------------------------------------------------------------------------------------


def _compact_cases(preset: Preset) -> Iterator[CaseSpec]:
    limit = pow_limit(preset)
    valid = [
        ("limit", preset.chain.pow_limit_bits, "the preset's proof-of-work limit"),
        ("bitcoin_genesis", 0x1D00FFFF, "Bitcoin's genesis difficulty"),
        ("three_byte_mantissa", 0x03123456, "exponent 3: the mantissa is the target"),
        ("small_exponent", 0x02008000, "exponent 2: 0x80, whose top bit forced the extra byte"),
        ("one", 0x01010000, "the smallest target, 1"),
    ]
    for case, bits, description in valid:
        yield _case("compact_target", case, f"POW-1: {description}", {"bits": bits})
    above = encode_compact(min(limit * 2, MAX_TARGET))
    invalid = [
        ("negative", 0x04923456, "POW_INVALID_BITS", "sign bit set"),
        ("zero", 0x00000000, "POW_INVALID_BITS", "encodes zero"),
        ("shifted_to_zero", 0x01003456, "POW_INVALID_BITS", "exponent 1 shifts every mantissa bit out"),
        ("noncanonical", 0x04001234, "POW_INVALID_BITS", "leading zero byte in the mantissa"),
        ("overflow", 0x2201FFFF, "POW_INVALID_BITS", "more than 256 bits"),
        ("wider_than_32_bits", 1 << 32, "POW_INVALID_BITS", "bits do not fit u32"),
        ("above_limit", above, "POW_TARGET_ABOVE_LIMIT", "canonical but easier than the limit"),
    ]
    for case, bits, error, description in invalid:
        yield _case("compact_target", case, f"POW-1: {description}", {"bits": bits}, error)
    targets = [
        ("limit", limit, "the limit round-trips"),
        ("one", 1, "1 encodes with exponent 1"),
        ("sign_bit", 0x80, "0x80 needs an extra exponent byte"),
        ("rounds_down", 0x123456789A, "low bytes beyond the 3-byte mantissa are dropped"),
        ("max", MAX_TARGET, "2**256 - 1"),
    ]
    for case, target, description in targets:
        yield _case("encode_compact", case, f"POW-1: {description}", {"target": big_to_hex(target)})


def _retarget_cases(preset: Preset) -> Iterator[CaseSpec]:
    """POW-4. A case lists one timestamp per block, so for long periods (mainnet's 2016 blocks) only
    the clamp and cap cases are emitted; devnet's short period carries every variant."""
    chain = preset.chain
    interval, spacing = chain.retarget_interval, chain.target_block_seconds
    start = chain.genesis_timestamp
    harder = encode_compact(pow_limit(preset) // 16)
    at_limit = chain.pow_limit_bits

    def even(height: int, step: int) -> list[JSON]:
        return [start + step * i for i in range(height)]

    # (case, description, height, parent bits, timestamps, error, also for long periods)
    cases: list[tuple[str, str, int, int, list[JSON], str | None, bool]] = [
        ("genesis", "height 0 carries the limit", 0, harder, [], None, True),
        (
            "inside_period",
            "a non-retarget height carries its parent's bits",
            1,
            harder,
            even(1, spacing),
            None,
            True,
        ),
        (
            "on_schedule_at_limit",
            "on-schedule blocks keep the limit",
            interval,
            at_limit,
            even(interval, spacing),
            None,
            True,
        ),
        (
            "on_schedule",
            "on-schedule blocks keep the target",
            interval,
            harder,
            even(interval, spacing),
            None,
            False,
        ),
        (
            "twice_as_fast",
            "half the expected span halves the target",
            interval,
            harder,
            [start + (i * spacing) // 2 for i in range(interval)],
            None,
            False,
        ),
        (
            "fast_clamped",
            "all blocks at one time: the span is clamped to expected / 4",
            interval,
            harder,
            [start] * interval,
            None,
            True,
        ),
        (
            "backwards_clock",
            "a negative span is clamped to expected / 4",
            interval,
            harder,
            [start + interval - i for i in range(interval)],
            None,
            False,
        ),
        (
            "slow_clamped",
            "a huge span is clamped to expected * 4",
            interval,
            harder,
            even(interval, 100 * spacing),
            None,
            True,
        ),
        (
            "slow_capped_at_limit",
            "an easier result is capped at the limit",
            interval,
            at_limit,
            even(interval, 3 * spacing),
            None,
            False,
        ),
        (
            "second_period",
            "a full period of intervals (the first period has one fewer)",
            2 * interval,
            harder,
            [start + i * spacing + (i % 3) for i in range(2 * interval)],
            None,
            False,
        ),
        (
            "floor_at_one",
            "a target of 1 retargeted faster rounds down to 0: the target floor is 1",
            interval,
            encode_compact(1),
            [start] * interval,
            None,
            True,
        ),
        (
            "invalid_parent_bits",
            "the parent's bits are decoded when retargeting",
            interval,
            0x04923456,
            even(interval, spacing),
            "POW_INVALID_BITS",
            False,
        ),
    ]
    long_period = interval > MAX_FULL_PERIOD_HEIGHT
    for case, description, height, parent_bits, timestamps, error, always in cases:
        if always or not long_period:
            yield _case(
                "next_bits",
                case,
                f"POW-4: {description}",
                {"height": height, "parent_bits": parent_bits, "timestamps": timestamps},
                error,
            )


# --------------------------------------------------------------------------------------------
# Rewards (RWD-1, RWD-2)
# --------------------------------------------------------------------------------------------


def _reward_cases(preset: Preset) -> Iterator[CaseSpec]:
    halving = preset.rewards.halving_interval
    heights = [
        ("genesis", 0),
        ("last_before_halving", halving - 1),
        ("first_halving", halving),
        ("second_halving", 2 * halving),
        ("last_atom", (preset.rewards.initial_subsidy.bit_length() - 1) * halving),
        ("first_zero", preset.rewards.initial_subsidy.bit_length() * halving),
        ("sixty_third_halving", 63 * halving),
        ("sixty_fourth_halving", 64 * halving),
    ]
    for case, height in heights:
        yield _case("block_subsidy", case, f"RWD-1 at height {height}", {"height": height})
    subsidy = preset.rewards.initial_subsidy
    splits = [
        ("subsidy_no_voters", subsidy, 0, False, "no votes: the stakers' share goes to the miner"),
        (
            "subsidy_five_voters_masternode",
            subsidy,
            preset.tickets.voters_per_block,
            True,
            "every share paid",
        ),
        ("rounding_three_voters", subsidy + 1_000_003, 3, True, "integer rounding goes to the miner"),
        ("masternode_not_due", subsidy + 7, 4, False, "the masternode share goes to the miner"),
        ("zero", 0, 5, True, "a zero reward"),
        ("tiny", 9, 2, True, "every share rounds to zero"),
    ]
    for case, reward, voters, due, description in splits:
        yield _case(
            "split_reward",
            case,
            f"RWD-2: {description}",
            {"reward": reward, "voters": voters, "masternode_due": due},
        )


# --------------------------------------------------------------------------------------------
# Tickets (POS-3, POS-5)
# --------------------------------------------------------------------------------------------


def _ticket_json(ticket: Ticket) -> dict[str, JSON]:
    return {
        "txid": ticket.outpoint.txid.hex(),
        "index": ticket.outpoint.index,
        "purchase_height": ticket.purchase_height,
        "voting_key": ticket.voting_key.hex(),
        "owner_key_hash": ticket.owner_key_hash.hex(),
    }


def _synthetic_ticket(label: str, purchase_height: int) -> Ticket:
    owner = key(f"ticket/{label}")
    return Ticket(
        OutPoint(seeded_bytes(f"chain/ticket/{label}", 32), len(label) % 3),
        purchase_height,
        owner.public_key,
        owner.key_hash,
    )


def _selection_cases(preset: Preset) -> Iterator[CaseSpec]:
    params = preset.tickets
    height = params.ticket_expiry + params.ticket_maturity + 10
    first_live = height - 1 - params.ticket_maturity
    live = [_synthetic_ticket(f"live{i}", first_live - 3 * i) for i in range(2 * params.voters_per_block)]
    boundary = [
        _synthetic_ticket("just_mature", first_live),
        _synthetic_ticket("immature", first_live + 1),
        _synthetic_ticket("last_live_height", height - params.ticket_expiry + 1),
        _synthetic_ticket("expired", height - params.ticket_expiry),
    ]
    parent = seeded_bytes("chain/select/parent", 32)

    def case(name: str, description: str, tickets: Sequence[Ticket], at: int = height) -> CaseSpec:
        return _case(
            "select_voters",
            name,
            f"POS-3: {description}",
            {"tickets": [_ticket_json(t) for t in tickets], "parent_hash": parent.hex(), "height": at},
        )

    yield case("ten_live", "the lowest scores of ten live tickets, in score order", live)
    yield case("many_with_bounds", "immature and expired tickets are never chosen", live + boundary)
    yield case(
        "maturity_and_expiry_bounds",
        "exactly voters_per_block live tickets, two of them on the maturity and expiry boundaries, "
        "beside one immature and one expired ticket: all live ones are selected",
        live[: params.voters_per_block - 2] + boundary,
    )
    yield case(
        "bootstrap",
        "fewer live tickets than voters per block: nobody is selected",
        live[: params.voters_per_block - 1] + boundary[1::3],
    )
    yield case(
        "exactly_enough",
        "exactly voters_per_block live tickets: all selected",
        live[: params.voters_per_block],
    )
    yield case("empty_pool", "no tickets", [])


def _price_cases(preset: Preset) -> Iterator[CaseSpec]:
    params = preset.tickets
    interval, target, price = params.price_interval, params.target_pool_size, params.initial_ticket_price
    cases = [
        (
            "not_an_adjustment_height",
            interval + 1,
            price,
            0,
            "prices change only at multiples of price_interval",
        ),
        ("height_zero", 0, price, 0, "no adjustment at genesis"),
        ("on_target", interval, price, target, "a pool at target keeps the price"),
        ("empty_pool", interval, price, 0, "an empty pool lowers the price 5 %"),
        ("double_target", 2 * interval, price, 2 * target, "twice the target raises it 5 %"),
        ("triple_target", interval, price, 3 * target, "three times the target raises it 10 %"),
        ("floor_rounding", interval, price + 1, target - 1, "integer division rounds toward minus infinity"),
        ("clamped_to_min", interval, params.min_ticket_price, 0, "never below min_ticket_price"),
        ("clamped_to_max", interval, params.max_ticket_price, 5 * target, "never above max_ticket_price"),
    ]
    for case, height, current, live, description in cases:
        yield _case(
            "ticket_price",
            case,
            f"POS-5: {description}",
            {"height": height, "price": current, "live_count": live},
        )


# --------------------------------------------------------------------------------------------
# Block and header format (HDR-0, BLK-0)
# --------------------------------------------------------------------------------------------


def _p2pkh_spend(
    utxos: dict[OutPoint, TxOutput],
    outpoints: Sequence[OutPoint],
    signers: Sequence[Key],
    outputs: Sequence[TxOutput],
    preset: Preset,
) -> Transaction:
    unsigned = Transaction(1, tuple(TxInput(o, b"", SEQUENCE_FINAL) for o in outpoints), tuple(outputs), 0)
    return sign_transaction(unsigned, [utxos[o] for o in outpoints], signers, preset)


def sample_block(preset: Preset) -> Block:
    """A well-formed (but unmined, not chain-valid) block with a vote and a payment, for decoding."""
    alice, bob = key("alice"), key("bob")
    funding = OutPoint(seeded_bytes("chain/sample/funding", 32), 1)
    payment = _p2pkh_spend(
        {funding: TxOutput(50_000, alice.script_pubkey)},
        [funding],
        [alice],
        [TxOutput(40_000, bob.script_pubkey)],
        preset,
    )
    coinbase = coinbase_for(7, 10_000, key("miner").script_pubkey, (), None, preset)
    parent = seeded_bytes("chain/sample/parent", 32)
    ticket = _synthetic_ticket("sample", 1)
    vote = TicketVote(
        ticket.outpoint.txid,
        ticket.outpoint.index,
        parent,
        VOTE_APPROVE,
        ed25519.sign(key("ticket/sample").seed, vote_message(parent, ticket.outpoint)),
    )
    body = (coinbase, payment)
    header = BlockHeader(
        BLOCK_VERSION,
        7,
        parent,
        transactions_root(body, preset),
        votes_root((vote,), preset),
        seeded_bytes("chain/sample/state", 32),
        preset.chain.genesis_timestamp + 700,
        preset.chain.pow_limit_bits,
        0x0102030405060708,
    )
    return Block(header, (vote,), body)


def _decode_cases(preset: Preset) -> Iterator[CaseSpec]:
    block = sample_block(preset)
    raw = encode_block(block, preset)
    header = encode_header(block.header, preset)
    yield _case("decode_header", "sample", "HDR-0: a 188-byte header", {"bytes": header.hex()})
    yield _case(
        "decode_header",
        "truncated",
        "HDR-0: one byte short",
        {"bytes": header[:-1].hex()},
        "DECODE_TRUNCATED",
    )
    yield _case(
        "decode_header",
        "trailing_byte",
        "HDR-0: one byte too many",
        {"bytes": (header + b"\x00").hex()},
        "DECODE_TRAILING_BYTES",
    )
    yield _case(
        "decode_block", "sample", "BLK-0: a block with one vote and two transactions", {"bytes": raw.hex()}
    )
    yield _case(
        "decode_block", "truncated", "BLK-0: one byte short", {"bytes": raw[:-1].hex()}, "DECODE_TRUNCATED"
    )
    yield _case(
        "decode_block",
        "trailing_byte",
        "BLK-0: one byte too many",
        {"bytes": (raw + b"\x00").hex()},
        "DECODE_TRAILING_BYTES",
    )
    votes_at = len(header)
    too_many = raw[:votes_at] + bytes([preset.tickets.voters_per_block + 1]) + raw[votes_at + 1 :]
    yield _case(
        "decode_block",
        "too_many_votes",
        "BLK-0: the vote count exceeds voters_per_block",
        {"bytes": too_many.hex()},
        "DECODE_LENGTH_LIMIT",
    )
    most = max_block_transactions(preset)
    for count, case, description, code in (
        (most, "transaction_count_at_bound", "a count at the bound", "DECODE_TRUNCATED"),
        (most + 1, "transaction_count_above_bound", "a count one above it", "DECODE_LENGTH_LIMIT"),
    ):
        yield _case(
            "decode_block",
            case,
            f"BLK-0: no vote, then {description} (max_block_bytes // 8) and no transaction after it",
            {"bytes": (header + b"\x00" + varint_encode(count)).hex()},
            code,
        )
    noncanonical = raw[:votes_at] + b"\x81\x00" + raw[votes_at + 1 :]
    yield _case(
        "decode_block",
        "noncanonical_vote_count",
        "BLK-0: vote count 1 written in two bytes",
        {"bytes": noncanonical.hex()},
        "DECODE_NONCANONICAL_VARINT",
    )


# --------------------------------------------------------------------------------------------
# Fork choice and finality (FORK-1..3)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _IndexBlock:
    name: str
    parent: str | None
    work: int


def _fork_choice_cases(preset: Preset) -> Iterator[CaseSpec]:
    unit = work_of_target(pow_limit(preset))
    # G - A1 - A2 - A3 (light blocks)       G - B1 - B2 (heavy blocks)       A1 - C2 (ties A2's work)
    shape = [
        _IndexBlock("G", None, unit),
        _IndexBlock("A1", "G", unit),
        _IndexBlock("A2", "A1", unit),
        _IndexBlock("A3", "A2", unit),
        _IndexBlock("B1", "G", 3 * unit),
        _IndexBlock("B2", "B1", 3 * unit),
        _IndexBlock("C2", "A1", unit),
    ]
    hashes = {b.name: seeded_bytes(f"chain/fork/{b.name}", 32) for b in shape}
    heights: dict[str, int] = {}
    totals: dict[str, int] = {}
    index: list[JSON] = []
    for b in shape:
        heights[b.name] = 0 if b.parent is None else heights[b.parent] + 1
        totals[b.name] = b.work + (0 if b.parent is None else totals[b.parent])
        index.append(
            {
                "block_hash": hashes[b.name].hex(),
                "parent_hash": (bytes(32) if b.parent is None else hashes[b.parent]).hex(),
                "height": heights[b.name],
                "cumulative_work": big_to_hex(totals[b.name]),
            }
        )

    def names(*labels: str) -> list[JSON]:
        return [hashes[label].hex() for label in labels]

    def choose(case: str, description: str, tips: list[JSON], finalized: str | None) -> CaseSpec:
        return _case(
            "choose_tip",
            case,
            f"FORK-1/2: {description}",
            {
                "index": index,
                "tips": tips,
                "finalized": None if finalized is None else hashes[finalized].hex(),
            },
        )

    yield choose("most_work", "the heaviest chain wins though it is shorter", names("A3", "B2", "C2"), None)
    yield choose("order_independent", "same tips listed in another order", names("C2", "B2", "A3"), None)
    yield choose(
        "finality_beats_work",
        "only tips containing the finalized block are eligible",
        names("A3", "B2", "C2"),
        "A1",
    )
    yield choose("tie_smaller_hash", "equal work: the smaller block hash wins", names("A2", "C2"), None)
    yield choose("finalized_is_tip", "the finalized block itself is eligible", names("B1", "A2"), "A2")
    yield choose("none_eligible", "no tip contains the finalized block", names("B2", "C2"), "A2")
    yield choose(
        "unknown_tip_ignored",
        "a tip missing from the index is ignored",
        [seeded_bytes("chain/fork/unknown", 32).hex(), *names("A2")],
        None,
    )
    yield choose("no_tips", "no tips at all", [], None)
    unknown = seeded_bytes("chain/fork/unknown-finalized", 32).hex()
    yield _case(
        "choose_tip",
        "finalized_not_in_index",
        "FORK-2: a finalized block missing from the index: no tip is known to contain it",
        {"index": index, "tips": names("A3", "B2"), "finalized": unknown},
    )

    def reorg(
        case: str, description: str, new_tip: str, finalized: str | None, error: str | None
    ) -> CaseSpec:
        return _case(
            "check_reorganisation",
            case,
            f"FORK-2: {description}",
            {
                "index": index,
                "new_tip": hashes[new_tip].hex(),
                "finalized": None if finalized is None else hashes[finalized].hex(),
            },
            error,
        )

    yield reorg("descendant", "a switch that keeps the finalized block", "C2", "A1", None)
    yield reorg("nothing_finalized", "no finalized block: any switch is allowed", "B2", None, None)
    yield reorg(
        "heavier_fork",
        "a heavier chain without the finalized block is refused",
        "B2",
        "A1",
        "FORK_FINALITY_VIOLATION",
    )
    yield reorg(
        "sibling_fork", "a sibling of the finalized block is refused", "C2", "A2", "FORK_FINALITY_VIOLATION"
    )
    yield reorg(
        "ancestor_of_finalized",
        "switching back below the finalized block is refused",
        "A1",
        "A2",
        "FORK_FINALITY_VIOLATION",
    )
    yield _case(
        "check_reorganisation",
        "finalized_not_in_index",
        "FORK-2: a finalized block missing from the index: no tip is known to contain it",
        {"index": index, "new_tip": hashes["B2"].hex(), "finalized": unknown},
        "FORK_FINALITY_VIOLATION",
    )


def _finality_cases(preset: Preset) -> Iterator[CaseSpec]:
    members, needed = 5, 3
    coefficients = threshold.coefficients_from_seed(b"chain/finality/quorum", needed)
    shares = threshold.generate_shares(coefficients, list(range(1, members + 1)))
    group_key = threshold.group_public_key(coefficients)
    height = 42
    block = seeded_bytes("chain/finality/block", 32)
    message = finality_message(height, block)
    signature = threshold.recover_signature(
        [threshold.sign_share(s, message) for s in shares[1 : 1 + needed]], needed
    )
    other_key = bls.sk_to_pk(bls.key_gen(seeded_bytes("chain/finality/other", 32)))

    def case(name: str, description: str, error: str | None = None, **changes: JSON) -> CaseSpec:
        data: dict[str, JSON] = {
            "height": height,
            "block_hash": block.hex(),
            "signature": signature.hex(),
            "quorum_public_key": group_key.hex(),
        }
        data.update(changes)
        return _case("verify_finality_certificate", name, f"FORK-3: {description}", data, error)

    yield case("threshold_signature", "3-of-5 threshold signature over (height, block hash)")
    yield case("wrong_height", "the same signature for another height", height=height + 1)
    yield case(
        "wrong_block",
        "the same signature for another block",
        block_hash=seeded_bytes("chain/finality/other-block", 32).hex(),
    )
    yield case("wrong_quorum", "verified under another quorum's key", quorum_public_key=other_key.hex())
    yield case(
        "malformed_signature",
        "a signature that is not a G2 point",
        "BLS_INVALID_SIGNATURE",
        signature=(b"\x00" * 96).hex(),
    )
    yield case(
        "malformed_key",
        "a key that is not a G1 point",
        "BLS_INVALID_PUBLIC_KEY",
        quorum_public_key=(b"\x00" * 48).hex(),
    )


# --------------------------------------------------------------------------------------------
# Block sequences (apply_blocks): the main chain
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MainChain:
    """The deterministic devnet chain of the ``apply_blocks`` vectors, with the facts its cases use.

    ``builder.blocks[h]`` is the block at height ``h`` and ``builder.states[h]`` the state before it.
    """

    builder: ChainBuilder
    purchase_height: int
    first_vote_height: int
    second_purchase_height: int
    expiry_spend_height: int
    payment_height: int
    tickets: tuple[OutPoint, ...]
    missed: OutPoint


def _owner(index: int) -> Key:
    return key(f"voter{index}")


def _coinbase_outpoint(block: Block, preset: Preset) -> OutPoint:
    return OutPoint(txid(block.transactions[0], preset), 0)


def spend(
    state: ChainState,
    outpoints: Sequence[OutPoint],
    signers: Sequence[Key],
    outputs: Sequence[TxOutput],
    preset: Preset,
) -> Transaction:
    """A signed transaction spending ``outpoints`` of ``state``'s UTXO set (P2PKH or ticket outputs)."""
    return _p2pkh_spend({o: state.utxos[o].output for o in outpoints}, outpoints, signers, outputs, preset)


def pay_change(
    state: ChainState, outpoint: OutPoint, signer: Key, outputs: Sequence[TxOutput], fee: int, preset: Preset
) -> Transaction:
    """Spend one coin to ``outputs`` plus change back to ``signer`` (minus ``fee``)."""
    change = state.utxos[outpoint].output.value - sum(o.value for o in outputs) - fee
    return spend(state, [outpoint], [signer], [*outputs, TxOutput(change, signer.script_pubkey)], preset)


def _timestamp(preset: Preset, height: int, previous: int | None) -> int:
    """Main-chain clock: fast blocks in the first period, slow ones in the second, on schedule after."""
    chain = preset.chain
    if previous is None:
        return chain.genesis_timestamp
    interval, spacing = chain.retarget_interval, chain.target_block_seconds
    if height < interval:
        return previous + max(1, spacing // 2)
    if height < 2 * interval:
        return previous + 2 * spacing
    return previous + spacing


def price_at(state: ChainState, height: int, preset: Preset) -> int:
    """POS-5: the ticket price in force for the block at ``height`` on top of ``state``."""
    live = len(live_tickets(state.tickets, height, preset))
    return next_ticket_price(height, state.ticket_price, live, preset)


@cache
def main_chain(preset: Preset) -> MainChain:
    """Build the main chain: tickets bought, matured, voting (one missed), repriced, spent, expired.

    Heights (devnet): coinbase 0 buys ``2 * voters + voters // 2`` tickets at ``coinbase_maturity``;
    payments follow; the tickets are live from ``first_vote``, where one selected voter stays away
    (missed); the next block's votes use up the rest but a few, which stay in the pool below
    ``voters_per_block`` live tickets (so are never selected) until they expire; one more ticket is
    bought at the adjusted price; a voted, the missed and an expired ticket are spent once
    unlocked, and a vote reward once mature. The first retarget period is fast (the target halves),
    the second slow (capped back at the limit).
    """
    params, ledger = preset.tickets, preset.ledger
    builder = ChainBuilder(preset)
    miner = builder.miner
    purchase = ledger.coinbase_maturity
    payment = purchase + 1
    first_vote = purchase + params.ticket_maturity + 1
    second_purchase = first_vote + 2
    reward_spend = first_vote + ledger.coinbase_maturity
    expiry_spend = purchase + params.ticket_expiry
    count = TICKET_SETS * params.voters_per_block + params.voters_per_block // 2
    if count >= params.max_tickets_per_block or not payment + 1 < first_vote < reward_spend < expiry_spend:
        raise ValueError("the main chain's plan does not fit this preset")
    owners = [_owner(i) for i in range(count + 1)]
    for owner in owners:
        builder.register_voter(owner)
    alice, bob = key("alice"), key("bob")
    tickets: list[OutPoint] = []
    missed: OutPoint | None = None
    voted_first: list[Ticket] = []

    def owner_of(outpoint: OutPoint) -> Key:
        return owners[tickets.index(outpoint)] if outpoint in tickets else owners[count]

    def refund(state: ChainState, outpoint: OutPoint, to: Key) -> Transaction:
        value = state.utxos[outpoint].output.value - PAYMENT_FEE
        return spend(state, [outpoint], [owner_of(outpoint)], [TxOutput(value, to.script_pubkey)], preset)

    while builder.state.height < expiry_spend:
        state = builder.state
        height = state.height + 1
        previous = state.timestamps[-1] if state.timestamps else None
        transactions: list[Transaction] = []
        if height == purchase:
            outputs = [
                TxOutput(price_at(state, height, preset), voting_ticket_script(o)) for o in owners[:count]
            ]
            funding = _coinbase_outpoint(builder.blocks[0], preset)
            transactions.append(pay_change(state, funding, miner, outputs, PAYMENT_FEE, preset))
            tickets = [OutPoint(txid(transactions[0], preset), i) for i in range(count)]
        elif height == payment:
            funding = _coinbase_outpoint(builder.blocks[1], preset)
            outputs = [TxOutput(10**8, alice.script_pubkey)]
            transactions.append(pay_change(state, funding, miner, outputs, PAYMENT_FEE, preset))
        elif height == payment + 1:
            coin = OutPoint(txid(builder.blocks[payment].transactions[1], preset), 0)
            outputs = [TxOutput(4 * 10**7, bob.script_pubkey)]
            transactions.append(pay_change(state, coin, alice, outputs, PAYMENT_FEE // 2, preset))
        elif height == first_vote + 1:
            transactions.append(refund(state, voted_first[0].outpoint, owner_of(voted_first[0].outpoint)))
        elif height == second_purchase:
            assert missed is not None
            outputs = [TxOutput(price_at(state, height, preset), voting_ticket_script(owners[count]))]
            funding = _coinbase_outpoint(builder.blocks[2], preset)
            transactions.append(pay_change(state, funding, miner, outputs, PAYMENT_FEE, preset))
            transactions.append(refund(state, missed, miner))
        elif height == reward_spend:
            reward = OutPoint(txid(builder.blocks[first_vote].transactions[0], preset), 1)
            value = state.utxos[reward].output.value - PAYMENT_FEE
            signer = owner_of(voted_first[0].outpoint)
            transactions.append(
                spend(state, [reward], [signer], [TxOutput(value, bob.script_pubkey)], preset)
            )
        elif height == expiry_spend:
            expired = [o for o in tickets if o in state.utxos and o not in state.tickets]
            transactions.append(refund(state, expired[-1], alice))

        if height == first_vote:
            selected = select_voters(state.tickets, state.tip_hash, height, preset)
            missed = selected[-1].outpoint
            absent = builder.voters.pop(selected[-1].voting_key)
            builder.extend(transactions, _timestamp(preset, height, previous))
            builder.register_voter(absent)
            voted_first = list(selected[:-1])
        else:
            builder.extend(transactions, _timestamp(preset, height, previous))
    assert missed is not None
    return MainChain(
        builder, purchase, first_vote, second_purchase, expiry_spend, payment, tuple(tickets), missed
    )


# --------------------------------------------------------------------------------------------
# Block sequences (apply_blocks): valid runs and one invalid block per rule
# --------------------------------------------------------------------------------------------


def ledger_state_root(
    state: ChainState, body: Sequence[Transaction], height: int, preset: Preset
) -> bytes | None:
    """STATE-1 root after applying ``body`` to ``state``'s UTXO set, with no rule checked (None if
    an input is missing): the root an invalid block would carry if only its rule under test broke."""
    try:
        utxos, _ = apply_transactions(state.utxos, body, height, preset)
    except SpecError:
        return None
    return utxo_state_root(utxos, preset)


def reseal(
    state: ChainState,
    block: Block,
    preset: Preset,
    *,
    merkle: bool = True,
    votes: bool = True,
    root: bool = True,
    meet_target: bool = True,
) -> Block:
    """Recompute the header commitments of a (mutated) block, except those switched off, and mine it.

    With ``meet_target=False`` the nonce is the smallest one whose hash is *above* the target.
    """
    header = block.header
    if merkle:
        header = replace(header, merkle_root=transactions_root(block.transactions, preset))
    if votes:
        header = replace(header, votes_root=votes_root(block.votes, preset))
    if root:
        new_root = ledger_state_root(state, block.transactions, header.height, preset)
        if new_root is not None:
            header = replace(header, state_root=new_root)
    if meet_target:
        return replace(block, header=mine(header, preset))
    target = target_from_bits(header.bits, preset)
    nonce = 0
    while hash_meets_target(block_hash(replace(header, nonce=nonce), preset), target):
        nonce += 1
    return replace(block, header=replace(header, nonce=nonce))


@dataclass(frozen=True)
class _Sequences:
    """Block assembly on top of the main chain's states."""

    main: MainChain
    preset: Preset

    @property
    def builder(self) -> ChainBuilder:
        return self.main.builder

    def state(self, height: int) -> ChainState:
        return self.builder.states[height]

    def fork(self, height: int) -> ChainBuilder:
        return ChainBuilder(
            self.preset,
            miner=self.builder.miner,
            voters=dict(self.builder.voters),
            states=[self.state(height)],
        )

    def ticket(self, outpoint: OutPoint) -> Ticket:
        for state in self.builder.states:
            if outpoint in state.tickets:
                return state.tickets[outpoint]
        raise KeyError(outpoint)

    def assemble(
        self,
        height: int,
        transactions: Sequence[Transaction] = (),
        *,
        votes: Sequence[TicketVote] | None = None,
        timestamp: int | None = None,
        payee: bytes | None = None,
    ) -> Block:
        """The block at ``height`` with these transactions and votes (default: the builder's votes),
        the coinbase they imply, correct roots and bits, mined; no rule is checked."""
        state = self.state(height)
        fork = self.fork(height)
        if votes is None:
            chosen, voters = fork.votes(height)
        else:
            chosen = tuple(votes)
            voters = tuple(self.ticket(OutPoint(v.ticket_txid, v.ticket_index)) for v in chosen)
        try:
            fees = fork.fees(transactions)
        except SpecError:
            fees = 0
        coinbase = coinbase_for(height, fees, self.builder.miner.script_pubkey, voters, payee, self.preset)
        if timestamp is None:
            timestamp = self.builder.blocks[height].header.timestamp
        header = BlockHeader(
            BLOCK_VERSION,
            height,
            state.tip_hash,
            bytes(32),
            bytes(32),
            bytes(32),
            timestamp,
            self.builder.blocks[height].header.bits,
            0,
        )
        return reseal(state, Block(header, chosen, (coinbase, *transactions)), self.preset)

    def with_votes(self, height: int, votes: Sequence[TicketVote]) -> Block:
        """The main chain's block at ``height`` with other votes (and the coinbase paying them)."""
        return self.assemble(height, self.builder.blocks[height].transactions[1:], votes=votes)

    def replace_header(self, block: Block, height: int, **changes: Any) -> Block:
        return reseal(
            self.state(height), replace(block, header=replace(block.header, **changes)), self.preset
        )

    def replace_body(self, block: Block, height: int, body: Sequence[Transaction], **flags: bool) -> Block:
        return reseal(self.state(height), replace(block, transactions=tuple(body)), self.preset, **flags)

    def vote(
        self,
        outpoint: OutPoint,
        parent: bytes,
        message: bytes | None = None,
        choice: int = VOTE_APPROVE,
        signer: Key | None = None,
    ) -> TicketVote:
        ticket = self.ticket(outpoint)
        owner = signer or self.builder.voters[ticket.voting_key]
        signed = vote_message(parent, outpoint) if message is None else message
        return TicketVote(outpoint.txid, outpoint.index, parent, choice, ed25519.sign(owner.seed, signed))

    def sequence(
        self,
        case: str,
        description: str,
        height: int,
        last: Block | bytes | None,
        error: str | None = None,
        *,
        now: int | None = None,
        payees: Sequence[bytes | None] | None = None,
    ) -> CaseSpec:
        """``apply_blocks`` over the main chain's blocks below ``height`` followed by ``last``."""
        blocks: list[JSON] = [encode_block(b, self.preset).hex() for b in self.builder.blocks[:height]]
        if isinstance(last, Block):
            blocks.append(encode_block(last, self.preset).hex())
        elif isinstance(last, bytes):
            blocks.append(last.hex())
        data: dict[str, JSON] = {"blocks": blocks}
        if now is not None:
            data["now"] = now
        if payees is not None:
            data["masternode_payees"] = [None if p is None else p.hex() for p in payees]
        return _case("apply_blocks", case, description, data, error)


def _sequence_cases(preset: Preset) -> Iterator[CaseSpec]:
    main = main_chain(preset)
    seq = _Sequences(main, preset)
    yield from _valid_sequences(seq)
    yield from _header_failures(seq)
    yield from _body_failures(seq)
    yield from _fast_path_edges(seq)
    yield from _coinbase_failures(seq)
    yield from _vote_failures(seq)
    yield from _ticket_failures(seq)


SIMPLE_HEIGHT = 3
"""A height before any ticket or payment and not a retarget height: the block is just a coinbase."""


def _valid_sequences(seq: _Sequences) -> Iterator[CaseSpec]:
    main, preset = seq.main, seq.preset
    blocks = seq.builder.blocks
    yield seq.sequence("genesis", "the genesis block alone", 0, blocks[0])
    last_vote = main.first_vote_height + 1
    yield seq.sequence(
        "through_first_votes",
        "tickets bought, matured and voting (one selected voter missing); the first retarget",
        last_vote,
        blocks[last_vote],
    )
    height = len(blocks) - 1
    yield seq.sequence(
        "main_chain",
        f"{height + 1} blocks: payments, {len(main.tickets)} tickets bought, two voting blocks with a missed "
        "ticket, price adjustments, a retarget down and back to the limit, spends of a voted, a missed and "
        "an expired ticket and of a vote reward, and expiry of the unselected tickets",
        height,
        blocks[height],
    )
    h = main.second_purchase_height
    mtp = median_time_past(seq.state(h).timestamps, preset)
    yield seq.sequence(
        "timestamp_above_median_below_parent",
        "HDR-3: one second above the median time past is valid even though it is before the parent",
        h,
        seq.assemble(h, blocks[h].transactions[1:], timestamp=mtp + 1),
    )
    now = blocks[SIMPLE_HEIGHT - 1].header.timestamp
    drift = preset.chain.max_future_block_seconds
    yield seq.sequence(
        "timestamp_at_drift_limit",
        "HDR-4: exactly max_future_block_seconds ahead of the node's clock",
        SIMPLE_HEIGHT,
        seq.assemble(SIMPLE_HEIGHT, timestamp=now + drift),
        now=now,
    )
    payee = key("masternode").script_pubkey
    yield seq.sequence(
        "masternode_payee",
        "RWD-3: a masternode payee is due for the last block and is paid its share",
        SIMPLE_HEIGHT,
        seq.assemble(SIMPLE_HEIGHT, payee=payee),
        payees=[None] * SIMPLE_HEIGHT + [payee],
    )


def _header_failures(seq: _Sequences) -> Iterator[CaseSpec]:
    preset, blocks = seq.preset, seq.builder.blocks
    h = SIMPLE_HEIGHT
    base = blocks[h]
    yield seq.sequence(
        "genesis_wrong_parent",
        "HDR-2: genesis must extend the all-zero hash",
        0,
        seq.replace_header(blocks[0], 0, previous_block_hash=b"\x01" * 32),
        "HDR_WRONG_PARENT",
    )
    yield seq.sequence(
        "wrong_parent_hash",
        "HDR-2: the header names the grandparent",
        h,
        seq.replace_header(base, h, previous_block_hash=block_hash(blocks[h - 2].header, preset)),
        "HDR_WRONG_PARENT",
    )
    skipped = coinbase_for(h + 1, 0, seq.builder.miner.script_pubkey, (), None, preset)
    wrong_height = replace(base, header=replace(base.header, height=h + 1), transactions=(skipped,))
    yield seq.sequence(
        "wrong_height",
        "HDR-2: right parent, height one too high (coinbase matches the header)",
        h,
        seq.replace_body(wrong_height, h, wrong_height.transactions),
        "HDR_WRONG_PARENT",
    )
    yield seq.sequence(
        "unsupported_version",
        "HDR-1: version 2",
        h,
        seq.replace_header(base, h, version=2),
        "HDR_UNSUPPORTED_VERSION",
    )
    tall = seq.main.second_purchase_height
    mtp = median_time_past(seq.state(tall).timestamps, preset)
    yield seq.sequence(
        "timestamp_equal_to_median",
        "HDR-3: a timestamp equal to the median time past",
        tall,
        seq.assemble(tall, blocks[tall].transactions[1:], timestamp=mtp),
        "HDR_TIME_TOO_EARLY",
    )
    now = blocks[h - 1].header.timestamp
    yield seq.sequence(
        "timestamp_too_far_ahead",
        "HDR-4: one second beyond max_future_block_seconds",
        h,
        seq.assemble(h, timestamp=now + preset.chain.max_future_block_seconds + 1),
        "HDR_TIME_TOO_FAR_AHEAD",
        now=now,
    )
    interval = preset.chain.retarget_interval
    yield seq.sequence(
        "stale_bits_at_retarget",
        "POW-4: the parent's bits where the retarget requires a harder target",
        interval,
        seq.replace_header(blocks[interval], interval, bits=blocks[interval - 1].header.bits),
        "POW_WRONG_BITS",
    )
    harder = encode_compact(decode_compact(base.header.bits) // 2)
    yield seq.sequence(
        "harder_bits_inside_period",
        "POW-4: bits change inside a retarget period (even to harder)",
        h,
        seq.replace_header(base, h, bits=harder),
        "POW_WRONG_BITS",
    )
    yield seq.sequence(
        "hash_above_target",
        "POW-2: the smallest nonce whose hash exceeds the target",
        h,
        reseal(seq.state(h), base, preset, meet_target=False),
        "POW_HASH_ABOVE_TARGET",
    )
    yield seq.sequence(
        "truncated_block",
        "BLK-0: the last block is one byte short",
        h,
        encode_block(base, preset)[:-1],
        "DECODE_TRUNCATED",
    )


def _body_failures(seq: _Sequences) -> Iterator[CaseSpec]:
    main, preset, blocks = seq.main, seq.preset, seq.builder.blocks
    h = main.payment_height
    base = blocks[h]
    coinbase, payment = base.transactions
    by_txid = replace(
        base,
        header=replace(base.header, merkle_root=merkle_root([txid(tx, preset) for tx in base.transactions])),
    )
    yield seq.sequence(
        "merkle_root_over_txids",
        "BLK-2: the Merkle root of txids instead of wtxids",
        h,
        reseal(seq.state(h), by_txid, preset, merkle=False),
        "BLK_BAD_MERKLE_ROOT",
    )
    v = main.first_vote_height
    voting = blocks[v]
    reversed_votes = replace(
        voting, header=replace(voting.header, votes_root=votes_root(voting.votes[::-1], preset))
    )
    yield seq.sequence(
        "votes_root_reversed",
        "BLK-2: votes_root over the votes in reverse order",
        v,
        reseal(seq.state(v), reversed_votes, preset, votes=False),
        "BLK_BAD_MERKLE_ROOT",
    )
    yield seq.sequence(
        "no_coinbase",
        "BLK-3: the block holds only a payment",
        h,
        seq.replace_body(base, h, [payment]),
        "BLK_BAD_COINBASE_POSITION",
    )
    yield seq.sequence(
        "coinbase_not_first",
        "BLK-3: the coinbase comes second",
        h,
        seq.replace_body(base, h, [payment, coinbase]),
        "BLK_BAD_COINBASE_POSITION",
    )
    second = replace(coinbase, outputs=(TxOutput(1, seq.builder.miner.script_pubkey),))
    yield seq.sequence(
        "second_coinbase",
        "BLK-3: a second coinbase after the payment",
        h,
        seq.replace_body(base, h, [coinbase, payment, second]),
        "BLK_BAD_COINBASE_POSITION",
    )
    s = SIMPLE_HEIGHT
    yield seq.sequence(
        "coinbase_height_mismatch",
        "BLK-3/TXF-4: coinbase lock_time is not the block height",
        s,
        seq.replace_body(blocks[s], s, [replace(blocks[s].transactions[0], lock_time=s + 1)]),
        "BLK_BAD_COINBASE_HEIGHT",
    )
    yield seq.sequence(
        "duplicate_transaction",
        "BLK-2: the same payment twice",
        h,
        seq.replace_body(base, h, [coinbase, payment, payment]),
        "BLK_DUPLICATE_TRANSACTION",
    )
    unsigned = replace(payment, inputs=tuple(replace(i, script_sig=b"") for i in payment.inputs))
    yield seq.sequence(
        "duplicate_txid_other_signature",
        "BLK-2: two transactions differing only in script_sig share a txid",
        h,
        seq.replace_body(base, h, [coinbase, payment, unsigned]),
        "BLK_DUPLICATE_TRANSACTION",
    )
    parent_root = utxo_state_root(seq.state(h).utxos, preset)
    yield seq.sequence(
        "state_root_of_parent",
        "BLK-6: the header repeats the parent's state root",
        h,
        reseal(
            seq.state(h),
            replace(base, header=replace(base.header, state_root=parent_root)),
            preset,
            root=False,
        ),
        "BLK_BAD_STATE_ROOT",
    )
    no_coinbase_root = ledger_state_root(seq.state(h), base.transactions[1:], h, preset)
    assert no_coinbase_root is not None
    yield seq.sequence(
        "state_root_without_coinbase",
        "BLK-6: the state root leaves out the coinbase outputs",
        h,
        reseal(
            seq.state(h),
            replace(base, header=replace(base.header, state_root=no_coinbase_root)),
            preset,
            root=False,
        ),
        "BLK_BAD_STATE_ROOT",
    )
    early = preset.ledger.coinbase_maturity - 1
    state = seq.state(early)
    funding = _coinbase_outpoint(blocks[0], preset)
    too_soon = pay_change(
        state, funding, seq.builder.miner, [TxOutput(10**8, key("alice").script_pubkey)], PAYMENT_FEE, preset
    )
    yield seq.sequence(
        "immature_coinbase_spend",
        "TX-8 inside a block: a coinbase spent one block too early",
        early,
        seq.assemble(early, [too_soon]),
        "TX_IMMATURE_COINBASE_SPEND",
    )
    tampered = replace(
        payment,
        outputs=(replace(payment.outputs[0], value=payment.outputs[0].value - 1), *payment.outputs[1:]),
    )
    yield seq.sequence(
        "payment_signature_broken",
        "TX-12 inside a block: an output changed after signing",
        h,
        seq.assemble(h, [tampered]),
        "SCRIPT_NULLFAIL",
    )
    yield seq.sequence(
        "double_spend_across_blocks",
        "TX-7 inside a block: a coin spent by the previous block",
        h + 1,
        seq.assemble(h + 1, [payment]),
        "TX_MISSING_INPUT",
    )


def _fast_path_edges(seq: _Sequences) -> Iterator[CaseSpec]:
    """BLK-1..3 and TX-1..6 where ``compute_checked_ids`` (issue 14's one pass over a block's
    transactions) must hand over to the readable rules or strip a long script: a payment with two
    inputs (its txid strips both script_sigs), the same coin spent twice (TX-5), outputs each in
    range summing above max_money (TX-4), a script_sig of 128 bytes (a two-byte length prefix) and
    a header committing to the Merkle root of no transactions."""
    main, preset = seq.main, seq.preset
    h = main.payment_height
    state = seq.state(h)
    base = seq.builder.blocks[h]
    miner = seq.builder.miner
    maturity = preset.ledger.coinbase_maturity
    coins = sorted(
        outpoint
        for outpoint, entry in state.utxos.items()
        if entry.output.script_pubkey == miner.script_pubkey
        and (not entry.is_coinbase or h - entry.height >= maturity)
    )[:2]
    first, second = coins
    both = sum(state.utxos[c].output.value for c in coins)
    yield seq.sequence(
        "payment_with_two_inputs",
        "TXF-2/UTXO-1: a payment spending two coins (the txid strips both script_sigs): valid",
        h,
        seq.assemble(h, [spend(state, coins, [miner, miner], [TxOutput(both, miner.script_pubkey)], preset)]),
    )
    value = state.utxos[first].output.value
    twice = spend(state, [first, first], [miner, miner], [TxOutput(value, miner.script_pubkey)], preset)
    yield seq.sequence(
        "same_coin_spent_twice",
        "TX-5: a payment whose two inputs are the same coin, in a block",
        h,
        seq.replace_body(base, h, [base.transactions[0], twice], root=False),
        "TX_DUPLICATE_INPUT",
    )
    max_money = preset.ledger.max_money
    above = [TxOutput(max_money, miner.script_pubkey), TxOutput(1, miner.script_pubkey)]
    yield seq.sequence(
        "outputs_above_max_money",
        "TX-4: two outputs, each in range, summing to max_money + 1, in a block",
        h,
        seq.replace_body(base, h, [base.transactions[0], spend(state, [first], [miner], above, preset)]),
        "TX_OUTPUT_VALUE_OUT_OF_RANGE",
    )
    paid = spend(state, [second], [miner], [TxOutput(value, miner.script_pubkey)], preset)
    long_script = replace(paid, inputs=(replace(paid.inputs[0], script_sig=b"\x51" * 128),))
    block = seq.assemble(h, [long_script])
    yield seq.sequence(
        "script_sig_of_128_bytes",
        "TXF-2/SCRIPT-*: a spend whose script_sig holds 128 bytes (a two-byte length prefix) passes "
        "the block's shape and fails its script",
        h,
        block,
        _error_of(state, block, preset),
    )
    yield seq.sequence(
        "merkle_root_of_no_transactions",
        "BLK-2: the header commits to the Merkle root of no transactions (the block holds two)",
        h,
        reseal(
            state, replace(base, header=replace(base.header, merkle_root=empty_root())), preset, merkle=False
        ),
        "BLK_BAD_MERKLE_ROOT",
    )


def _error_of(state: ChainState, block: Block, preset: Preset) -> str | None:
    """The code ``apply_block`` raises on ``block`` (the clock at its timestamp), None if it passes."""
    from spec.chain.state import BlockContext, apply_block

    try:
        apply_block(state, block, BlockContext(block.header.timestamp), preset)
    except SpecError as exc:
        return exc.code
    return None


def _coinbase_failures(seq: _Sequences) -> Iterator[CaseSpec]:
    main, preset, blocks = seq.main, seq.preset, seq.builder.blocks
    h = main.payment_height
    base = blocks[h]
    coinbase = base.transactions[0]

    def with_outputs(block: Block, height: int, outputs: Sequence[TxOutput]) -> Block:
        paid = replace(block.transactions[0], outputs=tuple(outputs))
        return seq.replace_body(block, height, [paid, *block.transactions[1:]])

    first = coinbase.outputs[0]
    yield seq.sequence(
        "miner_takes_one_atom_more",
        "RWD-3: the miner output is one atom above its share (fees included)",
        h,
        with_outputs(base, h, [replace(first, value=first.value + 1)]),
        "BLK_BAD_COINBASE_PAYOUT",
    )
    yield seq.sequence(
        "miner_forgets_fees",
        "RWD-2: the reward must include the block's fees",
        h,
        with_outputs(base, h, [replace(first, value=first.value - PAYMENT_FEE * 90 // 100)]),
        "BLK_BAD_COINBASE_PAYOUT",
    )
    v = main.first_vote_height
    voting = blocks[v]
    outputs = list(voting.transactions[0].outputs)
    miner_script = seq.builder.miner.script_pubkey
    yield seq.sequence(
        "voter_reward_to_miner",
        "RWD-3: a voter's share paid to the miner's script",
        v,
        with_outputs(voting, v, [outputs[0], replace(outputs[1], script_pubkey=miner_script), *outputs[2:]]),
        "BLK_BAD_COINBASE_PAYOUT",
    )
    yield seq.sequence(
        "voter_reward_missing",
        "RWD-3: the last voter's share kept by the miner",
        v,
        with_outputs(
            voting, v, [replace(outputs[0], value=outputs[0].value + outputs[-1].value), *outputs[1:-1]]
        ),
        "BLK_BAD_COINBASE_PAYOUT",
    )
    s = SIMPLE_HEIGHT
    simple = blocks[s]
    payee = key("masternode").script_pubkey
    yield seq.sequence(
        "masternode_payee_unpaid",
        "RWD-3: a masternode payee is due but the coinbase does not pay it",
        s,
        simple,
        "BLK_BAD_COINBASE_PAYOUT",
        payees=[None] * s + [payee],
    )
    reward = simple.transactions[0].outputs[0].value
    treasury = block_subsidy(s, preset) * preset.rewards.treasury_share_bps // 10_000
    yield seq.sequence(
        "treasury_paid_as_output",
        "RWD-3: the treasury share is a balance, never a coinbase output",
        s,
        with_outputs(
            simple, s, [TxOutput(reward, miner_script), TxOutput(treasury, key("treasury").script_pubkey)]
        ),
        "BLK_BAD_COINBASE_PAYOUT",
    )
    ticket_out = ticket_script(seq.builder.miner.public_key, seq.builder.miner.key_hash)
    yield seq.sequence(
        "coinbase_buys_ticket",
        "POS-1: a coinbase output cannot be a ticket",
        s,
        with_outputs(simple, s, [TxOutput(reward, ticket_out)]),
        "POS_WRONG_TICKET_PRICE",
    )


def _vote_failures(seq: _Sequences) -> Iterator[CaseSpec]:
    main, preset, blocks = seq.main, seq.preset, seq.builder.blocks
    v = main.first_vote_height
    votes = blocks[v].votes
    parent = seq.state(v).tip_hash
    outpoints = [OutPoint(x.ticket_txid, x.ticket_index) for x in votes]

    def case(name: str, description: str, chosen: Sequence[TicketVote], height: int = v) -> CaseSpec:
        return seq.sequence(
            name, f"POS-4: {description}", height, seq.with_votes(height, chosen), "POS_BAD_VOTES"
        )

    yield case(
        "too_few_votes",
        f"{preset.tickets.min_votes - 1} votes, below min_votes",
        votes[: preset.tickets.min_votes - 1],
    )
    yield case("no_votes", "live tickets are selected but the block carries no vote", ())
    yield seq.sequence(
        "exactly_min_votes",
        f"POS-4: exactly min_votes ({preset.tickets.min_votes}) votes is enough (the coinbase pays them)",
        v,
        seq.with_votes(v, votes[: preset.tickets.min_votes]),
    )
    other = seq.builder.voters[seq.ticket(outpoints[1]).voting_key]
    yield case(
        "vote_signed_by_other_key",
        "a vote signed by another ticket's voting key",
        [seq.vote(outpoints[0], parent, signer=other), *votes[1:]],
    )
    yield case(
        "vote_signature_over_parent_hash",
        "a vote signing the bare parent hash (upstream's message)",
        [seq.vote(outpoints[0], parent, message=parent), *votes[1:]],
    )
    selected = select_voters(seq.state(v).tickets, parent, v, preset)
    unselected = next(t for t in live_tickets(seq.state(v).tickets, v, preset) if t not in selected)
    yield case(
        "vote_from_unselected_ticket",
        "a live ticket that was not selected",
        [seq.vote(unselected.outpoint, parent), *votes[1:]],
    )
    yield case("votes_out_of_order", "two votes swapped", [votes[1], votes[0], *votes[2:]])
    yield case(
        "duplicate_vote", "the same ticket votes twice", [votes[0], *votes[: preset.tickets.min_votes]]
    )
    yield case(
        "vote_rejects_parent", "vote 1 (reject) is not a valid vote", [replace(votes[0], vote=1), *votes[1:]]
    )
    grandparent = seq.state(v - 1).tip_hash
    yield case(
        "vote_for_other_block",
        "a vote on the grandparent, correctly signed",
        [seq.vote(outpoints[0], grandparent), *votes[1:]],
    )
    early = v - 1
    yield case(
        "votes_while_bootstrapping",
        "a vote while fewer than voters_per_block tickets are live",
        [seq.vote(main.tickets[0], seq.state(early).tip_hash)],
        early,
    )
    later = v + 1
    yield case(
        "missed_ticket_votes_later",
        "a missed ticket has left the pool and cannot vote",
        [seq.vote(main.missed, seq.state(later).tip_hash), *blocks[later].votes[1:]],
        later,
    )


def _ticket_failures(seq: _Sequences) -> Iterator[CaseSpec]:
    main, preset, blocks = seq.main, seq.preset, seq.builder.blocks
    miner = seq.builder.miner
    p = main.purchase_height
    state = seq.state(p)
    price = price_at(state, p, preset)
    funding = _coinbase_outpoint(blocks[0], preset)
    owner = key("voter-extra")
    short = pay_change(
        state, funding, miner, [TxOutput(price - 1, voting_ticket_script(owner))], PAYMENT_FEE, preset
    )
    yield seq.sequence(
        "ticket_one_atom_short",
        "POS-1: a ticket output one atom below the price",
        p,
        seq.assemble(p, [short]),
        "POS_WRONG_TICKET_PRICE",
    )
    template = voting_ticket_script(owner)
    near = template[:-1] + bytes([template[-1] ^ 0x01])
    look_alike = pay_change(state, funding, miner, [TxOutput(price - 1, near)], PAYMENT_FEE, preset)
    yield seq.sequence(
        "ticket_look_alike",
        "POS-1: an output of the ticket template's length whose last opcode differs is no ticket "
        "(a payment, whatever its value)",
        p,
        seq.assemble(p, [look_alike]),
    )
    s = main.second_purchase_height
    stale_state = seq.state(s)
    stale = pay_change(
        stale_state,
        _coinbase_outpoint(blocks[2], preset),
        miner,
        [TxOutput(preset.tickets.initial_ticket_price, voting_ticket_script(owner))],
        PAYMENT_FEE,
        preset,
    )
    yield seq.sequence(
        "ticket_at_stale_price",
        "POS-1/5: a ticket at the price before the last adjustment",
        s,
        seq.assemble(s, [stale]),
        "POS_WRONG_TICKET_PRICE",
    )
    too_many = pay_change(
        state,
        funding,
        miner,
        [TxOutput(price, voting_ticket_script(owner))] * (preset.tickets.max_tickets_per_block + 1),
        PAYMENT_FEE,
        preset,
    )
    yield seq.sequence(
        "too_many_tickets",
        "POS-1: one purchase more than max_tickets_per_block",
        p,
        seq.assemble(p, [too_many]),
        "POS_TOO_MANY_TICKETS",
    )
    bought = blocks[p].transactions[1]
    ticket = main.tickets[0]

    def unlock(outpoint: OutPoint) -> Transaction:
        holder = seq.builder.voters[seq.ticket(outpoint).voting_key]
        value = bought.outputs[outpoint.index].value - PAYMENT_FEE
        utxos = {outpoint: bought.outputs[outpoint.index]}
        return _p2pkh_spend(utxos, [outpoint], [holder], [TxOutput(value, holder.script_pubkey)], preset)

    yield seq.sequence(
        "spend_ticket_bought_in_same_block",
        "POS-2: a ticket is locked from the block that buys it",
        p,
        seq.assemble(p, [bought, unlock(ticket)]),
        "POS_TICKET_LOCKED",
    )
    yield seq.sequence(
        "spend_immature_ticket",
        "POS-2: a ticket spent the block after its purchase",
        p + 1,
        seq.assemble(p + 1, [unlock(ticket)]),
        "POS_TICKET_LOCKED",
    )
    v = main.first_vote_height
    voter = OutPoint(blocks[v].votes[0].ticket_txid, blocks[v].votes[0].ticket_index)
    yield seq.sequence(
        "spend_ticket_while_voting",
        "POS-2: a ticket stays locked in the block that carries its vote",
        v,
        seq.assemble(v, [unlock(voter)]),
        "POS_TICKET_LOCKED",
    )
    later = v + 1
    waiting = next(
        t.outpoint
        for t in live_tickets(seq.state(later).tickets, later, preset)
        if t not in select_voters(seq.state(later).tickets, seq.state(later).tip_hash, later, preset)
    )
    yield seq.sequence(
        "spend_live_unselected_ticket",
        "POS-2: a live ticket that has not been selected yet",
        later,
        seq.assemble(later, [unlock(waiting)]),
        "POS_TICKET_LOCKED",
    )
    last = main.expiry_spend_height - 1
    leftover = next(o for o in main.tickets if o in seq.state(last).tickets)
    yield seq.sequence(
        "spend_ticket_one_block_before_expiry",
        "POS-2: an unselected ticket is locked until it expires",
        last,
        seq.assemble(last, [unlock(leftover)]),
        "POS_TICKET_LOCKED",
    )


# --------------------------------------------------------------------------------------------
# Masternode payees and superblocks wired into the chain (MN-5, MN-7, GOV-5..7, RWD-3)
# --------------------------------------------------------------------------------------------


def _without_output(block: Block, position: int) -> Block:
    """``block`` whose coinbase drops output ``position`` and gives its value to the miner."""
    coinbase = block.transactions[0]
    outputs = list(coinbase.outputs)
    dropped = outputs.pop(position)
    outputs[0] = replace(outputs[0], value=outputs[0].value + dropped.value)
    return replace(block, transactions=(replace(coinbase, outputs=tuple(outputs)), *block.transactions[1:]))


def _masternode_sequence_cases(preset: Preset) -> Iterator[CaseSpec]:
    chain = masternodechain.masternode_chain(preset)
    builder = chain.builder

    def blocks_until(height: int, last: Block | None = None) -> dict[str, JSON]:
        blocks = [*builder.blocks[:height], builder.blocks[height] if last is None else last]
        return {"blocks": [encode_block(b, preset).hex() for b in blocks]}

    paid = chain.first_paid_height
    yield _case(
        "apply_blocks",
        "masternode_registered_payee",
        "MN-1..5, MN-7, RWD-3: two masternodes register (collateral, owner signature, BLS proof of "
        "possession); the next block pays the first in the queue its share; a proposal is submitted",
        blocks_until(paid),
    )
    yield _case(
        "apply_blocks",
        "masternode_registered_payee_omitted",
        "RWD-3 / MN-7: a masternode is registered and due, but the coinbase gives its share to the miner",
        blocks_until(paid, reseal(builder.states[paid], _without_output(builder.blocks[paid], 1), preset)),
        "BLK_BAD_COINBASE_PAYOUT",
    )
    rotation = paid + len(masternodechain.MASTERNODES)
    yield _case(
        "apply_blocks",
        "masternode_payee_rotation",
        "MN-7: the masternodes are paid in turn; both vote YES on the proposal",
        blocks_until(rotation),
    )
    superblock = chain.superblock_height
    yield _case(
        "apply_blocks",
        "superblock_treasury_payout",
        "GOV-5/6, RWD-3: at the superblock the proposal passes and the coinbase pays the masternode "
        "payee, then the grantee; the treasury is debited by the payout",
        blocks_until(superblock),
    )
    sb_block = builder.blocks[superblock]
    unpaid = _without_output(sb_block, len(sb_block.transactions[0].outputs) - 1)
    yield _case(
        "apply_blocks",
        "superblock_payout_omitted",
        "RWD-3 / GOV-6: the superblock's coinbase keeps the passed proposal's payout for the miner",
        blocks_until(superblock, reseal(builder.states[superblock], unpaid, preset)),
        "BLK_BAD_COINBASE_PAYOUT",
    )
    yield _case(
        "apply_blocks",
        "superblock_then_next_block",
        "GOV-6: the executed proposal is not paid again in the block after the superblock",
        blocks_until(superblock + 1),
    )


def _parent_quorum_cases(preset: Preset) -> Iterator[CaseSpec]:
    """ST-2 (FIN-6 under ``state_trie``) on :func:`conformance.quorumtriechain.state_trie_quorum_chain`
    (the fork ACTIVE from 50, three masternodes): the quorums based at 60 are recorded in the state
    after block 61 (from its ``prev_hash``), not after 60; a block 61 whose root omits them fails."""
    from conformance import upgradechain
    from conformance.quorumtriechain import state_trie_quorum_chain
    from spec.chain.commitment import compute_state_root

    if not upgradechain.supported(preset):
        return
    base = 2 * preset.masternodes.finality_quorum_interval
    try:
        chain = state_trie_quorum_chain(preset, base + 2)
    except ValueError:
        return
    builder = chain.builder

    def case(
        name: str,
        meaning: str,
        blocks: Sequence[Block],
        error: str | None = None,
        handler: str = "apply_blocks",
        rules: str = "ST-2",
    ) -> CaseSpec:
        data: dict[str, JSON] = {"blocks": [encode_block(b, preset).hex() for b in blocks]}
        return CaseSpec(handler, name, f"{rules}: {meaning}", data, expect_error=error, fork="state_trie")

    yield case(
        "parent_quorum_before_base",
        f"the chain under state_trie up to block {base - 1}, the block before a finality and PoSe base",
        builder.blocks[:base],
    )
    yield case(
        "parent_quorum_at_base",
        f"block {base} (a base, three masternodes) is buildable: the state after it has no record "
        f"of base {base}",
        builder.blocks[: base + 1],
    )
    yield case(
        "parent_quorum_after_base",
        f"block {base + 1} records the finality and PoSe quorums based at {base}, selected from its "
        f"prev_hash and the masternode list after {base}, before its own transactions",
        builder.blocks[: base + 2],
    )
    after = builder.states[base + 2]
    without = replace(after, quorums=builder.states[base + 1].quorums)
    block = builder.blocks[base + 1]
    forged = replace(
        block, header=mine(replace(block.header, state_root=compute_state_root(without, preset)), preset)
    )
    yield case(
        "parent_quorum_omitted",
        f"block {base + 1} whose state root omits the quorums based at {base}",
        [*builder.blocks[: base + 1], forged],
        "BLK_BAD_STATE_ROOT",
    )

    def pending(name: str, meaning: str, blocks: Sequence[Block], error: str | None = None) -> CaseSpec:
        return case(name, meaning, blocks, error, "quorums_with_pending", "FIN-6 / ST-2")

    yield pending(
        "tip_before_base",
        f"the tip {base - 1} is no base: the quorums the next block sees are the tip's records",
        builder.blocks[:base],
    )
    yield pending(
        "tip_at_base",
        f"the tip {base} is a finality and PoSe base under state_trie: the next block sees the tip's "
        f"records plus the quorums based at {base}, selected from the tip's hash and masternode list",
        builder.blocks[: base + 1],
    )
    yield pending(
        "bad_state_root",
        f"block {base + 1} whose state root omits the quorums based at {base}",
        [*builder.blocks[: base + 1], forged],
        "BLK_BAD_STATE_ROOT",
    )


def _quorum_sequence_cases(preset: Preset) -> Iterator[CaseSpec]:
    """FIN-5/6 in the state transition (step 6): :func:`conformance.masternodechain.quorum_chain`."""
    chain = masternodechain.quorum_chain(preset)
    builder = chain.builder
    height = chain.commitment_height
    blocks = [encode_block(b, preset).hex() for b in builder.blocks[:height]]
    signers = ", ".join(str(j) for j in chain.commitment.signers)
    yield _case(
        "apply_blocks",
        "quorum_commitment_on_chain",
        f"FIN-5/6: a third masternode registers; block {chain.base_height} records the finality quorum "
        f"of the three; its members run the DKG and members {signers} sign the group key; "
        f"block {height}, the first of the FINALIZATION phase, carries the commitment",
        {"blocks": [*blocks, encode_block(builder.blocks[height], preset).hex()]},
    )
    yield _case(
        "quorums_with_pending",
        "tip_at_base_before_state_trie",
        f"FIN-6: before state_trie the block at base {chain.base_height} recorded its own quorum: the "
        "quorums the next block sees are the tip's records",
        {"blocks": [encode_block(b, preset).hex() for b in builder.blocks[: chain.base_height + 1]]},
    )
    finished = chain.finished
    other_key = bls.sk_to_pk(bls.key_gen(seeded_bytes("chain/quorum/other-group-key", 32)))
    forged = build_commitment(
        chain.base_height,
        finished.quorum.session.session_id,
        finished.group_public_key,
        finished.key_shares_root,
        chain.sign(chain.commitment.signers, other_key),
    )
    block = builder.blocks[height]
    body = (block.transactions[0], masternodechain.carrier_tx(chain, forged, preset))
    yield _case(
        "apply_blocks",
        "quorum_commitment_forged",
        "FIN-5: the commitment names the DKG's group key, but the members' signatures are over another key",
        {
            "blocks": [
                *blocks,
                encode_block(
                    reseal(builder.states[height], replace(block, transactions=body), preset), preset
                ).hex(),
            ]
        },
        "MN_BAD_COMMITMENT_SIGNATURE",
    )


def _penalty_sequence_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MN-6, FIN-7, SLASH-2..4 and TX-10 in the state transition:
    :func:`conformance.masternodechain.penalty_chain`."""
    chain = masternodechain.penalty_chain(preset)
    builder = chain.builder

    def through(height: int, last: Block | None = None) -> dict[str, JSON]:
        blocks = [*builder.blocks[:height], builder.blocks[height] if last is None else last]
        return {"blocks": [encode_block(b, preset).hex() for b in blocks]}

    h = chain.pose_commitment_height
    yield _case(
        "apply_blocks",
        "pose_quorum_commitment_and_time_lock",
        f"FIN-7: the PoSe quorum based at {chain.pose_base_height} runs its DKG and commits its key "
        f"(MN-0 kind 5) in block {h}; TX-10: the same block has a payment locked to the UNIX time "
        "lock_time_threshold (below the median time past) with a non-final input",
        through(h),
    )
    state = builder.states[h]
    mtp = median_time_past(state.timestamps, preset)
    block = builder.blocks[h]
    coin = chain.time_locked_tx.inputs[0].previous_output
    spender = ChainBuilder(preset, miner=builder.miner, states=[state])
    late = masternodechain.time_locked_spend(spender, coin, mtp, preset)
    body = tuple(late if tx == chain.time_locked_tx else tx for tx in block.transactions)
    yield _case(
        "apply_blocks",
        "time_lock_at_median_time_past",
        "TX-10: the payment's lock_time is the median time past itself (a UNIX time), its input is "
        "not final: the transaction is not final yet",
        through(h, reseal(state, replace(block, transactions=body), preset)),
        "TX_NOT_FINAL",
    )
    yield _case(
        "apply_blocks",
        "pose_penalty_on_chain",
        f"MN-6: block {chain.penalty_height}, the first whose PoSe quorum in charge is the one based at "
        f"{chain.pose_base_height}, carries that quorum's penalty (signed with its committed key): "
        "the masternode's score rises and its last penalty quorum is recorded",
        through(chain.penalty_height),
    )
    yield _case(
        "apply_blocks",
        "slashing_evidence_burns_collateral",
        f"SLASH-2..4: block {chain.evidence_height} carries DKG equivocation evidence (two contributions "
        f"of dealer {chain.equivocator} of the finality quorum): its masternode is SLASHED and its "
        "collateral leaves the UTXO set",
        through(chain.evidence_height),
    )
    evidence = builder.blocks[chain.evidence_height]
    carrier = evidence.transactions[1]
    twice = replace(carrier, outputs=(carrier.outputs[0], *carrier.outputs))
    resigned = masternodechain.resign_spend(
        builder.states[chain.evidence_height], twice, builder.miner, preset
    )
    yield _case(
        "apply_blocks",
        "slashing_evidence_twice",
        "SLASH-5: the same evidence twice in one block: the second finds the masternode SLASHED",
        through(
            chain.evidence_height,
            reseal(
                builder.states[chain.evidence_height],
                replace(evidence, transactions=(evidence.transactions[0], resigned)),
                preset,
            ),
        ),
        "MN_ALREADY_SLASHED",
    )


def _resumed_sequence_cases(preset: Preset) -> Iterator[CaseSpec]:
    """STATE-5: ``apply_blocks`` with ``resume_from_items``: the state rebuilt from its committed
    items (as after a fast sync) validates the later blocks as the replayed one does."""
    if mineable(preset):
        main = main_chain(preset)
        blocks = main.builder.blocks
        k = main.first_vote_height - 1
        yield _case(
            "apply_blocks",
            "main_chain_resumed_from_items",
            f"STATE-5: the main chain, with the state after block {k} (live tickets, no vote yet) "
            "rebuilt from its committed items",
            {"blocks": [encode_block(b, preset).hex() for b in blocks], "resume_from_items": k},
        )
    from conformance import upgradechain

    trie = next(f.deployment for f in preset.forks if f.name == upgradechain.STATE_TRIE_AGENDA)
    if mineable(preset) and upgradechain.supported(preset) and trie is not None:
        activation = 5 * trie.window_blocks
        blocks = upgradechain.state_trie_chain(preset, activation + 2).blocks
        yield CaseSpec(
            "apply_blocks",
            "state_trie_chain_resumed_from_items",
            f"STATE-5: the chain that votes state_trie in, with the state after block {activation - 1} "
            f"(state_trie LOCKED_IN: its deployment records come from the items) rebuilt from its "
            f"committed items; block {activation}, the first under state_trie, commits to the full state",
            {"blocks": [encode_block(b, preset).hex() for b in blocks], "resume_from_items": activation - 1},
            fork=upgradechain.STATE_TRIE_AGENDA,
        )
    if masternodechain.penalty_supported(preset):
        chain = masternodechain.penalty_chain(preset)
        blocks = chain.builder.blocks
        k = chain.penalty_height - 1
        yield _case(
            "apply_blocks",
            "penalty_chain_resumed_from_items",
            f"STATE-5: the masternode, quorum and penalty chain, with the state after block {k} "
            "(masternodes, an executed proposal, committed finality and PoSe quorums) rebuilt from "
            "its committed items: the PoSe penalty and the slashing evidence that follow verify "
            "against the rebuilt quorum records",
            {"blocks": [encode_block(b, preset).hex() for b in blocks], "resume_from_items": k},
        )


# --------------------------------------------------------------------------------------------
# FORK-2/3: the finalized block from certificates; RWD-3: the coinbase a producer writes
# --------------------------------------------------------------------------------------------


def _finalized_block_cases(preset: Preset) -> Iterator[CaseSpec]:
    """FORK-2/3 (FIN-4): the masternode flow's ``finalized_block`` cases, served by the chain flow
    too (fork choice is the chain's rule): certificates of the quorums based at 0 and at I."""
    from conformance.generators import masternode as mn

    interval = preset.masternodes.finality_quorum_interval
    first, second = mn.finality_quorum(0, preset), mn.finality_quorum(interval, preset)
    keys: list[JSON] = [
        {"base_height": 0, "group_public_key": first.group_public_key.hex()},
        {"base_height": interval, "group_public_key": second.group_public_key.hex()},
    ]
    yield from mn._finalized_block_cases(preset, keys)
    yield from _finalized_block_edge_cases(preset, keys)


def _finalized_block_edge_cases(preset: Preset, keys: list[JSON]) -> Iterator[CaseSpec]:
    """FORK-2/3 on the index of the shared ``finalized_block`` cases: a previous finalized block the
    index does not hold, and a certificate whose height is not its block's height in the index."""
    from conformance.generators import masternode as mn
    from spec.chain.forkchoice import encode_finality_certificate
    from spec.masternode.finality import dkg_length

    shared = next(iter(mn._finalized_block_cases(preset, keys)))
    index = shared.input["index"]
    assert isinstance(index, list)
    interval = preset.masternodes.finality_quorum_interval
    late = dkg_length(preset) + interval + 1
    main = {h: seeded_bytes(f"masternode/finality-chain/main/{h}", 32) for h in (late - 1, late)}
    unknown = seeded_bytes("chain/finalized/unknown-previous", 32)

    def cert(height: int, block: bytes) -> str:
        return encode_finality_certificate(mn.finality_certificate(interval, height, preset, block)).hex()

    def case(name: str, description: str, certificates: list[str], previous: bytes | None) -> CaseSpec:
        data: dict[str, JSON] = {
            "index": index,
            "certificates": certificates,
            "quorum_keys": keys,
            "previous": None if previous is None else previous.hex(),
        }
        return _case("finalized_block", name, f"FORK-2/3: {description}", data)

    yield case(
        "previous_not_in_index",
        "the previously finalized block is missing from the index: no certified block descends "
        "from it, so it stays final",
        [cert(late, main[late])],
        unknown,
    )
    early = dkg_length(preset) + 2
    fork_block = seeded_bytes(f"masternode/finality-chain/fork/{late}", 32)
    yield case(
        "skipped_certificates_then_one_that_counts",
        "after the block finalized at D + 2, certificates that do not count (a block missing from "
        "the index, a lower height, quorum 0 signing quorum I's height, a fork block), then quorum I's "
        "certificate of D + I + 1 on the main chain: that one is final",
        [
            cert(late, seeded_bytes("chain/finalized/unknown-block", 32)),
            encode_finality_certificate(
                mn.finality_certificate(
                    0, early - 1, preset, seeded_bytes(f"masternode/finality-chain/main/{early - 1}", 32)
                )
            ).hex(),
            encode_finality_certificate(mn.finality_certificate(0, late, preset, main[late])).hex(),
            cert(late, fork_block),
            cert(late, main[late]),
        ],
        seeded_bytes(f"masternode/finality-chain/main/{early}", 32),
    )
    above = seeded_bytes(f"masternode/finality-chain/main/{late + 1}", 32)
    yield case(
        "ties_skipped_then_one_that_counts",
        "after the block finalized at D + 2, a certificate of that same block (never a move sideways), "
        "quorum I's certificate of D + I + 1, the same certificate again (a tie at the best height "
        "keeps the smaller hash), then quorum I's certificate of D + I + 2: the last one is final",
        [
            encode_finality_certificate(
                mn.finality_certificate(
                    0, early, preset, seeded_bytes(f"masternode/finality-chain/main/{early}", 32)
                )
            ).hex(),
            cert(late, main[late]),
            cert(late, main[late]),
            cert(late + 1, above),
        ],
        seeded_bytes(f"masternode/finality-chain/main/{early}", 32),
    )
    yield case(
        "certificate_height_not_block_height",
        "a certificate correctly signed for height D + I + 1 over the block the index holds at "
        "D + I does not count",
        [cert(late, main[late - 1])],
        None,
    )


def _coinbase_cases(preset: Preset) -> Iterator[CaseSpec]:
    """RWD-3: the coinbase for a producer: miner only, with voters, a masternode payee and payments."""
    miner = key("chain/coinbase/miner").script_pubkey
    payee = key("chain/coinbase/masternode").script_pubkey
    tickets: list[JSON] = [
        {
            "txid": seeded_bytes(f"chain/coinbase/ticket/{n}", 32).hex(),
            "index": n,
            "purchase_height": 1,
            "voting_key": seeded_bytes(f"chain/coinbase/voting/{n}", 32).hex(),
            "owner_key_hash": seeded_bytes(f"chain/coinbase/owner/{n}", 32).hex(),
        }
        for n in range(3)
    ]
    payments: list[JSON] = [
        {
            "proposal_id": seeded_bytes(f"chain/coinbase/proposal/{n}", 32).hex(),
            "script": key(f"chain/coinbase/grantee/{n}").script_pubkey.hex(),
            "amount": 1000 * (n + 1),
        }
        for n in range(2)
    ]
    cases: list[tuple[str, str, int, int, list[JSON], bytes | None, list[JSON]]] = [
        ("miner_only", "no voter, no masternode due, no payment", 1, 0, [], None, []),
        ("with_fees", "fees go to the split", 5, 12345, [], None, []),
        ("voters", "three voters after the miner", 7, 10, tickets, None, []),
        ("masternode_payee", "the masternode payee after the voters", 9, 0, tickets[:2], payee, []),
        ("superblock_payments", "payments last, in the order given", 20, 77, tickets, payee, payments),
    ]
    for name, description, height, fees, voters, masternode, paid in cases:
        data: dict[str, JSON] = {
            "height": height,
            "fees": fees,
            "miner_script": miner.hex(),
            "voters": voters,
            "masternode_payee": None if masternode is None else masternode.hex(),
            "payments": paid,
        }
        yield CaseSpec("coinbase_for", name, f"RWD-3: {description}", data)
