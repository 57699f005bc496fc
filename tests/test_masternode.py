"""Masternode list, proof of service, payee selection and quorum properties (docs/governance.md).

The list-level properties run on *random block sequences*: Hypothesis picks, block by block,
registrations, unbonds, collateral spends (allowed only ``unbonding_blocks`` after an unbond or a
ban, MN-8) and PoSe penalties of the fixture masternodes
(conformance/generators/masternode.py); a small model tracks which masternodes must be listed and
banned, and the test checks the list against it after every block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.generators.masternode import (
    LABELS,
    carrier,
    entry_for,
    funded_list,
    funding,
    generate,
    operator,
    pose_quorum_coefficients,
    pose_quorum_key,
    register_tx,
    registration,
    scripted_sequence,
    sign_penalty,
)
from conformance.handlers.masternode import HANDLERS, list_json, parse_list
from conformance.outcome import run_handler
from fuzz.masternode_harnesses import MASTERNODE_HARNESSES, masternode_seeds
from spec.crypto import bls, ed25519, threshold
from spec.errors import (
    ALL_ERROR_CODES,
    CollateralLocked,
    DuplicateCollateral,
    QuorumTooSmall,
    UnknownQuorumType,
)
from spec.ledger.transaction import OutPoint, Transaction, txid
from spec.ledger.utxo import UtxoEntry, created_entries, transaction_diff
from spec.masternode.quorum import (
    QuorumType,
    member_score,
    pose_quorum_height,
    quorum_base_height,
    quorum_in_charge_height,
    quorum_size,
    quorum_threshold,
    quorum_type,
    select_quorum,
)
from spec.masternode.registry import (
    EMPTY_LIST,
    MasternodeList,
    MasternodeStatus,
    Unbond,
    apply_transactions_to_list,
    decayed_score,
    match_message,
    message_script,
    next_payee,
    penalised_score,
    penalty_message,
    record_payment,
    unbond_message,
)
from spec.presets import DEVNET, MAINNET, Preset
from tests.hypothesis_profiles import examples

PRESET = DEVNET
SEQUENCE_SETTINGS = settings(max_examples=examples(50), deadline=None)

# --------------------------------------------------------------------------------------------
# Random block sequences with a model
# --------------------------------------------------------------------------------------------


@dataclass
class Simulation:
    """Builds valid carrier transactions block by block and keeps a model of the list.

    The model is a score and a ban flag per registered label, updated by the rules in their plain
    form (decay per block, penalty, ban above the threshold), independently of the spec's code.
    """

    preset: Preset
    utxos: dict[OutPoint, UtxoEntry] = field(default_factory=dict)
    coins: dict[str, OutPoint] = field(default_factory=dict)
    scores: dict[str, int] = field(default_factory=dict)
    banned: set[str] = field(default_factory=set)
    spent: set[str] = field(default_factory=set)
    penalised_by: dict[str, int] = field(default_factory=dict)
    unbonding: dict[str, int] = field(default_factory=dict)
    """MN-8: the height each label unbonded or was banned at."""

    def __post_init__(self) -> None:
        fund = funding(self.preset)
        self.utxos = dict(fund.utxos)
        self.coins = {label: fund.fee_coin(label) for label in LABELS}

    def pay(self, payer: str, scripts: Sequence[bytes], coin: OutPoint | None = None) -> Transaction:
        """A carrier paid from ``payer``'s running coin (or ``coin``); its change becomes the running coin."""
        tx = carrier(payer, coin or self.coins[payer], scripts, self.utxos, self.preset)
        for tx_input in tx.inputs:
            del self.utxos[tx_input.previous_output]
        self.utxos.update(created_entries(tx, 0, self.preset))
        if coin is None:
            self.coins[payer] = OutPoint(txid(tx, self.preset), 0)
        return tx

    def decay(self) -> None:
        """One block of decay for every active masternode of the model."""
        step = self.preset.masternodes.pose_decay_per_block
        for label in self.scores:
            if label not in self.banned and label not in self.unbonding:
                self.scores[label] = max(0, self.scores[label] - step)


actions = st.lists(
    st.lists(
        st.tuples(st.sampled_from(("register", "unbond", "spend", "penalty")), st.sampled_from(LABELS[:8])),
        max_size=3,
    ),
    min_size=1,
    max_size=12,
)


