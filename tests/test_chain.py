"""Chain consensus properties (docs/chain.md): proof of work, rewards, tickets, fork choice, finality.

The chain-level properties run on *random chains*: Hypothesis picks, block by block, an action
(empty block, payment, ticket purchase) and a timestamp jitter; the test builds each block with
:class:`conformance.chainbuilder.ChainBuilder` on devnet and applies it with full validation, so
every generated block must be valid, and then checks the invariants over the whole chain.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.chainbuilder import ChainBuilder, voting_ticket_script
from conformance.generators.chain import generate, main_chain, pay_change, price_at, reseal, spend
from conformance.handlers.chain import HANDLERS
from conformance.model import BadInput
from conformance.outcome import run_handler
from conformance.seeded import seeded_bytes
from conformance.wallet import Key, key
from fuzz.chain_harnesses import CHAIN_HARNESSES, chain_seeds
from spec.chain.block import Block, encode_block
from spec.chain.forkchoice import (
    BlockIndexEntry,
    check_reorganisation,
    choose_tip,
    is_ancestor,
)
from spec.chain.pow import (
    MAX_TARGET,
    clamp_timespan,
    decode_compact,
    encode_compact,
    next_bits,
    pow_limit,
    retarget,
    work_of_target,
)
from spec.chain.rewards import block_subsidy, split_reward
from spec.chain.state import BlockContext, ChainState, apply_block, initial_state, median_time_past
from spec.chain.tickets import is_expired, live_tickets, select_voters, selection_score
from spec.errors import (
    BlockTooLarge,
    FinalityViolation,
    InvalidCompactTarget,
    TicketLocked,
    TimestampTooEarly,
)
from spec.ledger.transaction import OutPoint, Transaction, TxOutput, txid
from spec.ledger.utxo import UtxoEntry
from spec.presets import DEVNET, MAINNET, Preset
from spec.script import is_unspendable, null_data_script
from tests.hypothesis_profiles import examples

PRESET = DEVNET

# --------------------------------------------------------------------------------------------
# POW-1 compact targets
# --------------------------------------------------------------------------------------------

targets = st.integers(min_value=1, max_value=MAX_TARGET)


@given(targets)
def test_compact_round_trip_rounds_down_to_24_bits(target: int) -> None:
    bits = encode_compact(target)
    decoded = decode_compact(bits)
    assert encode_compact(decoded) == bits
    assert decoded <= target
    # Only bits below the 3-byte mantissa window are dropped.
    drop = max(0, 8 * ((target.bit_length() + 7) // 8 + 1 - 3))
    assert target - decoded < (1 << drop)
    assert decoded >> drop == target >> drop


@given(st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_compact_decode_is_canonical_or_rejects(bits: int) -> None:
    try:
        target = decode_compact(bits)
    except InvalidCompactTarget:
        return
    assert 1 <= target <= MAX_TARGET
    assert encode_compact(target) == bits


def test_compact_rejections() -> None:
    for bits in (0x04923456, 0, 0x01003456, 0x04001234, 0x2201FFFF, -1, 1 << 32):
        with pytest.raises(InvalidCompactTarget):
            decode_compact(bits)
    assert decode_compact(0x1D00FFFF) == 0xFFFF << 208
    assert encode_compact(0x80) == 0x02008000


# --------------------------------------------------------------------------------------------
# POW-3/4 work and retargeting
# --------------------------------------------------------------------------------------------


@given(targets, targets)
def test_work_decreases_as_target_grows(first: int, second: int) -> None:
    low, high = sorted((first, second))
    assert work_of_target(low) >= work_of_target(high) >= 1


@given(
    old=st.integers(min_value=1, max_value=MAX_TARGET),
    actual=st.integers(min_value=-(10**9), max_value=10**9),
    expected=st.integers(min_value=1, max_value=10**7),
    factor=st.integers(min_value=1, max_value=16),
)
def test_retarget_within_clamp_then_capped(old: int, actual: int, expected: int, factor: int) -> None:
    scaled = clamp_timespan(actual, expected, factor)
    assert expected <= scaled <= expected * factor * factor
    uncapped = retarget(old, actual, expected, factor, MAX_TARGET * factor)
    # Within [old / F, old * F] (rounded down), whether or not F divides the expected timespan.
    assert max(1, old // factor) <= uncapped <= old * factor
    limit = MAX_TARGET // 3
    capped = retarget(old, actual, expected, factor, limit)
    assert 1 <= capped <= limit
    assert capped == max(1, min(limit, uncapped))


@given(
    old=st.integers(min_value=1, max_value=MAX_TARGET),
    spans=st.tuples(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6)),
    expected=st.integers(min_value=1, max_value=10**5),
)
def test_retarget_monotonic_in_timespan(old: int, spans: tuple[int, int], expected: int) -> None:
    short, long = sorted(spans)
    limit = pow_limit(PRESET)
    assert retarget(old, short, expected, 4, limit) <= retarget(old, long, expected, 4, limit)


@pytest.mark.parametrize("preset", [DEVNET, MAINNET], ids=lambda p: p.name)
def test_next_bits_clamps_a_period(preset: Preset) -> None:
    interval = preset.chain.retarget_interval
    start = preset.chain.genesis_timestamp
    parent = encode_compact(pow_limit(preset) // 64)
    old = decode_compact(parent)
    instant = next_bits(interval, parent, [start] * interval, preset)
    assert decode_compact(instant) == decode_compact(encode_compact(old // 4))
    glacial = next_bits(interval, parent, [start + i * 10**6 for i in range(interval)], preset)
    assert decode_compact(glacial) == decode_compact(encode_compact(old * 4))
    assert next_bits(interval + 1, parent, [], preset) == parent
    assert next_bits(0, parent, [], preset) == preset.chain.pow_limit_bits


# --------------------------------------------------------------------------------------------
# RWD-1/2 emission and split
# --------------------------------------------------------------------------------------------


@given(
    reward=st.integers(min_value=0, max_value=PRESET.ledger.max_money),
    voters=st.integers(min_value=0, max_value=PRESET.tickets.voters_per_block),
    due=st.booleans(),
)
def test_split_parts_sum_to_reward(reward: int, voters: int, due: bool) -> None:
    split = split_reward(reward, voters, due, PRESET)
    assert split.total == reward
    assert min(split.miner, split.per_voter, split.masternode, split.treasury) >= 0
    assert split.miner >= reward * PRESET.rewards.miner_share_bps // 10_000


@pytest.mark.parametrize("preset", [DEVNET, MAINNET], ids=lambda p: p.name)
def test_total_emission_below_max_money(preset: Preset) -> None:
    halving = preset.rewards.halving_interval
    total = sum(block_subsidy(k * halving, preset) * halving for k in range(70))
    assert 0 < total <= preset.ledger.max_money
    assert block_subsidy(64 * halving, preset) == 0


# --------------------------------------------------------------------------------------------
# Random chains
# --------------------------------------------------------------------------------------------

CHAIN_PRESET = replace(PRESET, tickets=replace(PRESET.tickets, ticket_expiry=16))
"""Devnet with tickets expiring after 16 blocks, so that random chains of a few dozen blocks see
tickets expire as well as vote (the rules do not depend on the particular expiry)."""
OWNERS = tuple(key(f"test-voter{i}") for i in range(8))
RECIPIENTS = tuple(key(f"test-payee{i}") for i in range(3))
MINER = key("miner")
SCRIPT_KEYS: dict[bytes, Key] = {
    **{k.script_pubkey: k for k in (MINER, *OWNERS, *RECIPIENTS)},
    **{voting_ticket_script(o): o for o in OWNERS},
}
PREFIX_TICKETS = CHAIN_PRESET.tickets.voters_per_block + 3
ACTIONS = ("empty", "pay", "tickets")


@cache
def prefix() -> ChainBuilder:
    """Blocks until the first coinbase matures; that block buys enough tickets to start voting."""
    builder = ChainBuilder(CHAIN_PRESET)
    for owner in OWNERS:
        builder.register_voter(owner)
    maturity = CHAIN_PRESET.ledger.coinbase_maturity
    while builder.state.height + 1 < maturity:
        builder.extend()
    state = builder.state
    funding = OutPoint(txid(builder.blocks[0].transactions[0], CHAIN_PRESET), 0)
    price = price_at(state, maturity, CHAIN_PRESET)
    outputs = [TxOutput(price, voting_ticket_script(OWNERS[i % len(OWNERS)])) for i in range(PREFIX_TICKETS)]
    builder.extend([pay_change(state, funding, MINER, outputs, 10_000, CHAIN_PRESET)])
    return builder


def spendable(state: ChainState, height: int) -> list[tuple[OutPoint, UtxoEntry, Key]]:
    """Coins the test wallet can spend at ``height``: known scripts, mature, not locked tickets."""
    maturity = CHAIN_PRESET.ledger.coinbase_maturity
    return [
        (outpoint, entry, SCRIPT_KEYS[entry.output.script_pubkey])
        for outpoint, entry in sorted(state.utxos.items())
        if entry.output.script_pubkey in SCRIPT_KEYS
        and outpoint not in state.tickets
        and (not entry.is_coinbase or height - entry.height >= maturity)
    ]


def block_transactions(state: ChainState, action: str, pick: int) -> list[Transaction]:
    height = state.height + 1
    coins = spendable(state, height)
    if action == "empty" or not coins:
        return []
    if action == "pay":
        chosen = [coins[(pick + i) % len(coins)] for i in range(1 + pick % min(2, len(coins)))]
        chosen = list({c[0]: c for c in chosen}.values())
        total = sum(entry.output.value for _, entry, _ in chosen)
        fee, burn = 1_000 + pick % 4_000, (pick % 97 if pick % 3 == 0 else 0)
        if total <= fee + burn:
            return []
        outputs = [TxOutput(total - fee - burn, RECIPIENTS[pick % len(RECIPIENTS)].script_pubkey)]
        if burn:
            outputs.append(TxOutput(burn, null_data_script(b"burn", CHAIN_PRESET.script)))
        return [spend(state, [c[0] for c in chosen], [c[2] for c in chosen], outputs, CHAIN_PRESET)]
    price = price_at(state, height, CHAIN_PRESET)
    outpoint, entry, owner = max(coins, key=lambda c: (c[1].output.value, c[0]))
    count = 1 + pick % 3
    if entry.output.value < count * price + 20_000:
        return []
    outputs = [TxOutput(price, voting_ticket_script(OWNERS[(pick + i) % len(OWNERS)])) for i in range(count)]
    return [pay_change(state, outpoint, owner, outputs, 10_000, CHAIN_PRESET)]


@dataclass(frozen=True)
class RandomChain:
    """The prefix plus the random blocks: ``states[i]`` is the state before ``blocks[i]``."""

    blocks: tuple[Block, ...]
    states: tuple[ChainState, ...]


Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=-3, max_value=6), st.integers(0, 2**16)),
    min_size=18,
    max_size=36,
)


@cache
def random_chain(plan: tuple[Step, ...]) -> RandomChain:
    base = prefix()
    builder = ChainBuilder(CHAIN_PRESET, voters=dict(base.voters), states=[base.state])
    for action, jitter, pick in plan:
        state = builder.state
        stamp = max(median_time_past(state.timestamps, CHAIN_PRESET) + 1, state.timestamps[-1] + jitter)
        # Now and then one voter stays away (its selected tickets are missed), if enough others vote.
        absent = OWNERS[pick % len(OWNERS)] if pick % 4 == 0 else None
        if absent is not None:
            selected = select_voters(state.tickets, state.tip_hash, state.height + 1, CHAIN_PRESET)
            present = [t for t in selected if t.voting_key != absent.public_key]
            if selected and len(present) >= CHAIN_PRESET.tickets.min_votes:
                del builder.voters[absent.public_key]
            else:
                absent = None
        builder.extend(block_transactions(state, action, pick), stamp)
        if absent is not None:
            builder.register_voter(absent)
    return RandomChain(
        tuple(base.blocks) + tuple(builder.blocks), tuple(base.states[:-1]) + tuple(builder.states)
    )


def block_fees(parent: ChainState, block: Block) -> tuple[int, int]:
    """Fees and burned (unspendable) value of a block's transactions, computed independently."""
    available = {o: e.output.value for o, e in parent.utxos.items()}
    fees = burned = 0
    for tx in block.transactions[1:]:
        fees += sum(available.pop(i.previous_output) for i in tx.inputs) - sum(o.value for o in tx.outputs)
        tx_id = txid(tx, CHAIN_PRESET)
        for index, output in enumerate(tx.outputs):
            if is_unspendable(output.script_pubkey, CHAIN_PRESET.script):
                burned += output.value
            else:
                available[OutPoint(tx_id, index)] = output.value
    return fees, burned


