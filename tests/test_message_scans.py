"""The block's message scans visit only the transactions that can change what they scan (issue 14).

MN-5 (:func:`~spec.masternode.registry.apply_carriers_to_list`), SLASH-2..5, FIN-5/6 and GOV-0..4
(handed the carriers alone by the chain's ``transition``) against the readable definitions, which
visit every transaction: on random blocks mixing payments, null-data outputs that carry no
message, registrations, unbonds, collateral spends (locked or not), PoSe penalties, malformed
messages, slashing evidence, quorum commitments, proposals and votes, the same result or the same
error (code and text: the first failing transaction in block order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache, partial
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance.generators.governance import payout, proposal_tx, vote, vote_tx
from conformance.generators.masternode import (
    LABELS,
    carrier,
    commitment_of,
    commitment_tx,
    double_sign_evidence,
    entry_for,
    evidence_tx,
    funded_list,
    funding,
    operator,
    pose_quorum_key,
    registration,
    sign_penalty,
    slashing_registry,
)
from spec.crypto import ed25519
from spec.errors import SpecError
from spec.governance.proposals import (
    EMPTY_STATE,
    GovernanceState,
    VoteChoice,
    add_proposal,
    apply_block_to_governance,
    proposal_id,
)
from spec.governance.proposals import message_script as governance_script
from spec.ledger.transaction import OutPoint, Transaction, TxInput, TxOutput, txid
from spec.ledger.utxo import UtxoEntry, created_entries
from spec.masternode import registry
from spec.masternode.finality import apply_block_to_quorums_after_parent
from spec.masternode.quorum import pose_quorum_height
from spec.masternode.registry import (
    EMPTY_LIST,
    MASTERNODE_PREFIX,
    MasternodeList,
    MasternodeStatus,
    Unbond,
    apply_carriers_to_list,
    apply_transactions_to_list,
    is_message_carrier,
    message_carriers,
    message_script,
    spending_positions,
    unbond_message,
)
from spec.masternode.slashing import apply_block_evidence, burnt_collaterals
from spec.presets import DEVNET
from spec.script import null_data_script
from tests.hypothesis_profiles import examples

PRESET = DEVNET
MASTERNODES = LABELS[:6]
ACTIONS = ("pay", "null", "register", "unbond", "penalty", "spend", "bad", "vote")
FOREIGN = OutPoint(bytes([0x11]) * 32, 0)
"""A listed collateral no transaction here spends (its entry SLASHED, its coin burnt)."""


def _outcome(run: Callable[[], Any]) -> tuple[str, ...] | tuple[str, Any]:
    try:
        return ("ok", run())
    except SpecError as error:
        return ("error", error.code, str(error))


def _start_list(kind: str) -> MasternodeList:
    """The list before the block: empty, the six funded masternodes in assorted states, or one
    foreign SLASHED entry (so the collaterals registered here are not of a tracked transaction)."""
    if kind == "empty":
        return EMPTY_LIST
    if kind == "foreign":
        return MasternodeList({FOREIGN: entry_for("mallory", FOREIGN, 0, status=MasternodeStatus.SLASHED)})
    fund = funding(PRESET)
    listed = dict(funded_list(MASTERNODES, PRESET).entries)
    changes: dict[str, dict[str, object]] = {
        "bob": {"status": MasternodeStatus.UNBONDING, "unbonding_height": 1},
        "carol": {"status": MasternodeStatus.POSE_BANNED, "pose_score": 150, "unbonding_height": 30},
        "dave": {"pose_score": 50, "last_paid_height": 3},
    }
    for label, change in changes.items():
        outpoint = fund.collateral(label)
        listed[outpoint] = replace(listed[outpoint], **change)  # type: ignore[arg-type]
    return MasternodeList(listed)


def _block(
    actions: Sequence[tuple[str, str]], height: int
) -> tuple[list[Transaction], dict[OutPoint, UtxoEntry]]:
    """One transaction per action, each paid from its label's running coin (the block is valid for
    the ledger: every input exists when its transaction comes); the UTXO set before the block."""
    fund = funding(PRESET)
    before = dict(fund.utxos)
    utxos = dict(before)
    coins = {label: fund.fee_coin(label) for label in LABELS}
    quorum = pose_quorum_height(height, PRESET)
    transactions: list[Transaction] = []
    for action, label in actions:
        collateral = fund.collateral(label)
        scripts: list[bytes] = []
        coin = coins[label]
        if action == "null":
            scripts = [null_data_script(b"no message here", PRESET.script)]
        elif action == "register":
            scripts = [message_script(registration(label, collateral, PRESET), PRESET)]
        elif action == "unbond":
            signature = ed25519.sign(operator(label).owner.seed, unbond_message(collateral))
            scripts = [message_script(Unbond(collateral, signature), PRESET)]
        elif action == "penalty":
            scripts = [
                message_script(sign_penalty(collateral, 0 if quorum is None else quorum, PRESET), PRESET)
            ]
        elif action == "bad":
            scripts = [null_data_script(MASTERNODE_PREFIX + b"\x7f", PRESET.script)]
        elif action == "vote":
            scripts = [governance_script(vote(label, bytes(32), VoteChoice.YES, PRESET), PRESET)]
        elif action == "spend" and collateral in utxos:
            coin = collateral
        tx = carrier(label, coin, scripts, utxos, PRESET)
        del utxos[coin]
        utxos.update(created_entries(tx, height, PRESET))
        if coin != collateral:
            coins[label] = OutPoint(txid(tx, PRESET), 0)
        transactions.append(tx)
    return transactions, before


def _pose_key(height: int) -> bytes | None:
    quorum = pose_quorum_height(height, PRESET)
    return None if quorum is None else pose_quorum_key(quorum, PRESET)


mn5_blocks = st.tuples(
    st.sampled_from(("empty", "funded", "foreign")),
    st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(MASTERNODES)), max_size=8),
    st.sampled_from((5, 12, 40)),
)


@settings(max_examples=examples(60), deadline=None)
@given(mn5_blocks)
@example(("empty", [("register", "alice"), ("pay", "bob"), ("spend", "alice")], 40))
@example(("foreign", [("pay", "bob"), ("register", "alice"), ("register", "bob"), ("spend", "bob")], 40))
@example(("funded", [("pay", "erin"), ("spend", "bob"), ("null", "frank"), ("penalty", "dave")], 40))
def test_mn5_on_the_carriers_equals_the_full_replay(block: tuple[str, list[tuple[str, str]], int]) -> None:
    """MN-5: :func:`apply_carriers_to_list` (the carriers, the spenders of a listed collateral's
    transaction, and those of a collateral registered in the block after its registration) gives
    the list or the error of the replay of every transaction, lazy (``inputs_known``) and eager."""
    start, actions, height = block
    mn_list = _start_list(start)
    transactions, before = _block(actions, height)
    key = _pose_key(height)
    readable = _outcome(
        lambda: apply_transactions_to_list(
            mn_list, transactions, before, height, PRESET, key, inputs_known=True
        )
    )
    fast = _outcome(
        lambda: apply_carriers_to_list(
            mn_list, transactions, message_carriers(transactions), before, height, PRESET, key
        )
    )
    assert fast == readable
    assert (
        _outcome(lambda: apply_transactions_to_list(mn_list, transactions, before, height, PRESET, key))
        == readable
    )


def test_the_carriers_path_visits_only_what_can_change_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path really skips: of payments, one registration and a spend of its collateral
    (locked: never unbonded), the registration, the spend and one payment are visited, and the
    spend raises."""
    visited: list[Transaction] = []
    readable_step = registry.apply_transaction_to_list

    def counting(mn_list: MasternodeList, tx: Transaction, *arguments: Any) -> MasternodeList:
        visited.append(tx)
        return readable_step(mn_list, tx, *arguments)

    monkeypatch.setattr(registry, "apply_transaction_to_list", counting)
    actions = [("pay", "bob"), ("register", "alice"), ("pay", "carol"), ("pay", "bob"), ("spend", "alice")]
    transactions, before = _block(actions, 40)
    assert message_carriers(transactions) == (1,)
    outcome = _outcome(
        lambda: apply_carriers_to_list(EMPTY_LIST, transactions, (1,), before, 40, PRESET, _pose_key(40))
    )
    assert outcome[:2] == ("error", "MN_COLLATERAL_LOCKED")
    # the registration, carol's payment (an output of the funding transaction, which alice's
    # collateral is one of, from then on tracked: the spenders are found by txid) and the spend;
    # not bob's payments (the first comes before the registration, the second spends bob's change)
    assert visited == [transactions[1], transactions[2], transactions[4]]
    visited.clear()
    payments, before = _block([("pay", "bob"), ("pay", "carol")], 40)
    foreign = _start_list("foreign")
    fast = apply_carriers_to_list(foreign, payments, (), before, 40, PRESET)
    assert visited == []  # neither spends an output of the listed collateral's transaction
    assert fast == apply_transactions_to_list(foreign, payments, before, 40, PRESET, inputs_known=True)


