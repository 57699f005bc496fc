"""The full-state commitment (STATE-2..7, fork ``state_trie`` ST-1; docs/trie.md "State layout").

Properties (Hypothesis):

* **the layout is a bijection**: ``state_from_items(compute_state_items(s)) == s`` (the committed
  part) for every state of a chain with masternodes, governance, quorum records and tickets, and
  for random edits of them (added, changed and removed entries of every kind); every item value is
  non-empty; keys of different kinds never collide;
* **incremental equals definitional**: applying :func:`state_item_changes` between two random
  states to the first's persistent trie gives ``compute_state_root`` of the second (the oracle,
  MPT-6), and so does every block of a chain that activates ``state_trie`` (the header's root,
  ``ChainState.commitment`` and ``compute_state_root`` agree), while every block before the
  activation commits to the UTXO root (STATE-1);
* **decoding is strict**: an item of unknown kind, a key of the wrong length or not the one its
  value determines, a missing singleton, a non-canonical value raise their ``STATE_ITEM_*`` /
  ``DECODE_*`` code, and nothing else escapes on random items;
* **proofs**: every item and absent key proves against the root with ``verify_state_proof``; a
  wrong value, a wrong root or a tampered proof is refused.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.masternodechain import quorum_chain
from conformance.upgradechain import state_trie_chain
from spec.chain.commitment import (
    SINGLETON_KEYS,
    CommittedState,
    StateCommitment,
    advance_commitment,
    build_commitment,
    compute_state_items,
    compute_state_root,
    proposal_key,
    state_from_items,
    state_item_changes,
    verify_state_proof,
)
from spec.chain.layout import StateLayout
from spec.chain.state import ChainState, chain_state_from_items
from spec.chain.tickets import Ticket
from spec.errors import SpecError, TrieError
from spec.forks import FORKS, fork_in_force
from spec.governance.proposals import GovernedParameters, ScheduledChange, VoteChoice, VoteRecord
from spec.ledger.state import utxo_state_root
from spec.ledger.transaction import OutPoint
from spec.masternode.finality import QuorumRecord
from spec.masternode.registry import MasternodeStatus
from spec.presets import DEVNET
from spec.trie import RUSTY_TRIE_HASHER, Trie, prove
from tests.hypothesis_profiles import examples

ACTIVATION = 50
"""Devnet: ``state_trie`` is ACTIVE from height 50 on the scripted chain."""


@cache
def rich_states() -> tuple[ChainState, ...]:
    """Every state of the devnet quorum chain (masternodes, a proposal and its votes, an executed
    proposal, finality and PoSe quorum records, the treasury)."""
    return tuple(quorum_chain(DEVNET).builder.states)


def committed(state: ChainState | CommittedState) -> CommittedState:
    return CommittedState(
        utxos=dict(state.utxos),
        tickets=dict(state.tickets),
        ticket_price=state.ticket_price,
        treasury=state.treasury,
        masternodes=state.masternodes,
        governance=state.governance,
        quorums=state.quorums,
        deployments=tuple(state.deployments),
    )


def test_rich_states_cover_every_kind() -> None:
    kinds = {key[0] for s in rich_states() for key in compute_state_items(s, DEVNET)}
    assert kinds >= {0x00, 0x01, 0x03, 0x04, 0x05, 0x06, 0x08, 0x09}


def test_layout_round_trips_every_state_of_a_chain() -> None:
    for state in rich_states():
        items = compute_state_items(state, DEVNET)
        assert all(items.values())
        assert set(SINGLETON_KEYS) <= set(items)
        assert state_from_items(items, DEVNET) == committed(state)
        rebuilt = chain_state_from_items(
            items, state.tip_hash, state.height, state.bits, state.timestamps, state.cumulative_work, DEVNET
        )
        assert rebuilt == state


@st.composite
def edited_state(draw: st.DrawFn) -> CommittedState:
    """A state of the rich chain with random entries of every kind added, changed or removed."""
    base = draw(st.sampled_from(rich_states()[1:]))
    outpoint = st.builds(OutPoint, st.binary(min_size=32, max_size=32), st.integers(0, 5))
    height = st.integers(0, 2**32)
    utxos = dict(base.utxos)
    for gone in draw(st.lists(st.sampled_from(sorted(utxos)), max_size=3)) if utxos else []:
        utxos.pop(gone, None)
    tickets = dict(base.tickets)
    for point in draw(st.lists(outpoint, max_size=3)):
        tickets[point] = Ticket(
            point, draw(height), draw(st.binary(max_size=33)), draw(st.binary(max_size=20))
        )
    entries = dict(base.masternodes.entries)
    edited = st.lists(st.sampled_from(sorted(entries)), max_size=2, unique=True) if entries else st.just([])
    for collateral in draw(edited):
        if draw(st.booleans()):
            del entries[collateral]
        else:
            entries[collateral] = replace(
                entries[collateral],
                status=draw(st.sampled_from(MasternodeStatus)),
                pose_score=draw(height),
                last_paid_height=draw(st.none() | height),
            )
    gov = base.governance
    votes = {k: dict(v) for k, v in gov.votes.items()}
    for proposal in draw(st.lists(st.binary(min_size=32, max_size=32), max_size=2)):
        votes[proposal] = {
            point: VoteRecord(draw(st.sampled_from(VoteChoice)), draw(height))
            for point in draw(st.lists(outpoint, min_size=1, max_size=3))
        }
    names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=30)
    parameters = GovernedParameters(tuple(sorted(draw(st.dictionaries(names, height, max_size=3)).items())))
    scheduled = tuple(
        ScheduledChange(draw(height), draw(names), draw(height), draw(st.binary(min_size=32, max_size=32)))
        for _ in range(draw(st.integers(0, 2)))
    )
    executed = gov.executed | frozenset(draw(st.lists(st.binary(min_size=32, max_size=32), max_size=2)))
    governance = replace(gov, votes=votes, parameters=parameters, scheduled=scheduled, executed=executed)
    records = dict(base.quorums.records)
    for base_height in draw(st.lists(st.integers(0, 2**40), max_size=2)):
        records[base_height] = QuorumRecord(
            base_height, bytes(32), bytes(32), (bytes(48),), 1, None, draw(st.none() | height)
        )
    return CommittedState(
        utxos=utxos,
        tickets=tickets,
        ticket_price=draw(st.integers(0, 2**64 - 1)),
        treasury=draw(st.integers(0, 2**64 - 1)),
        masternodes=replace(base.masternodes, entries=entries),
        governance=governance,
        quorums=replace(base.quorums, records=records),
        deployments=base.deployments,
    )


@settings(max_examples=examples(25), deadline=None)
@given(edited_state())
def test_layout_round_trips_random_states(state: CommittedState) -> None:
    items = compute_state_items(state, DEVNET)
    assert all(items.values())
    assert state_from_items(items, DEVNET) == state


@settings(max_examples=examples(20), deadline=None)
@given(edited_state(), edited_state())
def test_incremental_changes_equal_the_definition(before: CommittedState, after: CommittedState) -> None:
    """STATE-6 against STATE-4: the changes applied to ``before``'s trie give ``after``'s root."""
    old, new = compute_state_items(before, DEVNET), compute_state_items(after, DEVNET)
    touched_utxos = set(before.utxos) | set(after.utxos)
    touched_tickets = set(before.tickets) | set(after.tickets)
    changes = state_item_changes(before, after, touched_utxos, touched_tickets, DEVNET)
    for key in set(old) | set(new):
        if old.get(key) != new.get(key):
            assert changes[key] == new.get(key)
    commitment = build_commitment(before, StateLayout.FULL, DEVNET)
    assert commitment.root == compute_state_root(before, DEVNET)
    advanced = advance_commitment(
        commitment, before, after, StateLayout.FULL, touched_utxos, touched_tickets, DEVNET
    )
    assert advanced.root == compute_state_root(after, DEVNET)
    assert advanced.commits_to(after, StateLayout.FULL)


def test_a_commitment_is_reused_only_for_the_state_it_commits_to() -> None:
    state = rich_states()[-1]
    commitment = build_commitment(state, StateLayout.FULL, DEVNET)
    assert commitment.commits_to(state, StateLayout.FULL)
    assert not commitment.commits_to(state, StateLayout.UTXO)
    assert not commitment.commits_to(replace(state, utxos=dict(state.utxos)), StateLayout.FULL)
    assert not commitment.commits_to(replace(state, treasury=state.treasury + 1), StateLayout.FULL)
    # a stale commitment is not used: the next state is committed from scratch, correctly
    changed = replace(state, treasury=state.treasury + 1)
    stale = StateCommitment(StateLayout.FULL, commitment.trie, commitment.basis)
    fresh = advance_commitment(stale, changed, changed, StateLayout.FULL, (), (), DEVNET)
    assert fresh.root == compute_state_root(changed, DEVNET)


def test_fork_activation_switches_the_committed_root() -> None:
    """ST-1: UTXO root (STATE-1) up to 49, full-state root (STATE-4) from the activation at 50."""
    builder = state_trie_chain(DEVNET, ACTIVATION + 3)
    for height, block in enumerate(builder.blocks):
        after = builder.states[height + 1]
        assert after.commitment is not None
        assert after.commitment.root == block.header.state_root
        if height < ACTIVATION:
            assert fork_in_force(after.deployments, DEVNET).state_layout() is StateLayout.UTXO
            assert block.header.state_root == utxo_state_root(after.utxos, DEVNET)
        else:
            assert fork_in_force(after.deployments, DEVNET).name == "state_trie"
            assert block.header.state_root == compute_state_root(after, DEVNET)
            assert state_from_items(compute_state_items(after, DEVNET), DEVNET) == committed(after)


def test_state_trie_keeps_the_rules_of_governed_tickets() -> None:
    """UPG-1: fork 2 inherits GT-1/GT-2 unchanged (its only override is the state layout)."""
    _, governed, state_trie, *_ = FORKS
    assert state_trie.governance_preset(DEVNET) == governed.governance_preset(DEVNET)
    names = [p.name for p in state_trie.governance_preset(DEVNET).governance.governable]
    assert "tickets.target_pool_size" in names
    assert state_trie.ticket_price_preset(DEVNET, DEVNET) == governed.ticket_price_preset(DEVNET, DEVNET)


def test_blocks_after_activation_reuse_the_parent_trie() -> None:
    """STATE-6: after the activation block the parent's trie is advanced, not rebuilt: the new trie
    shares every node of the parent's that the block did not touch."""
    builder = state_trie_chain(DEVNET, ACTIVATION + 3)
    parent, child = builder.states[ACTIVATION + 1], builder.states[ACTIVATION + 2]
    assert parent.commitment is not None and child.commitment is not None
    assert child.commitment.commits_to(child, StateLayout.FULL)
    shared = set(parent.commitment.trie.node_store) & set(child.commitment.trie.node_store)
    assert shared  # untouched subtrees are the same nodes
    assert len(child.commitment.touched_utxos) < len(child.utxos)