CHAIN_SETTINGS = settings(max_examples=examples(40), deadline=None)


@CHAIN_SETTINGS
@given(steps)
def test_random_chain_work_rewards_and_conservation(plan: list[Step]) -> None:
    chain = random_chain(tuple(plan))
    minted = burned_total = 0
    for block, parent, after in zip(chain.blocks, chain.states[:-1], chain.states[1:], strict=True):
        assert after.cumulative_work > parent.cumulative_work
        height = block.header.height
        fees, burned = block_fees(parent, block)
        paid = sum(o.value for o in block.transactions[0].outputs)
        assert paid + after.treasury - parent.treasury == block_subsidy(height, CHAIN_PRESET) + fees
        minted += block_subsidy(height, CHAIN_PRESET)
        burned_total += burned
        held = sum(e.output.value for e in after.utxos.values())
        assert held + after.treasury + burned_total == minted


@CHAIN_SETTINGS
@given(steps)
def test_random_chain_ticket_lifecycle_and_votes(plan: list[Step]) -> None:
    chain = random_chain(tuple(plan))
    voted: set[OutPoint] = set()
    params = CHAIN_PRESET.tickets
    for block, parent, after in zip(chain.blocks, chain.states[:-1], chain.states[1:], strict=True):
        height = block.header.height
        selected = select_voters(parent.tickets, parent.tip_hash, height, CHAIN_PRESET)
        # Selection is deterministic, independent of pool order, and takes the lowest scores.
        shuffled = list(parent.tickets.items())
        random.Random(height).shuffle(shuffled)
        assert select_voters(dict(shuffled), parent.tip_hash, height, CHAIN_PRESET) == selected
        live = live_tickets(parent.tickets, height, CHAIN_PRESET)
        scores = [selection_score(parent.tip_hash, t.outpoint) for t in selected]
        assert scores == sorted(scores)
        others = [selection_score(parent.tip_hash, t.outpoint) for t in live if t not in selected]
        if selected:
            assert len(selected) == params.voters_per_block
            assert not others or max(scores) < min(others)
        else:
            assert len(live) < params.voters_per_block
        # Votes: between min_votes and voters_per_block, from selected tickets, in selection order.
        order = [t.outpoint for t in selected]
        cast = [OutPoint(v.ticket_txid, v.ticket_index) for v in block.votes]
        if selected:
            assert params.min_votes <= len(cast) <= len(selected)
        else:
            assert cast == []
        assert [order.index(o) for o in cast] == sorted(order.index(o) for o in cast)
        # A ticket votes at most once; selected tickets leave the pool; the pool holds no expired ticket
        # and every pooled ticket is still an unspent output.
        assert voted.isdisjoint(cast)
        voted.update(cast)
        assert not set(order) & set(after.tickets)
        for outpoint, ticket in parent.tickets.items():
            if outpoint not in after.tickets:
                assert ticket in selected or is_expired(ticket, height + 1, CHAIN_PRESET)
        for ticket in after.tickets.values():
            assert not is_expired(ticket, height + 1, CHAIN_PRESET)
            assert ticket.outpoint in after.utxos