scripts = st.one_of(
    st.binary(max_size=40),
    st.binary(max_size=40).map(lambda data: b"\x6a" + data),
    st.just(b""),
)


@settings(max_examples=examples(200))
@given(
    st.lists(st.lists(scripts, max_size=3), max_size=8),
    st.sets(st.binary(min_size=1, max_size=2), max_size=3),
)
def test_carriers_and_spenders_equal_their_definitions(outputs: list[list[bytes]], txids: set[bytes]) -> None:
    """``message_carriers`` and ``spending_positions`` (one pass in C each) against a per-transaction
    reading of their definitions."""
    pool = [b"\x01", b"\x02\x03", b"\x04"]
    transactions = [
        Transaction(
            1,
            tuple(TxInput(OutPoint(pool[(i + j) % len(pool)], j), b"", 0) for j in range(i % 3)),
            tuple(TxOutput(0, script) for script in scripts_of),
            0,
        )
        for i, scripts_of in enumerate(outputs)
    ]
    assert message_carriers(transactions) == tuple(
        position for position, tx in enumerate(transactions) if is_message_carrier(tx)
    )
    assert spending_positions(transactions, txids) == [
        position
        for position, tx in enumerate(transactions)
        if any(i.previous_output.txid in txids for i in tx.inputs)
    ]