# ----------------------------------------------------------------------------------- decoding


def items_of_last() -> dict[bytes, bytes]:
    return compute_state_items(rich_states()[-1], DEVNET)


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda items: items.update({b"\x0a" + bytes(8): b"\x01"}), "STATE_ITEM_BAD_KEY"),
        (lambda items: items.update({b"": b"\x01"}), "STATE_ITEM_BAD_KEY"),
        (lambda items: items.update({b"\x00\x09": b"\x01"}), "STATE_ITEM_BAD_KEY"),
        (lambda items: items.update({b"\x06" + bytes(31): b"\x01"}), "STATE_ITEM_BAD_KEY"),
        (lambda items: items.update({b"\x06" + bytes(32): b"\x02"}), "STATE_ITEM_BAD_VALUE"),
        (lambda items: items.update({b"\x07" + b"a b": b"\x01" * 8}), "STATE_ITEM_BAD_KEY"),
        (lambda items: items.update({b"\x07" + b"a": b"\x01" * 7}), "DECODE_TRUNCATED"),
        (lambda items: items.pop(SINGLETON_KEYS[1]), "STATE_ITEM_MISSING"),
        (lambda items: items.update({SINGLETON_KEYS[0]: bytes(9)}), "DECODE_TRAILING_BYTES"),
    ],
)
def test_state_from_items_rejects(edit: object, code: str) -> None:
    items = items_of_last()
    assert callable(edit)
    edit(items)
    with pytest.raises(SpecError) as raised:
        state_from_items(items, DEVNET)
    assert raised.value.code == code