@CHAIN_SETTINGS
@given(steps)
def test_random_chain_median_time_past_rule(plan: list[Step]) -> None:
    chain = random_chain(tuple(plan))
    for block, parent in zip(chain.blocks[1:], chain.states[1:], strict=False):
        assert block.header.timestamp > median_time_past(parent.timestamps, CHAIN_PRESET)
    tip = chain.states[-1]
    builder = ChainBuilder(CHAIN_PRESET, voters={o.public_key: o for o in OWNERS}, states=[tip])
    mtp = median_time_past(tip.timestamps, CHAIN_PRESET)
    on_median = builder.build(timestamp=mtp)
    with pytest.raises(TimestampTooEarly):
        apply_block(tip, on_median, BlockContext(mtp), CHAIN_PRESET)
    above = builder.build(timestamp=mtp + 1)
    assert apply_block(tip, above, BlockContext(mtp + 1), CHAIN_PRESET).height == tip.height + 1


@given(st.lists(st.integers(min_value=0, max_value=2**40), max_size=30))
def test_median_time_past_is_lower_median_of_window(stamps: list[int]) -> None:
    window = sorted(stamps[-CHAIN_PRESET.chain.median_time_blocks :])
    expected = window[(len(window) - 1) // 2] if window else 0
    assert median_time_past(tuple(stamps), CHAIN_PRESET) == expected


# --------------------------------------------------------------------------------------------
# Targeted block rules
# --------------------------------------------------------------------------------------------


def test_ticket_bought_and_spent_in_one_block_is_locked() -> None:
    """Regression: a ticket spent in the block that buys it must not enter the pool without its coin."""
    base = prefix()
    builder = ChainBuilder(CHAIN_PRESET, voters=dict(base.voters), states=[base.state])
    state = builder.state
    height = state.height + 1
    coin, _, owner = max(spendable(state, height), key=lambda c: c[1].output.value)
    price = price_at(state, height, CHAIN_PRESET)
    buy = pay_change(
        state, coin, owner, [TxOutput(price, voting_ticket_script(OWNERS[0]))], 10_000, CHAIN_PRESET
    )
    ticket = OutPoint(txid(buy, CHAIN_PRESET), 0)
    with_ticket = replace(state, utxos={**state.utxos, ticket: UtxoEntry(buy.outputs[0], 0, False)})
    refund = spend(
        with_ticket, [ticket], [OWNERS[0]], [TxOutput(price - 1_000, OWNERS[0].script_pubkey)], CHAIN_PRESET
    )
    block = builder.build([buy])
    forged = reseal(state, replace(block, transactions=(*block.transactions, refund)), CHAIN_PRESET)
    with pytest.raises(TicketLocked):
        apply_block(state, forged, BlockContext(block.header.timestamp), CHAIN_PRESET)


def test_block_size_limit() -> None:
    genesis = ChainBuilder(PRESET).build()
    size = len(encode_block(genesis, PRESET))
    exact = replace(PRESET, chain=replace(PRESET.chain, max_block_bytes=size))
    assert (
        apply_block(initial_state(exact), genesis, BlockContext(genesis.header.timestamp), exact).height == 0
    )
    small = replace(PRESET, chain=replace(PRESET.chain, max_block_bytes=size - 1))
    with pytest.raises(BlockTooLarge):
        apply_block(initial_state(small), genesis, BlockContext(genesis.header.timestamp), small)


def test_main_chain_covers_the_ticket_lifecycle() -> None:
    main = main_chain(PRESET)
    states = main.builder.states
    assert len(main.builder.blocks) >= 20
    assert any(b.votes for b in main.builder.blocks)
    assert len({s.ticket_price for s in states}) >= 3
    assert states[-1].height == main.expiry_spend_height
    expired = [t for t in main.tickets if t in states[-3].tickets and t not in states[-2].tickets]
    assert expired, "some tickets expire"
    spent = [t for t in main.tickets if t not in states[-1].utxos]
    assert main.missed in spent and len(spent) >= 3


def test_invalid_sequences_fail_at_their_last_block() -> None:
    for spec in generate(PRESET):
        if spec.handler != "apply_blocks":
            continue
        outcome = run_handler(HANDLERS["apply_blocks"], PRESET, spec.input)
        assert outcome.error == spec.expect_error, spec.case
        if spec.expect_error is not None:
            blocks = spec.input["blocks"]
            assert isinstance(blocks, list)
            assert f"block {len(blocks) - 1}:" in outcome.message, spec.case


def test_handlers_reject_malformed_input() -> None:
    for handler, data in [
        ("encode_compact", {"target": "00" * 32}),
        ("next_bits", {"height": 3, "parent_bits": 1, "timestamps": [1]}),
        ("split_reward", {"reward": 1, "voters": 1, "masternode_due": 1}),
        ("apply_blocks", {"blocks": [], "masternode_payees": [None]}),
        ("apply_blocks", {"blocks": [], "resume_from_items": 0}),
        (
            "verify_finality_certificate",
            {"height": -1, "block_hash": "", "signature": "", "quorum_public_key": ""},
        ),
    ]:
        with pytest.raises(BadInput):
            HANDLERS[handler](PRESET, data)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# FORK-1/2 fork choice and finality
# --------------------------------------------------------------------------------------------


def random_index(shape: Sequence[tuple[int, int]]) -> dict[bytes, BlockIndexEntry]:
    """A block tree: node ``i > 0`` hangs below node ``parent % i`` and adds ``work`` to it."""
    hashes = [seeded_bytes(f"test/fork/{i}", 32) for i in range(len(shape))]
    index: dict[bytes, BlockIndexEntry] = {}
    for i, (parent, work) in enumerate(shape):
        if i == 0:
            index[hashes[0]] = BlockIndexEntry(hashes[0], bytes(32), 0, work)
            continue
        above = index[hashes[parent % i]]
        index[hashes[i]] = BlockIndexEntry(
            hashes[i], above.block_hash, above.height + 1, above.cumulative_work + work
        )
    return index


trees = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=4)),
    min_size=1,
    max_size=25,
)


