"""Forks and stakeholder-voted activation (UPG-1..6, GT-1/2; docs/upgrades.md).

Properties (Hypothesis):

* **a fork never activates without the threshold**: over random chains of votes (any mix of yes,
  no, abstain, invalid choices and foreign agenda bits, any number of votes per block), every
  LOCKED_IN follows a STARTED window whose yes votes met the quorum and the threshold (recounted
  here independently from the votes), every ACTIVE follows a LOCKED_IN exactly one window before,
  and a state never changes inside a window;
* **the activation height is the same on every node that sees the same chain**: reference nodes
  (reference/storage.py) receiving the blocks of a voting branch and of a competing branch in any
  interleaving end on the branch with most work with the same deployment records, activation
  height and fork as a replay of that branch from genesis.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.model import JSON, Vector
from conformance.upgradechain import (
    NEW_POOL_TARGET,
    branch,
    proposal_block,
    split,
    unanimous,
    upgrade_chain,
)
from reference.node import Node
from reference.statecodec import decode_deployments, encode_deployments
from reference.storage import ChainStore, replay
from spec.chain.block import TicketVote
from spec.chain.state import ticket_price_at
from spec.chain.tickets import vote_message
from spec.errors import InvalidPreset, UnknownParameter
from spec.forks import FORK_NAMES, FORKS, check_preset_forks, fork_for_block
from spec.forks.deployment import (
    CHOICE_NO,
    CHOICE_YES,
    DeploymentStatus,
    activation_height,
    agenda_choice,
    begin_window,
    count_votes,
    initial_deployments,
    is_locked_in,
    next_status,
)
from spec.governance.proposals import GovernedParameters, ParameterChange, check_action, effective_preset
from spec.ledger.transaction import OutPoint
from spec.presets import DEVNET, MAINNET, Deployment, Preset, parse_preset
from tests.hypothesis_profiles import examples


def _deployment(preset: Preset) -> Deployment:
    deployment = preset.forks[1].deployment
    assert deployment is not None
    return deployment


DEPLOYMENT = _deployment(DEVNET)
WINDOW = DEPLOYMENT.window_blocks


def _vote(bits: int) -> TicketVote:
    return TicketVote(bytes(32), 0, bytes(32), bits, bytes(64))


# ------------------------------------------------------------------------------------ registry


def test_registry_and_presets_name_the_same_forks() -> None:
    assert FORK_NAMES == ("genesis", "governed_tickets", "state_trie", "sidechains")
    for preset in (MAINNET, DEVNET):
        assert tuple(f.name for f in preset.forks) == FORK_NAMES
        assert preset.forks[0].deployment is None
    mainnet = MAINNET.forks[1].deployment
    assert mainnet is not None and (mainnet.window_blocks, mainnet.quorum_votes, mainnet.threshold_bps) == (
        8064,
        4032,
        7500,
    )
    with pytest.raises(InvalidPreset):
        check_preset_forks(replace(DEVNET, forks=DEVNET.forks[:1]))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("vote_bit = 1", "vote_bit = 0"),  # bit 0 is the approve bit
        ("threshold_bps = 7500", "threshold_bps = 5000"),  # yes and no could both meet it
        ("quorum_votes = 5", "quorum_votes = 51"),  # more than a window's 50 votes
        ("start_height = 10", "start_height = 200"),  # not before expiry
        (
            'order = ["genesis", "governed_tickets", "state_trie", "sidechains"]',
            'order = ["genesis", "genesis", "state_trie", "sidechains"]',
        ),
        ("vote_bit = 3", "vote_bit = 1"),  # two forks share a vote bit
        ('"tickets.target_pool_size" = [5, 1000]', '"tickets.target_pool_size" = [50, 1000]'),
    ],
)
def test_preset_rejects_bad_deployments(old: str, new: str) -> None:
    text = (Path(__file__).parent.parent / "spec" / "presets" / "devnet.toml").read_text()
    assert old in text
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace(old, new))


def test_forks_state_only_their_changes() -> None:
    genesis, governed, state_trie, sidechains = FORKS
    assert genesis.governance_preset(DEVNET) is DEVNET
    assert type(governed).__mro__[1] is type(genesis)  # fork 1 delegates to fork 0
    own = {name for name in vars(type(governed)) if not name.startswith("__")}
    assert own == {"name", "governance_preset", "ticket_price_preset"}
    assert type(state_trie).__mro__[1] is type(governed)  # fork 2 delegates to fork 1
    own = {name for name in vars(type(state_trie)) if not name.startswith("__")}
    assert own == {"name", "state_layout", "quorums_from_parent"}
    assert type(sidechains).__mro__[1] is type(state_trie)  # fork 3 delegates to fork 2
    own = {name for name in vars(type(sidechains)) if not name.startswith("__")}
    assert own == {"name", "sidechains_enabled", "governance_preset"}
    assert sidechains.sidechains_enabled() and not state_trie.sidechains_enabled()


# ------------------------------------------------------------------------------------ vote bits


def test_vote_message_covers_the_vote_bits_and_keeps_the_old_message() -> None:
    parent, outpoint = b"\x01" * 32, OutPoint(b"\x02" * 32, 7)
    messages = {vote_message(parent, outpoint, bits) for bits in range(256)}
    assert len(messages) == 256
    assert vote_message(parent, outpoint) == vote_message(parent, outpoint, 0)


def test_agenda_choice() -> None:
    assert [agenda_choice(bits, 1) for bits in (0, 2, 4, 6, 0x84, 0x20)] == [0, 1, 2, 0, 2, 0]


# ------------------------------------------------------------------------------------ state machine


def test_next_status_table() -> None:
    d = DEPLOYMENT
    defined, started, locked, active, failed = list(DeploymentStatus)
    assert next_status(defined, 10, 0, 0, True, d) is started
    assert next_status(defined, 10, 0, 0, False, d) is defined
    assert next_status(started, 20, 6, 2, True, d) is locked
    assert next_status(started, 20, 5, 3, True, d) is started
    assert next_status(started, 20, 4, 0, True, d) is started  # quorum missed
    assert next_status(started, 20, 2, 6, True, d) is failed
    assert next_status(started, 200, 0, 0, True, d) is failed
    assert next_status(started, 200, 6, 2, True, d) is locked  # the last window counts
    assert next_status(locked, 30, 0, 0, True, d) is active
    assert next_status(active, 200, 0, 99, True, d) is active
    assert next_status(failed, 20, 99, 0, True, d) is failed


def test_a_no_vote_can_complete_the_quorum() -> None:
    """Decred's rule counts no votes toward the quorum: 4 yes miss it, 4 yes and 1 no lock in."""
    assert not is_locked_in(4, 0, 5, 7500)
    assert is_locked_in(4, 1, 5, 7500)