def test_a_key_that_is_not_the_one_its_value_determines_is_refused() -> None:
    items = items_of_last()
    key = next(k for k in items if k[0] == 0x04)
    items[proposal_key(bytes(32))] = items.pop(key)
    with pytest.raises(SpecError) as raised:
        state_from_items(items, DEVNET)
    assert raised.value.code == "STATE_ITEM_BAD_KEY"


def test_a_bad_enumeration_tag_is_refused() -> None:
    items = items_of_last()
    key = next(k for k in items if k[0] == 0x05) if any(k[0] == 0x05 for k in items) else None
    if key is None:
        key = b"\x05" + bytes(32) + bytes(36)
    items[key] = b"\x03" + bytes(8)
    with pytest.raises(SpecError) as raised:
        state_from_items(items, DEVNET)
    assert raised.value.code == "DECODE_INVALID_TAG"


@settings(max_examples=examples(100), deadline=None)
@given(st.dictionaries(st.binary(max_size=70), st.binary(max_size=80), max_size=6), st.booleans())
def test_state_from_items_raises_only_spec_errors(extra: dict[bytes, bytes], keep: bool) -> None:
    items = {**(items_of_last() if keep else {}), **extra}
    with contextlib.suppress(SpecError):
        state_from_items(items, DEVNET)


# ------------------------------------------------------------------------------------- proofs


def test_every_item_and_an_absent_key_prove_against_the_root() -> None:
    state = rich_states()[-1]
    items = compute_state_items(state, DEVNET)
    trie = Trie.from_items(items, RUSTY_TRIE_HASHER)
    root = compute_state_root(state, DEVNET)
    assert trie.root_hash == root
    for key, value in items.items():
        verify_state_proof(root, key, value, prove(trie, key))
    absent = b"\x02" + bytes(36)
    verify_state_proof(root, absent, None, prove(trie, absent))
    key, value = next(iter(items.items()))
    proof = prove(trie, key)
    bad: list[tuple[bytes, bytes, bytes | None, tuple[bytes, ...]]] = [
        (root, key, value + b"\x00", proof),
        (root, key, None, proof),
        (root, absent, value, prove(trie, absent)),
        (bytes(32), key, value, proof),
        (root, key, value, proof[:-1]),
        (root, key, b"", proof),
    ]
    for claim in bad:
        with pytest.raises(TrieError):
            verify_state_proof(*claim)