# --------------------------------------------------------------------------------------------
# SLASH-2..5, FIN-5/6, GOV-0..4 handed the carriers alone
# --------------------------------------------------------------------------------------------


@cache
def _pool() -> tuple[Transaction, ...]:
    """Payments, a null-data payment, a malformed message, valid and invalid slashing evidence and
    quorum commitments, a proposal, valid and invalid votes."""
    fund = funding(PRESET)
    interval = PRESET.masternodes.finality_quorum_interval
    grant = payout("grant", PRESET.ledger.atoms_per_coin, PRESET.governance.superblock_interval)
    grant_id = proposal_id(grant, PRESET)
    return (
        carrier("oscar", fund.fee_coin("oscar", 2), [], fund.utxos, PRESET),
        carrier("judy", fund.fee_coin("judy"), [], fund.utxos, PRESET),
        carrier(
            "ivan", fund.fee_coin("ivan"), [null_data_script(b"memo", PRESET.script)], fund.utxos, PRESET
        ),
        carrier(
            "ivan",
            fund.fee_coin("ivan", 1),
            [null_data_script(MASTERNODE_PREFIX, PRESET.script)],
            fund.utxos,
            PRESET,
        ),
        evidence_tx([double_sign_evidence(PRESET)], PRESET),
        evidence_tx([double_sign_evidence(PRESET, member=2, first_block=bytes(32))], PRESET, number=2),
        commitment_tx([commitment_of(interval, PRESET)], PRESET),
        commitment_tx([commitment_of(interval, PRESET, signers=[1])], PRESET, number=1),
        proposal_tx("grace", [(grant, PRESET.governance.proposal_fee)], PRESET),
        vote_tx([vote("alice", grant_id, VoteChoice.YES, PRESET)], PRESET),
        vote_tx([vote("grace", grant_id, VoteChoice.NO, PRESET)], PRESET, number=1),
    )