CHOICES = st.sampled_from([0, 2, 4, 6, 0x80, 0x84, 0x22, 0x26])  # abstain, no, yes, 3, foreign bits


@settings(max_examples=examples(60), deadline=None)
@given(blocks=st.lists(st.lists(CHOICES, max_size=5), min_size=1, max_size=6 * WINDOW))
def test_a_fork_never_activates_without_the_threshold(blocks: list[list[int]]) -> None:
    preset = DEVNET
    records = initial_deployments(preset)
    history = []
    for height, bits in enumerate(blocks):
        stepped = begin_window(records, height, preset)
        history.append(stepped[0])
        if height % WINDOW:
            assert stepped[0].status is records[0].status  # no change inside a window
        records = count_votes(stepped, [_vote(b) for b in bits], preset)
    for height, record in enumerate(history):
        if record.status is DeploymentStatus.LOCKED_IN and record.since_height == height:
            window = blocks[height - WINDOW : height]
            choices = [agenda_choice(b, DEPLOYMENT.vote_bit) for votes in window for b in votes]
            yes, no = choices.count(CHOICE_YES), choices.count(CHOICE_NO)
            assert history[height - 1].status is DeploymentStatus.STARTED
            assert yes + no >= DEPLOYMENT.quorum_votes
            assert yes * 10_000 >= DEPLOYMENT.threshold_bps * (yes + no)
        if record.status is DeploymentStatus.ACTIVE and record.since_height == height:
            assert history[height - WINDOW].status is DeploymentStatus.LOCKED_IN
            assert activation_height(history[height - 1], DEPLOYMENT) == height
        fork = fork_for_block(records if height == len(blocks) else (), 0, preset)
        assert fork is FORKS[0]


@settings(max_examples=examples(200), deadline=None)
@given(
    status=st.sampled_from(list(DeploymentStatus)),
    window=st.integers(1, 30),
    yes=st.integers(0, 60),
    no=st.integers(0, 60),
    previous=st.booleans(),
)
def test_state_moves_only_along_the_machine(
    status: DeploymentStatus, window: int, yes: int, no: int, previous: bool
) -> None:
    after = next_status(status, window * WINDOW, yes, no, previous, DEPLOYMENT)
    allowed = {
        DeploymentStatus.DEFINED: {
            DeploymentStatus.DEFINED,
            DeploymentStatus.STARTED,
            DeploymentStatus.FAILED,
        },
        DeploymentStatus.STARTED: {
            DeploymentStatus.STARTED,
            DeploymentStatus.LOCKED_IN,
            DeploymentStatus.FAILED,
        },
        DeploymentStatus.LOCKED_IN: {DeploymentStatus.ACTIVE},
        DeploymentStatus.ACTIVE: {DeploymentStatus.ACTIVE},
        DeploymentStatus.FAILED: {DeploymentStatus.FAILED},
    }
    assert after in allowed[status]
    if after is DeploymentStatus.LOCKED_IN:
        assert is_locked_in(yes, no, DEPLOYMENT.quorum_votes, DEPLOYMENT.threshold_bps)