def _plan_block(sim: Simulation, height: int, wanted: list[tuple[str, str]]) -> list[Transaction]:
    """Valid transactions for the wanted actions (impossible ones are skipped); updates the model."""
    fund = funding(sim.preset)
    params = sim.preset.masternodes
    quorum = pose_quorum_height(height, sim.preset)
    txs: list[Transaction] = []
    touched: set[str] = set()
    for action, label in wanted:
        if label in touched:
            continue
        touched.add(label)
        if action == "register" and label not in sim.scores and label not in sim.spent:
            signed = registration(label, fund.collateral(label), sim.preset)
            txs.append(sim.pay(label, [message_script(signed, sim.preset)]))
            sim.scores[label] = 0
        elif action == "unbond" and label in sim.scores and label not in sim.unbonding:
            collateral = fund.collateral(label)
            leave = Unbond(collateral, ed25519.sign(operator(label).owner.seed, unbond_message(collateral)))
            txs.append(sim.pay(label, [message_script(leave, sim.preset)]))
            sim.unbonding[label] = height
        elif (
            action == "spend"
            and label in sim.scores
            and label in sim.unbonding
            and height >= sim.unbonding[label] + params.unbonding_blocks
        ):
            txs.append(sim.pay(label, [], coin=fund.collateral(label)))
            del sim.scores[label]
            del sim.unbonding[label]
            sim.banned.discard(label)
            sim.spent.add(label)
        elif (
            action == "penalty"
            and label in sim.scores
            and label not in sim.banned
            and label not in sim.unbonding
            and quorum is not None
            and sim.penalised_by.get(label, -1) < quorum
        ):
            penalty = sign_penalty(fund.collateral(label), quorum, sim.preset)
            # Paid by the penalised masternode's owner: a common payer would chain the block's
            # penalty transactions (each spending the last one's change), and they must commute.
            txs.append(sim.pay(label, [message_script(penalty, sim.preset)]))
            sim.penalised_by[label] = quorum
            sim.scores[label] += params.pose_penalty
            if sim.scores[label] > params.pose_ban_threshold:
                sim.banned.add(label)
                sim.unbonding[label] = height
    return txs


Blocks = list[tuple[int, list[Transaction]]]


def _apply(
    mn_list: MasternodeList, utxos: dict[OutPoint, UtxoEntry], height: int, txs: Sequence[Transaction]
) -> MasternodeList:
    quorum = pose_quorum_height(height, PRESET)
    key = None if quorum is None else pose_quorum_key(quorum, PRESET)
    after = apply_transactions_to_list(mn_list, txs, utxos, height, PRESET, key)
    # the chain's lazy replay (every input known to exist: the view is brought up to date only
    # where a registration reads it) gives the same list
    assert apply_transactions_to_list(mn_list, txs, utxos, height, PRESET, key, inputs_known=True) == after
    for tx in txs:
        diff = transaction_diff(utxos, tx, height, PRESET)
        for outpoint, _ in diff.spent:
            del utxos[outpoint]
        utxos.update(diff.created)
    return after


