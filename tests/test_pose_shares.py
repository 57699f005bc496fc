"""POSE-9..11: missed finality shares and the challenger subset.

Properties (docs/governance.md, "Missed finality shares" and "Challenger subsets"):

* an honest finality member that sends every share is never penalised, whatever the other members
  do and whichever heights were finalized; one silent for the whole window is penalised iff more
  than ``finality_share_tolerance`` heights of the window were finalized (all of them when the
  others sign), on both presets;
* the missed counts equal an independent count (per member: counted heights without its share);
* each target's challengers are ``min(s, n)`` distinct members of ``1..n``, ascending, a pure
  function of (term, target, n); a member challenges exactly the targets whose subset holds it;
* with the subset's challenges and the answers flooded, every member's POSE-7 verdict penalises
  exactly the silent targets, never a target that answered one of its challengers.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.generators.masternode import (
    LABELS,
    challenge_scenario,
    finality_record,
    funded_list,
    operator,
    operator_secrets,
)
from spec.errors import InvalidPreset
from spec.ledger.transaction import OutPoint
from spec.masternode.challenge import (
    assigned_targets,
    challenge_targets,
    challengers,
    check_challenge,
    check_response,
    make_challenge,
    make_response,
    unanswered,
)
from spec.masternode.finality import QuorumRecord, finality_quorum_height
from spec.masternode.registry import MasternodeList
from spec.masternode.share_service import (
    HeightShares,
    count_missed,
    missed_shares,
    share_failures,
    share_window,
)
from spec.presets import DEVNET, MAINNET, Preset, parse_preset
from tests.hypothesis_profiles import examples

PRESETS = (DEVNET, MAINNET)


@cache
def _record(preset: Preset) -> tuple[QuorumRecord, int, int]:
    """The committed finality record in charge of the first PoSe term's window, and the window."""
    q = preset.masternodes.pose_quorum_interval
    first, end, _ = share_window(q, preset)
    base = finality_quorum_height(first, preset)
    assert base is not None and finality_quorum_height(end - 1, preset) == base
    return replace(finality_record(base, preset), group_public_key=b"\x01" * 48), first, end


@cache
def _list(preset: Preset) -> MasternodeList:
    return funded_list(LABELS, preset)


def test_the_window_and_verdict_lie_inside_the_judges_term() -> None:
    for preset in PRESETS:
        q = preset.masternodes.pose_quorum_interval
        first, end, verdict = share_window(q, preset)
        assert first == q + 25 and end - first == preset.masternodes.finality_share_window
        assert verdict < first + preset.masternodes.pose_quorum_interval  # a penalty lands in the term


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("finality_share_window = 10 ", "finality_share_window = 28 "),  # W + g = 30 = I
        ("finality_share_tolerance = 2 ", "finality_share_tolerance = 10 "),  # tolerance = W
    ],
)
def test_a_window_that_cannot_land_or_a_tolerance_that_forgives_all_is_refused(old: str, new: str) -> None:
    from importlib import resources

    text = (resources.files("spec.presets") / "devnet.toml").read_text()
    assert old in text
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace(old, new))


@settings(max_examples=examples(15), deadline=None)
@given(st.data())
def test_an_honest_member_is_never_penalised_and_a_silent_one_is(data: st.DataObject) -> None:
    preset = data.draw(st.sampled_from(PRESETS))
    record, first, end = _record(preset)
    n, t = len(record.members), record.threshold
    honest = data.draw(st.integers(1, n))
    silent = data.draw(st.integers(1, n).filter(lambda j: j != honest))
    others = [j for j in range(1, n + 1) if j not in (honest, silent)]
    observed: list[HeightShares] = []
    finalized = 0
    for height in range(first, end):
        signing = data.draw(st.lists(st.sampled_from(others), unique=True)) if others else []
        signers = frozenset({honest, *signing})
        finalized += len(signers) >= t
        observed.append(HeightShares(height, record, signers))
    mn_list = _list(preset)
    q = preset.masternodes.pose_quorum_interval
    missed = missed_shares(observed, q, preset)
    penalised = set(share_failures(mn_list, observed, q, preset))
    by_key = {e.operator_public_key: e.collateral for e in mn_list.entries.values()}
    assert missed[record.members[honest - 1]] == 0
    assert by_key[record.members[honest - 1]] not in penalised
    assert missed[record.members[silent - 1]] == finalized
    tolerance = preset.masternodes.finality_share_tolerance
    assert (by_key[record.members[silent - 1]] in penalised) == (finalized > tolerance)