@settings(max_examples=examples(80), deadline=None)
@given(st.lists(st.integers(0, 10), max_size=8), st.sampled_from((0, 1, 2)))
def test_scans_of_the_carriers_equal_the_scans_of_the_block(picks: list[int], height_pick: int) -> None:
    """SLASH-2..5, FIN-5/6 (with ST-2's parent rule on and off) and GOV-0..4 on the carriers alone
    (what ``transition`` hands them) give the result or the error of the whole block's scan."""
    pool = _pool()
    transactions = [pool[pick] for pick in picks]
    carrying = [transactions[position] for position in message_carriers(transactions)]
    interval = PRESET.masternodes.finality_quorum_interval
    height = (interval + 1, 2 * interval - 1, PRESET.governance.superblock_interval - 3)[height_pick]
    listed = funded_list(LABELS, PRESET)
    registry_ = slashing_registry(PRESET)

    def evidence(txs: Sequence[Transaction]) -> Any:
        return apply_block_evidence(listed, registry_, txs, PRESET)

    def quorums(txs: Sequence[Transaction], parent_rule: bool) -> Any:
        return apply_block_to_quorums_after_parent(
            registry_, txs, listed, bytes(32), listed, bytes([1]) * 32, height, PRESET,
            parent_rule=parent_rule, own_rule=not parent_rule,
        )  # fmt: skip

    grant = payout("grant", PRESET.ledger.atoms_per_coin, PRESET.governance.superblock_interval)
    state: GovernanceState = add_proposal(EMPTY_STATE, grant, PRESET.governance.proposal_fee, 1, PRESET)

    def governance(txs: Sequence[Transaction]) -> Any:
        return apply_block_to_governance(state, txs, listed, height, PRESET)

    assert _outcome(lambda: evidence(carrying)) == _outcome(lambda: evidence(transactions))
    for parent_rule in (False, True):
        rule = parent_rule
        assert _outcome(partial(quorums, carrying, rule)) == _outcome(partial(quorums, transactions, rule))
    assert _outcome(lambda: governance(carrying)) == _outcome(lambda: governance(transactions))
    assert _outcome(lambda: quorums([], True)) == _outcome(lambda: quorums([pool[0]], True))


def test_an_unchanged_list_burns_nothing_and_decays_nothing() -> None:
    """SLASH-4 / MN-5 (2): the shortcuts for an unchanged list answer as the readable scans."""
    listed = funded_list(LABELS, PRESET)
    assert burnt_collaterals(listed, listed) == ()
    assert burnt_collaterals(listed, MasternodeList(dict(listed.entries))) == ()
    assert registry.decay_scores(listed, PRESET) is listed
    scored = _start_list("funded")
    decayed = registry.decay_scores(scored, PRESET)
    dave = funding(PRESET).collateral("dave")
    carol = funding(PRESET).collateral("carol")
    assert decayed.entries[dave].pose_score == 50 - PRESET.masternodes.pose_decay_per_block
    assert decayed.entries[carol].pose_score == 150  # banned: no decay
    for height in (1, 4, 40):
        eligible = [e for e in scored.active() if e.registered_height < height]
        expected = min(eligible, key=registry.queue_key) if eligible else None
        assert registry.next_payee(scored, height) == expected