def _run(steps: list[list[tuple[str, str]]], stride: int) -> tuple[MasternodeList, Blocks]:
    """Apply the planned blocks (empty blocks in between); check the list against the model at each."""
    sim = Simulation(PRESET)
    fund = funding(PRESET)
    mn_list = EMPTY_LIST
    utxos = dict(fund.utxos)
    blocks: Blocks = []
    for height in range(1, 1 + len(steps) * stride):
        sim.decay()
        txs = _plan_block(sim, height, steps[(height - 1) // stride]) if (height - 1) % stride == 0 else []
        mn_list = _apply(mn_list, utxos, height, txs)
        blocks.append((height, txs))
        listed = {label: mn_list.entries.get(fund.collateral(label)) for label in LABELS}
        assert {label for label, entry in listed.items() if entry is not None} == set(sim.scores)
        for label, score in sim.scores.items():
            entry = listed[label]
            assert entry is not None and entry.pose_score == score
            assert (entry.status is MasternodeStatus.POSE_BANNED) == (label in sim.banned)
            leaving = label in sim.unbonding and label not in sim.banned
            assert (entry.status is MasternodeStatus.UNBONDING) == leaving
            assert entry.unbonding_height == sim.unbonding.get(label)
    return mn_list, blocks


@SEQUENCE_SETTINGS
@given(actions, st.sampled_from((1, 7, 16)))
def test_list_follows_the_model(steps: list[list[tuple[str, str]]], stride: int) -> None:
    final, _ = _run(steps, stride)
    threshold_ = PRESET.masternodes.pose_ban_threshold
    for entry in final.entries.values():
        assert entry.pose_score >= 0
        assert entry.status is not MasternodeStatus.POSE_BANNED or entry.pose_score > threshold_


@SEQUENCE_SETTINGS
@given(actions, st.sampled_from((1, 16)))
def test_list_is_a_function_of_the_blocks(steps: list[list[tuple[str, str]]], stride: int) -> None:
    """Replaying the same blocks gives the same list, and the transactions of a block commute."""
    final, blocks = _run(steps, stride)
    fund = funding(PRESET)
    replayed, reordered = EMPTY_LIST, EMPTY_LIST
    utxos, utxos_reordered = dict(fund.utxos), dict(fund.utxos)
    for height, txs in blocks:
        replayed = _apply(replayed, utxos, height, txs)
        # The planned transactions touch distinct masternodes and spend distinct coins.
        reordered = _apply(reordered, utxos_reordered, height, list(reversed(txs)))
        assert reordered.entries == replayed.entries
    assert replayed == final


@settings(max_examples=examples(30), deadline=None)
@given(st.sets(st.sampled_from(LABELS), min_size=1), st.data())
def test_collateral_spend_removes_exactly_when_unlocked(labels: set[str], data: st.DataObject) -> None:
    """MN-4/8: an unlocked collateral spend removes its masternode, banned or unbonding; a spend of
    an ACTIVE one, or one less than ``unbonding_blocks`` after its unbond or ban, is locked."""
    fund = funding(PRESET)
    mn_list = funded_list(sorted(labels), PRESET)
    victim = data.draw(st.sampled_from(sorted(labels)))
    status = data.draw(
        st.sampled_from([MasternodeStatus.ACTIVE, MasternodeStatus.POSE_BANNED, MasternodeStatus.UNBONDING])
    )
    since = None if status is MasternodeStatus.ACTIVE else data.draw(st.integers(0, 100))
    entry = mn_list.entries[fund.collateral(victim)]
    left = replace(entry, status=status, pose_score=999 if since is not None else 0, unbonding_height=since)
    mn_list = MasternodeList({**mn_list.entries, entry.collateral: left})
    height = data.draw(st.integers(1, 200))
    tx = carrier(victim, fund.collateral(victim), [], fund.utxos, PRESET)
    if since is None or height < since + PRESET.masternodes.unbonding_blocks:
        with pytest.raises(CollateralLocked):
            apply_transactions_to_list(mn_list, [tx], fund.utxos, height, PRESET)
        return
    after = apply_transactions_to_list(mn_list, [tx], fund.utxos, height, PRESET)
    assert fund.collateral(victim) not in after.entries
    assert set(after.entries) == set(mn_list.entries) - {fund.collateral(victim)}


def test_registration_then_duplicate_is_rejected() -> None:
    fund = funding(PRESET)
    after = apply_transactions_to_list(EMPTY_LIST, [register_tx("alice", PRESET)], fund.utxos, 1, PRESET)
    entry = after.entries[fund.collateral("alice")]
    assert entry.status is MasternodeStatus.ACTIVE and entry.registered_height == 1
    assert entry.operator_public_key == operator("alice").public_key
    with pytest.raises(DuplicateCollateral):
        apply_transactions_to_list(after, [register_tx("alice", PRESET, number=1)], fund.utxos, 2, PRESET)


# --------------------------------------------------------------------------------------------
# MN-6 proof of service arithmetic
# --------------------------------------------------------------------------------------------


@given(
    st.lists(st.one_of(st.just(None), st.integers(min_value=0, max_value=50)), max_size=60),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=1000),
    st.integers(min_value=0, max_value=20),
)
def test_pose_score_arithmetic(events: list[int | None], penalty: int, threshold_: int, decay: int) -> None:
    """Decay never goes below zero; a penalty bans exactly when it lifts the score above the threshold."""
    score, banned = 0, False
    for event in events:
        if banned:
            break
        if event is None:
            new_score, banned = penalised_score(score, penalty, threshold_)
            assert new_score == score + penalty
            assert banned == (new_score > threshold_)
            score = new_score
        else:
            for _ in range(event):
                score = decayed_score(score, decay)
                assert score >= 0
    assert score >= 0


def test_three_consecutive_quorums_ban_on_devnet_and_mainnet() -> None:
    for preset in (DEVNET, MAINNET):
        params = preset.masternodes
        per_interval = params.pose_decay_per_block * params.pose_quorum_interval
        score, banned = penalised_score(0, params.pose_penalty, params.pose_ban_threshold)
        assert not banned
        # Fastest: the next quorum's penalty one block later, then a whole interval.
        score, banned = penalised_score(
            decayed_score(score, params.pose_decay_per_block), params.pose_penalty, params.pose_ban_threshold
        )
        assert not banned
        score, banned = penalised_score(
            decayed_score(score, per_interval), params.pose_penalty, params.pose_ban_threshold
        )
        assert banned


def test_penalty_signed_by_threshold_shares_is_accepted() -> None:
    """A PoSe penalty recovered from t signature shares verifies like the group signature."""
    fund = funding(PRESET)
    interval = PRESET.masternodes.pose_quorum_interval
    quorum = interval
    coefficients = pose_quorum_coefficients(quorum, PRESET)
    size = PRESET.masternodes.pose_quorum_size
    shares = threshold.generate_shares(coefficients, list(range(1, size + 1)))
    message = penalty_message(fund.collateral("bob"), quorum)
    t = quorum_threshold(size)
    signature = threshold.recover_signature([threshold.sign_share(s, message) for s in shares[-t:]], t)
    assert signature == sign_penalty(fund.collateral("bob"), quorum, PRESET).signature
    assert bls.verify(pose_quorum_key(quorum, PRESET), message, signature)


# --------------------------------------------------------------------------------------------
# MN-7 payee rotation
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_payee_rotation_is_fair(data: st.DataObject) -> None:
    """With an unchanged list, every active masternode is paid exactly once per run of len(active) blocks."""
    fund = funding(PRESET)
    labels = data.draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=len(LABELS), unique=True))
    start = 100
    entries = {}
    for label in labels:
        registered = data.draw(st.integers(min_value=0, max_value=start - 1))
        paid = data.draw(st.one_of(st.none(), st.integers(min_value=registered, max_value=start - 1)))
        status = data.draw(st.sampled_from(MasternodeStatus))
        entries[fund.collateral(label)] = entry_for(
            label, fund.collateral(label), registered, last_paid_height=paid, status=status
        )
    mn_list = MasternodeList(entries)
    active = {e.collateral for e in mn_list.active()}
    paid_order = []
    for height in range(start, start + 3 * max(1, len(active))):
        payee = next_payee(mn_list, height)
        if not active:
            assert payee is None
            return
        assert payee is not None and payee.collateral in active
        paid_order.append(payee.collateral)
        mn_list = record_payment(mn_list, height)
    n = len(active)
    for cycle in range(3):
        assert set(paid_order[cycle * n : (cycle + 1) * n]) == active
    assert paid_order[:n] == paid_order[n : 2 * n]