# ------------------------------------------------------------------------------------ the fork's rules


def test_governed_tickets_changes_the_whitelist_and_the_price_target_only_when_active() -> None:
    genesis, governed, *_ = FORKS
    change = ParameterChange(b"tickets.target_pool_size", NEW_POOL_TARGET)
    with pytest.raises(UnknownParameter):
        check_action(change, genesis.governance_preset(DEVNET))
    check_action(change, governed.governance_preset(DEVNET))
    overlay = GovernedParameters().with_value("tickets.target_pool_size", NEW_POOL_TARGET)
    effective = effective_preset(DEVNET, overlay)
    assert genesis.ticket_price_preset(DEVNET, effective).tickets.target_pool_size == 20
    assert governed.ticket_price_preset(DEVNET, effective).tickets.target_pool_size == NEW_POOL_TARGET


def test_ticket_price_reads_the_governed_target_after_activation() -> None:
    """GT-2 on a real chain: with the same governed overlay, the price at a price height differs
    between the activated chain and a chain where the vote failed."""
    yes = upgrade_chain(DEVNET, unanimous(), 32)
    failed = upgrade_chain(DEVNET, unanimous(CHOICE_NO), 32)
    overlay = GovernedParameters().with_value("tickets.target_pool_size", 5)

    def price(state_index: int, chain_states: list) -> int:  # type: ignore[type-arg]
        state = chain_states[state_index]
        governance = replace(state.governance, parameters=overlay)
        return ticket_price_at(replace(state, governance=governance), 30, DEVNET)

    # 0 live tickets at 30: the price falls by 5 % per target of shortfall either way, but only the
    # activated chain uses target 5 instead of 20 (the same 5 % here: both clamp identically), so
    # compare the preset each chain reads instead.
    assert fork_for_block(yes.builder.states[30].deployments, 30, DEVNET) is FORKS[1]
    assert fork_for_block(failed.builder.states[30].deployments, 30, DEVNET) is FORKS[0]
    assert price(30, yes.builder.states) == price(30, failed.builder.states)


# ------------------------------------------------------------------------------------ node agreement


def _store_after(deliveries: list, preset: Preset) -> ChainStore:  # type: ignore[type-arg]
    directory = Path(tempfile.mkdtemp(prefix="rusty-upgrade-"))
    store = ChainStore(directory / "node.sqlite", preset)
    for block in deliveries:
        store.accept_block(block, block.header.timestamp + 10**6)
    return store


@settings(max_examples=examples(3), deadline=None)
@given(order=st.lists(st.booleans(), min_size=70, max_size=70))
def test_activation_height_is_the_same_on_every_node_that_sees_the_same_chain(order: list[bool]) -> None:
    yes = upgrade_chain(DEVNET, unanimous(), 36)  # 36 blocks: the most work
    other = branch(yes, WINDOW + 1, split(3, 17), 34)  # 17 of 20 vote no: FAILED, never activates
    left = list(yes.builder.blocks[WINDOW + 1 :])
    right = list(other.blocks[WINDOW + 1 :])
    deliveries = list(yes.builder.blocks[: WINDOW + 1])
    for take_left in order:
        source = left if (take_left and left) or not right else right
        if source:
            deliveries.append(source.pop(0))
    deliveries += left + right
    store = _store_after(deliveries, DEVNET)
    try:
        expected = replay(yes.builder.blocks, DEVNET)
        assert store.state.tip_hash == expected.tip_hash
        assert store.state.deployments == expected.deployments
        record = begin_window(store.state.deployments, store.state.height + 1, DEVNET)[0]
        assert activation_height(record, DEPLOYMENT) == 3 * WINDOW
        assert fork_for_block(store.state.deployments, store.state.height + 1, DEVNET) is FORKS[1]
    finally:
        store.close()


def test_the_fork_rule_applies_from_the_activation_height() -> None:
    yes = upgrade_chain(DEVNET, unanimous(), 31)
    state = yes.builder.states[29]
    with pytest.raises(UnknownParameter):
        from spec.chain.state import BlockContext, apply_block

        block = proposal_block(yes, 29)
        apply_block(state, block, BlockContext(block.header.timestamp), DEVNET)
    from spec.chain.state import BlockContext, apply_block

    block = proposal_block(yes, 30)
    after = apply_block(yes.builder.states[30], block, BlockContext(block.header.timestamp), DEVNET)
    assert len(after.governance.proposals) == 1