@given(trees, st.integers(min_value=0, max_value=10**6), st.booleans(), st.randoms(use_true_random=False))
def test_fork_choice_respects_finality_and_work(
    shape: list[tuple[int, int]], final_pick: int, has_final: bool, rng: random.Random
) -> None:
    index = random_index(shape)
    nodes = list(index)
    parents = {e.parent_hash for e in index.values()}
    tips = [h for h in nodes if h not in parents]
    finalized = nodes[final_pick % len(nodes)] if has_final else None
    tip = choose_tip(index, tips, finalized)
    eligible = [t for t in tips if finalized is None or is_ancestor(index, finalized, t)]
    if not eligible:
        assert tip is None
        return
    assert tip is not None
    # Finality is never reverted: the chosen tip contains the finalized block.
    if finalized is not None:
        assert is_ancestor(index, finalized, tip)
    check_reorganisation(index, tip, finalized)
    # Most work among the eligible tips; ties go to the smaller hash; the order of tips is irrelevant.
    best = max(index[t].cumulative_work for t in eligible)
    assert index[tip].cumulative_work == best
    assert tip == min(t for t in eligible if index[t].cumulative_work == best)
    shuffled = list(tips)
    rng.shuffle(shuffled)
    assert choose_tip(index, shuffled, finalized) == tip
    for other in tips:
        if other not in eligible:
            with pytest.raises(FinalityViolation):
                check_reorganisation(index, other, finalized)