def test_payee_queue_order() -> None:
    fund = funding(PRESET)
    mn_list = MasternodeList(
        {
            fund.collateral("alice"): entry_for("alice", fund.collateral("alice"), 5, last_paid_height=9),
            fund.collateral("bob"): entry_for("bob", fund.collateral("bob"), 3),
            fund.collateral("carol"): entry_for("carol", fund.collateral("carol"), 3),
        }
    )
    first = next_payee(mn_list, 10)
    assert first is not None and first.collateral == min(fund.collateral("bob"), fund.collateral("carol"))
    assert next_payee(mn_list, 3) is None  # nobody was registered before height 3
    assert next_payee(EMPTY_LIST, 10) is None


# --------------------------------------------------------------------------------------------
# QUORUM-1..3
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(st.sampled_from(LABELS), min_size=0, max_size=len(LABELS), unique=True),
    st.lists(st.sampled_from(LABELS), max_size=4, unique=True),
    st.binary(min_size=32, max_size=32),
    st.sampled_from(QuorumType),
    st.sampled_from((DEVNET, MAINNET)),
)
def test_quorum_selection(
    labels: list[str], banned: list[str], base: bytes, kind: QuorumType, preset: Preset
) -> None:
    fund = funding(preset)
    mn_list = funded_list(labels, preset)
    mn_list = MasternodeList(
        {
            o: replace(e, status=MasternodeStatus.POSE_BANNED)
            if e.collateral in {fund.collateral(b) for b in banned}
            else e
            for o, e in mn_list.entries.items()
        }
    )
    active = mn_list.active()
    if len(active) < preset.masternodes.min_quorum_members:
        with pytest.raises(QuorumTooSmall):
            select_quorum(mn_list, kind, base, preset)
        return
    quorum = select_quorum(mn_list, kind, base, preset)
    assert quorum == select_quorum(
        MasternodeList(dict(reversed(list(mn_list.entries.items())))), kind, base, preset
    )
    members = [m.collateral for m in quorum.members]
    assert set(members) <= {e.collateral for e in active}
    assert len(members) == min(quorum_size(kind, preset), len(active)) == len(set(members))
    assert [m.index for m in quorum.members] == list(range(1, len(members) + 1))
    scores = [member_score(base, kind, m) for m in members]
    assert scores == sorted(scores)
    outside = [member_score(base, kind, e.collateral) for e in active if e.collateral not in members]
    assert not outside or max(scores) < min(outside)
    assert quorum.threshold == quorum_threshold(len(members))