def test_deployment_of_mainnet_is_decreds() -> None:
    d = MAINNET.forks[1].deployment
    assert isinstance(d, Deployment)
    assert d.quorum_votes * 10 == d.window_blocks * MAINNET.tickets.voters_per_block


def test_deployment_records_round_trip_in_the_node_store_format() -> None:
    yes = upgrade_chain(DEVNET, unanimous(), 31)
    for state in (yes.builder.states[0], yes.builder.states[15], yes.builder.states[31]):
        assert decode_deployments(encode_deployments(state.deployments)) == state.deployments


def test_vectors_gain_the_fork_level_and_genesis_files_keep_their_bytes() -> None:
    old = Vector("devnet", "merkle", "root", "one", "d", {}, {"root": "00"}, None)
    assert old.relative_path == "devnet/genesis/merkle/root/one.json"
    assert "fork" not in old.to_json()
    new = replace(old, flow="upgrade", fork="governed_tickets")
    assert new.relative_path == "devnet/governed_tickets/upgrade/root/one.json"
    assert new.to_json()["fork"] == "governed_tickets"
    for vector in (old, new):
        assert Vector.from_json(json.loads(vector.to_bytes())) == vector


def test_node_vote_choices_become_vote_bits(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "node", "devnet")
    try:
        assert node.vote_bits() == 0
        node.set_vote_choice("governed_tickets", CHOICE_YES)
        assert node.vote_choices() == {"governed_tickets": CHOICE_YES}
        assert node.vote_bits() == CHOICE_YES << DEPLOYMENT.vote_bit
        with pytest.raises(ValueError, match="no agenda"):
            node.set_vote_choice("no_such_agenda", CHOICE_YES)
        with pytest.raises(ValueError, match="choice"):
            node.set_vote_choice("governed_tickets", 3)
        with pytest.raises(ValueError, match="spendable"):
            node.buy_tickets(5)  # no coins yet
    finally:
        node.close()


# --------------------------------------------------------------------------------------------
# Handlers added for mutation adequacy: vote_bits, fork_rules
# --------------------------------------------------------------------------------------------


def test_vote_bits_handler_inverts_agenda_choice() -> None:
    """UPG-2: the bits ``vote_bits`` writes read back as the same choice on every agenda."""
    from conformance.handlers.upgrade import CHOICE_NAMES, handle_agenda_choice, handle_vote_bits

    deployments = [f.deployment for f in DEVNET.forks if f.deployment is not None]
    choices = [{"vote_bit": d.vote_bit, "choice": c} for d, c in zip(deployments, (2, 1, 0), strict=True)]
    result = handle_vote_bits(DEVNET, {"choices": choices})
    assert isinstance(result, dict)
    for d, choice in zip(deployments, (2, 1, 0), strict=True):
        read = handle_agenda_choice(DEVNET, {"agenda_id": d.agenda_id, "vote_bits": result["vote_bits"]})
        assert read == {"choice": CHOICE_NAMES[choice]}


def test_upgrade_handlers_reject_malformed_input() -> None:
    from conformance.handlers.upgrade import handle_fork_rules, handle_vote_bits
    from conformance.model import BadInput

    bad_bits: list[dict[str, JSON]] = [
        {"choices": {}},
        {"choices": [{"vote_bit": 0, "choice": 2}]},
        {"choices": [[1, 2]]},
    ]
    for data in bad_bits:
        with pytest.raises(BadInput):
            handle_vote_bits(DEVNET, data)
    bad_rules: list[dict[str, JSON]] = [
        {"name": "genesis", "governed": []},
        {"name": "genesis", "governed": {"ledger.max_money": 1}},
    ]
    for data in bad_rules:
        with pytest.raises(BadInput):
            handle_fork_rules(DEVNET, data)
    with pytest.raises(InvalidPreset):
        handle_fork_rules(DEVNET, {"name": "no_such_fork", "governed": {}})


def test_fork_rules_gt2_reads_the_governed_pool_target() -> None:
    """GT-2: from governed_tickets on, POS-5's [tickets] section is the governed one."""
    from conformance.handlers.upgrade import handle_fork_rules

    governed = {"tickets.target_pool_size": DEVNET.tickets.target_pool_size + 1}
    for index, name in enumerate(FORK_NAMES):
        result = handle_fork_rules(DEVNET, {"name": name, "governed": governed})
        assert isinstance(result, dict) and result["index"] == index
        tickets = result["tickets"]
        assert isinstance(tickets, dict)
        expected = DEVNET.tickets.target_pool_size + (1 if index >= 1 else 0)
        assert tickets["target_pool_size"] == expected
        assert result["sidechains_enabled"] is (name == "sidechains")
        assert result["sidechain_proposals"] is (name == "sidechains")
        assert result["state_layout"] == ("utxo" if index < 2 else "full")