@given(trees)
def test_finality_advancing_along_the_chosen_chain_is_never_reverted(shape: list[tuple[int, int]]) -> None:
    """Blocks arrive one by one; after each, the node finalizes the parent of its chosen tip."""
    index = random_index(shape)
    seen: dict[bytes, BlockIndexEntry] = {}
    finalized: bytes | None = None
    for block_hash, entry in index.items():
        seen[block_hash] = entry
        parents = {e.parent_hash for e in seen.values()}
        tips = [h for h in seen if h not in parents]
        tip = choose_tip(seen, tips, finalized)
        if tip is None:
            continue
        if finalized is not None:
            assert is_ancestor(seen, finalized, tip)
        parent = seen.get(seen[tip].parent_hash)
        if parent is not None and (finalized is None or is_ancestor(seen, finalized, parent.block_hash)):
            finalized = parent.block_hash


# --------------------------------------------------------------------------------------------
# Fuzz harnesses (fuzz/chain_harnesses.py) on their seeds and on a few mutations
# --------------------------------------------------------------------------------------------


def test_chain_fuzz_harnesses_accept_their_seeds() -> None:
    seeds = chain_seeds()
    assert set(seeds) == set(CHAIN_HARNESSES)
    for name, harness in CHAIN_HARNESSES.items():
        assert seeds[name]
        for data in seeds[name].values():
            harness(data)


@settings(max_examples=examples(60), deadline=None)
@given(st.integers(0, 255), st.integers(0, 2**16 - 1), st.binary(min_size=1, max_size=4))
def test_chain_fuzz_apply_block_mutations(selector: int, offset: int, flips: bytes) -> None:
    CHAIN_HARNESSES["chain_apply_block"](bytes([selector]) + offset.to_bytes(2, "little") + flips)


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_chain_fuzz_decoders_on_mutated_seeds(data: st.DataObject) -> None:
    seeds = chain_seeds()
    for name in ("chain_decode_header", "chain_decode_block"):
        base = bytearray(data.draw(st.sampled_from(sorted(seeds[name].values()))))
        position = data.draw(st.integers(0, len(base) - 1))
        base[position] ^= data.draw(st.integers(1, 255))
        cut = data.draw(st.integers(0, len(base)))
        CHAIN_HARNESSES[name](bytes(base[:cut]))