@given(st.integers(min_value=1, max_value=10_000))
def test_quorum_threshold_bounds(n: int) -> None:
    t = quorum_threshold(n)
    assert 1 <= t <= n
    assert 3 * t >= 2 * n > 3 * (t - 1)


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10_000))
def test_quorum_heights(height: int, interval: int) -> None:
    base = quorum_base_height(height, interval)
    assert base % interval == 0 and base <= height < base + interval
    for dkg_blocks in (0, 1, 25, interval, 3 * interval):
        in_charge = quorum_in_charge_height(height, interval, dkg_blocks)
        if height < dkg_blocks:
            assert in_charge is None
            continue
        assert in_charge is not None and in_charge % interval == 0
        assert in_charge + dkg_blocks <= height < in_charge + dkg_blocks + interval  # ended, and the newest
    assert quorum_in_charge_height(0, interval, 0) == 0


def test_unknown_quorum_type() -> None:
    assert quorum_type(1) is QuorumType.FINALITY
    with pytest.raises(UnknownQuorumType):
        quorum_type(0)


# --------------------------------------------------------------------------------------------
# Vectors, handlers and fuzz seeds
# --------------------------------------------------------------------------------------------


def test_generator_covers_every_masternode_code() -> None:
    expected = {case.expect_error for case in generate(PRESET)}
    codes = {code for code in ALL_ERROR_CODES if code.startswith("MN_") and code != "MN_ERROR"}
    assert codes <= expected, codes - expected


def test_list_json_round_trips() -> None:
    mn_list = funded_list(LABELS[:3], PRESET)
    assert parse_list({"masternodes": list_json(mn_list)}) == mn_list


def test_handler_messages() -> None:
    fund = funding(PRESET)
    script = message_script(registration("alice", fund.collateral("alice"), PRESET), PRESET)
    outcome = run_handler(HANDLERS["match_message"], PRESET, {"script": script.hex()})
    assert outcome.error is None and isinstance(outcome.output, dict)
    assert match_message(script, PRESET) is not None


def test_masternode_fuzz_seeds_pass() -> None:
    seeds = masternode_seeds()
    assert set(seeds) == set(MASTERNODE_HARNESSES)
    for name, harness in MASTERNODE_HARNESSES.items():
        for seed in seeds[name].values():
            harness(seed)


@settings(max_examples=examples(40), deadline=None)
@given(st.sampled_from(sorted(MASTERNODE_HARNESSES)), st.binary(max_size=400))
def test_masternode_harnesses_on_random_bytes(name: str, data: bytes) -> None:
    MASTERNODE_HARNESSES[name](data)


def test_model_run_reaches_a_ban() -> None:
    """The model check also covers bans: penalties of alice by three consecutive quorums.

    With a stride of 16 the planned blocks are 1, 17, 33, ...; QUORUM-1 puts the PoSe quorum based
    at 0 in charge of 25..54, the one at 30 of 55..84 and the one at 60 of 85..114, so the penalties
    land at 49, 65 and 97 (81 would repeat the quorum at 30), and the third bans.
    """
    steps = [[("register", "alice")], [], [], *([[("penalty", "alice")]] * 4)]
    final, _ = _run(steps, 16)
    entry = final.entries[funding(PRESET).collateral("alice")]
    assert entry.status is MasternodeStatus.POSE_BANNED


def test_scripted_sequence_vector() -> None:
    """The scripted vector sequence: bob banned by the third penalty, alice removed, frank late."""
    sequence = scripted_sequence(PRESET)
    fund = funding(PRESET)
    mn_list = EMPTY_LIST
    utxos = dict(fund.utxos)
    payees = []
    for offset, (txs, _) in enumerate(sequence.blocks):
        height = sequence.start_height + offset
        payee = next_payee(mn_list, height)
        payees.append(None if payee is None else payee.collateral)
        mn_list = _apply(mn_list, utxos, height, txs)
    assert mn_list.entries[fund.collateral("bob")].status is MasternodeStatus.POSE_BANNED
    assert fund.collateral("alice") not in mn_list.entries
    assert (
        mn_list.entries[fund.collateral("frank")].registered_height
        == sequence.start_height + len(sequence.blocks) - 1
    )
    assert payees[0] is None and payees[1] == fund.collateral("alice")