def test_a_member_silent_while_the_others_sign_is_penalised_on_both_presets() -> None:
    for preset in PRESETS:
        record, first, end = _record(preset)
        n = len(record.members)
        observed = [HeightShares(h, record, frozenset(range(1, n))) for h in range(first, end)]
        mn_list = funded_list(LABELS, preset)
        q = preset.masternodes.pose_quorum_interval
        silent = next(
            e.collateral for e in mn_list.entries.values() if e.operator_public_key == record.members[-1]
        )
        assert share_failures(mn_list, observed, q, preset) == (silent,)


@settings(max_examples=examples(60), deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.integers(1, n),
            st.lists(st.frozensets(st.integers(0, n + 1)), max_size=12),
        )
    )
)
def test_missed_counts_equal_an_independent_count(case: tuple[int, int, list[frozenset[int]]]) -> None:
    n, t, sets = case
    counted = [s for s in sets if len(s & set(range(1, n + 1))) >= t]
    expected = tuple(sum(1 for s in counted if j not in s) for j in range(1, n + 1))
    assert count_missed(sets, n, t) == expected


@settings(max_examples=examples(40), deadline=None)
@given(
    st.integers(0, 10**6),
    st.binary(min_size=32, max_size=32),
    st.integers(0, 2**32 - 1),
    st.integers(1, 60),
    st.sampled_from(PRESETS),
)
def test_challengers_are_a_deterministic_subset(
    q: int, txid: bytes, index: int, n: int, preset: Preset
) -> None:
    target = OutPoint(txid, index)
    subset = challengers(q, target, n, preset)
    assert len(subset) == min(preset.masternodes.pose_challengers_per_target, n)
    assert list(subset) == sorted(set(subset)) and all(1 <= j <= n for j in subset)
    assert challengers(q, target, n, preset) == subset


def test_each_member_challenges_exactly_the_targets_whose_subset_holds_it() -> None:
    for preset in PRESETS:
        sc = challenge_scenario(preset)
        q, n = sc.challenge.quorum_height, len(sc.record.members)
        challenged: dict[OutPoint, set[int]] = {}
        for member in range(1, n + 1):
            own = sc.record.members[member - 1]
            for target in assigned_targets(sc.mn_list, own, q, member, n, preset):
                challenged.setdefault(target, set()).add(member)
        for target in challenge_targets(sc.mn_list, b""):
            own_member = {
                j
                for j in range(1, n + 1)
                if sc.record.members[j - 1] == sc.mn_list.entries[target].operator_public_key
            }
            assert challenged.get(target, set()) == set(challengers(q, target, n, preset)) - own_member


@settings(max_examples=examples(4), deadline=None)
@given(st.data())
def test_every_members_verdict_penalises_exactly_the_silent_targets(data: st.DataObject) -> None:
    """POSE-7 with POSE-11: the subset challenges, responses flood, every member judges alike."""
    preset = DEVNET
    sc = challenge_scenario(preset)
    q, n = sc.challenge.quorum_height, len(sc.record.members)
    secrets = operator_secrets()
    by_key = {operator(label).public_key: operator(label).secret for label in LABELS}
    targets = challenge_targets(sc.mn_list, b"")[:4]
    silent = set(data.draw(st.lists(st.sampled_from(targets), unique=True)))
    challenged: set[OutPoint] = set()
    answered: dict[OutPoint, int] = {}
    for target in targets:
        own = sc.mn_list.entries[target].operator_public_key
        for member in challengers(q, target, n, preset):
            if sc.record.members[member - 1] == own:
                continue
            nonce = data.draw(st.binary(min_size=32, max_size=32))
            challenge = make_challenge(secrets[sc.record.members[member - 1]], q, member, target, nonce)
            check_challenge(sc.record, sc.mn_list, challenge, sc.first, preset)
            challenged.add(target)
            if target in silent:
                continue
            response = make_response(by_key[own], challenge)
            check_response(sc.mn_list, challenge, response)
            arrival = data.draw(st.integers(sc.first, sc.deadline - 1))
            answered[target] = min(answered.get(target, arrival), arrival)
    penalised = set(unanswered(challenged, answered, q, preset))
    assert penalised == silent & challenged