def test_transition_with_messages_equals_the_scans_of_every_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chain's ``transition`` on the masternode chain's blocks (registrations, payee rotation,
    a proposal and its votes, the superblock): the same states and roots as with every
    transaction scanned (``tests/test_fast_paths.py``'s readable switch)."""
    from conformance.masternodechain import masternode_chain
    from spec.chain.state import BlockContext, transition
    from tests.test_fast_paths import _readable_only

    builder = masternode_chain(PRESET, 2).builder
    heights = range(1, len(builder.blocks))

    def step(height: int) -> Any:
        block = builder.blocks[height]
        return transition(builder.states[height], block, BlockContext(block.header.timestamp), PRESET)

    fast = [step(height) for height in heights]
    assert any(message_carriers(builder.blocks[height].transactions) for height in heights)
    _readable_only(monkeypatch)
    assert [step(height) for height in heights] == fast


# --------------------------------------------------------------------------------------------
# SC-BLK-1..8 (fork sidechains) on the carriers
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(20), deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=6), st.booleans(), st.booleans())
def test_sidechain_scan_of_the_carriers_equals_the_scan_of_the_block(
    payments: list[int], overdraw: bool, bad: bool
) -> None:
    """SC-BLK-1..8: the fraud-proof chain's blocks (deposits, two checkpoints, the second with an
    outbox withdrawing more than the escrow), then a block with an equivocation or an
    escrow-overdraw proof, each with payments (and null data that is no message) between its
    transactions, give with ``carriers`` the block result (state, deposits and inbound messages
    with their positions, released values by transaction position, penalties) or the error of the
    scan of every transaction; ``bad`` adds a malformed sidechain message to the last block."""
    from conformance import fraudchain as fc
    from conformance import gamechain
    from conformance import sidechainbuilder as sb
    from spec.sidechain.state import apply_block_to_sidechains
    from spec.sidechain.transactions import SIDECHAIN_PREFIX

    fraud = fc.chain(PRESET, fc.ESCROW + 1)
    filler: list[list[TxOutput]] = [
        [TxOutput(5, sb.ALICE)],
        [TxOutput(5, sb.ALICE), TxOutput(0, null_data_script(b"memo", PRESET.script))],
        [TxOutput(1, sb.ALICE), TxOutput(2, sb.ALICE)],
        [],
    ]
    proof = fc.overdraw(fraud) if overdraw else fc.equivocation(fraud.checkpoint_1)
    last: list[TxOutput] = [sb.message_output(proof, 0, PRESET)]
    blocks = [*fraud.blocks, (fc.PROOF_AT, (last,))]
    state = gamechain.initial(fc.SPEC)
    picks = iter(payments * len(blocks) * 2)
    outcomes: list[str] = []
    for number, (height, outputs) in enumerate(blocks):
        lists: list[list[TxOutput]] = []
        for item in outputs:
            lists.extend(filler[pick] for pick in [next(picks)] if filler[pick])
            lists.append(list(item))
        if bad and number == len(blocks) - 1:
            lists.append([TxOutput(0, null_data_script(SIDECHAIN_PREFIX + b"\xff", PRESET.script))])
        transactions = sb.block(height, *lists)
        carriers = message_carriers(transactions)
        assert len(carriers) < len(transactions)  # the coinbase (and payments) are not read
        scan = partial(apply_block_to_sidechains, state, transactions, height, sb.keys(), PRESET)
        every = _outcome(scan)
        assert _outcome(partial(scan, carriers=carriers)) == every
        outcomes.append(str(every[0] if every[0] == "ok" else every[1]))
        if every[0] == "ok":
            state = scan().state
    assert outcomes[:-1] == ["ok"] * (len(blocks) - 1)
    assert (outcomes[-1] == "ok") is not bad  # the proof convicts; the malformed message rejects
