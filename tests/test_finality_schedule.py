"""Finality schedule properties (docs/masternodes.md, "Finality schedule (FIN-*)").

* **FIN-2 responsibility**: for any interval ``I`` and DKG phase lengths (so any ``D``), the quorum
  in charge of height ``h`` is ``None`` exactly below ``D``; otherwise it is based at a multiple of
  ``I``, its DKG has ended by ``h``, and it is the newest such quorum (the next one's DKG is still
  running at ``h``); every quorum is in charge of ``I`` consecutive heights, in base order.
* **FIN-3 safety**: for every ``n`` in ``1..50`` and ``t = quorum_threshold(n)``, ``2t > n``, so any
  two signer sets of ``t`` members share one. A simulation with the real finality quorum of the
  devnet (``finality_dkg_session`` over funded masternodes, an honest DKG, real threshold signing)
  in which members are offered random blocks at random heights: honest members follow
  :func:`~spec.masternode.finality.may_sign_finality`, up to ``2t - n - 1`` byzantine members sign
  everything, and two certificates for different blocks at one height never appear. With
  ``2t - n`` byzantine members they do (the bound is tight), and FIN-3 broken by honest members
  breaks safety too.
* **FIN-3 liveness**: when at least ``t`` honest members are offered the same increasing blocks,
  every offered height is certified.
* **FIN-1 sessions**: ``finality_dkg_session``'s members are ``select_quorum``'s FINALITY members in
  order (member ``j`` is DKG member ``j``), with their threshold and the base height as start;
  :func:`~spec.masternode.finality.member_index` finds exactly them. Base heights that are not
  multiples of ``I`` are ``DKG_INVALID_PARAMETERS``, too few active masternodes
  ``MN_QUORUM_TOO_SMALL``.
* **FIN-2/4 keys**: a certificate of the quorum based at ``b`` counts for height ``h`` (under the
  schedule's key choice) iff ``finality_quorum_height(h) == b``.
* Certificates round-trip through their 136-byte encoding, and arbitrary bytes are rejected only
  with ``DECODE_*``.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conformance.dkgbuilder import Finished, finality_share
from conformance.generators.masternode import (
    LABELS,
    finality_certificate,
    finality_quorum,
    funded_list,
    funding,
)
from spec.chain.forkchoice import (
    FinalityCertificate,
    decode_finality_certificate,
    encode_finality_certificate,
    verify_finality_certificate,
)
from spec.errors import DecodeError, DkgInvalidParameters, QuorumTooSmall
from spec.masternode import dkg, signing
from spec.masternode.finality import (
    dkg_length,
    finality_dkg_session,
    finality_quorum_height,
    is_finality_quorum_base,
    may_sign_finality,
    member_index,
)
from spec.masternode.quorum import QuorumType, quorum_threshold, select_quorum
from spec.masternode.registry import MasternodeList, MasternodeStatus
from spec.masternode.signing import SigningSession
from spec.presets import DEVNET, MAINNET, DkgParams, Preset
from tests.hypothesis_profiles import examples

HASH = st.binary(min_size=32, max_size=32)


def schedule_preset(interval: int, phases: tuple[int, int, int, int]) -> Preset:
    """DEVNET with another finality interval and other DKG phase lengths."""
    return replace(
        DEVNET,
        dkg=DkgParams(*phases, DEVNET.dkg.min_members),
        masternodes=replace(DEVNET.masternodes, finality_quorum_interval=interval),
    )


PHASES = st.tuples(*(st.integers(1, 40) for _ in range(4)))


# --------------------------------------------------------------------------------------------
# FIN-2: the quorum in charge of a height
# --------------------------------------------------------------------------------------------


def test_dkg_length_is_the_sum_of_the_phases() -> None:
    for preset in (DEVNET, MAINNET):
        params = preset.dkg
        total = (
            params.contribution_blocks
            + params.complaint_blocks
            + params.justification_blocks
            + params.finalization_blocks
        )
        assert dkg_length(preset) == total == dkg.session_end_height(0, params)


@given(st.integers(1, 300), PHASES, st.integers(0, 10**6) | st.integers(0, 2**64 - 1))
def test_quorum_in_charge_finished_its_dkg_and_is_the_newest(
    interval: int, phases: tuple[int, int, int, int], height: int
) -> None:
    preset = schedule_preset(interval, phases)
    length = dkg_length(preset)
    base = finality_quorum_height(height, preset)
    if height < length:
        assert base is None
        return
    assert base is not None
    assert base % interval == 0 and is_finality_quorum_base(base, preset)
    assert dkg.session_end_height(base, preset.dkg) <= height  # its DKG is over
    assert dkg.session_end_height(base + interval, preset.dkg) > height  # the next one's is not
    assert finality_quorum_height(height + 1, preset) in (base, base + interval)


@given(st.integers(1, 40), PHASES)
def test_schedule_matches_brute_force(interval: int, phases: tuple[int, int, int, int]) -> None:
    preset = schedule_preset(interval, phases)
    for height in range(0, 4 * interval + 4 * 40):
        finished = [
            b
            for b in range(0, height + 1)
            if is_finality_quorum_base(b, preset) and dkg.session_end_height(b, preset.dkg) <= height
        ]
        assert finality_quorum_height(height, preset) == (max(finished) if finished else None)


@pytest.mark.parametrize("preset", [DEVNET, MAINNET], ids=lambda p: p.name)
def test_each_quorum_is_in_charge_of_interval_consecutive_heights(preset: Preset) -> None:
    interval, length = preset.masternodes.finality_quorum_interval, dkg_length(preset)
    heights = range(0, length + 5 * interval)
    charge = [(h, finality_quorum_height(h, preset)) for h in heights]
    runs = [(base, [h for h, _ in group]) for base, group in itertools.groupby(charge, key=lambda hb: hb[1])]
    assert runs[0] == (None, list(range(length)))
    for position, (base, run) in enumerate(runs[1:]):
        assert base == position * interval
        assert run[0] == base + length
        assert len(run) == interval or run[-1] == heights[-1]


# --------------------------------------------------------------------------------------------
# FIN-3: two certificates for one height need 2t - n members that break the rule
# --------------------------------------------------------------------------------------------


def test_two_thirds_thresholds_overlap() -> None:
    for n in range(1, 51):
        t = quorum_threshold(n)
        assert 1 <= t <= n
        assert 2 * t > n  # two sets of t members of n share 2t - n >= 1 members


@given(st.data())
def test_any_two_signer_sets_intersect(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 50))
    t = quorum_threshold(n)
    members = list(range(1, n + 1))
    first = data.draw(st.sets(st.sampled_from(members), min_size=t, max_size=n))
    second = data.draw(st.sets(st.sampled_from(members), min_size=t, max_size=n))
    assert len(first & second) >= 2 * t - n >= 1


def test_may_sign_finality_is_at_most_once_and_increasing() -> None:
    assert may_sign_finality(None, 0)
    for last in (0, 1, 25, 2**64 - 2):
        assert not may_sign_finality(last, last)
        assert not may_sign_finality(last, max(0, last - 1)) or last == 0
        assert may_sign_finality(last, last + 1)


@pytest.fixture(scope="module")
def devnet_quorum() -> Finished:
    """The devnet finality quorum based at 0 of every funded masternode (n = 5, t = 4)."""
    return finality_quorum(0, DEVNET)


HEIGHT_BASE = 40
BLOCKS_PER_HEIGHT = 2


def _block(height: int, choice: int) -> bytes:
    return bytes([choice]) * 24 + height.to_bytes(8, "big")


class Network:
    """Members offered blocks; shares collected per (height, block); certificates recovered."""

    def __init__(self, quorum: Finished, byzantine: set[int], honest_rule: bool = True) -> None:
        self.quorum = quorum
        self.byzantine = byzantine
        self.honest_rule = honest_rule
        self.last_signed: dict[int, int | None] = {j: None for j in range(1, quorum.quorum.size + 1)}
        self.signed: set[tuple[int, int, bytes]] = set()
        self.sessions: dict[tuple[int, bytes], SigningSession] = {}
        self.certificates: dict[tuple[int, bytes], FinalityCertificate] = {}

    def offer(self, member: int, height: int, block: bytes) -> None:
        """``member``'s best chain holds ``block`` at ``height``: it signs if its rule allows."""
        if (member, height, block) in self.signed:
            return
        if member not in self.byzantine and self.honest_rule:
            if not may_sign_finality(self.last_signed[member], height):
                return
            self.last_signed[member] = height
        self.signed.add((member, height, block))
        result = self.quorum.result
        key = (height, block)
        if key not in self.sessions:
            self.sessions[key] = signing.finality_session(
                result.session_id, result.public_key_shares, result.threshold, height, block
            )
        session = signing.add_signature_share(
            self.sessions[key], finality_share(self.quorum, member, height, block)
        )
        self.sessions[key] = session
        if key not in self.certificates and signing.try_recover(session) is not None:
            certificate = signing.sign_block_finality(session, height, block)
            assert verify_finality_certificate(certificate, self.quorum.group_public_key)
            self.certificates[key] = certificate

    def conflicts(self) -> list[int]:
        """Heights with certificates for two different blocks."""
        heights = [height for height, _ in self.certificates]
        return sorted({h for h in heights if heights.count(h) > 1})


PROPOSALS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, BLOCKS_PER_HEIGHT - 1),
        st.sets(st.integers(1, 5), min_size=1),
    ),
    min_size=1,
    max_size=25,
)
"""Tip proposals: a block (one of two per height) reaching a random set of members."""


@settings(max_examples=examples(60))
@given(st.data(), PROPOSALS)
def test_honest_members_never_certify_two_blocks_at_one_height(
    devnet_quorum: Finished, data: st.DataObject, proposals: list[tuple[int, int, set[int]]]
) -> None:
    n, t = devnet_quorum.quorum.size, devnet_quorum.result.threshold
    assert (n, t) == (5, 4)
    tolerated = 2 * t - n - 1
    byzantine = data.draw(st.sets(st.integers(1, n), max_size=tolerated))
    network = Network(devnet_quorum, byzantine)
    for offset, choice, members in proposals:
        height = HEIGHT_BASE + offset
        # Byzantine members sign every block anybody proposes, at every height.
        for member in sorted(members | byzantine):
            network.offer(member, height, _block(height, choice))
    event(f"certificates: {len(network.certificates)}")
    assert network.conflicts() == []


def test_safety_bound_is_tight(devnet_quorum: Finished) -> None:
    """With 2t - n = 3 byzantine members of 5, honest members 1 and 2 on different tips suffice."""
    height = HEIGHT_BASE
    network = Network(devnet_quorum, byzantine={3, 4, 5})
    for bad in (3, 4, 5):
        network.offer(bad, height, _block(height, 0))
        network.offer(bad, height, _block(height, 1))
    network.offer(1, height, _block(height, 0))
    network.offer(2, height, _block(height, 1))
    assert network.conflicts() == [height]


def test_members_breaking_fin3_break_safety(devnet_quorum: Finished) -> None:
    """Without FIN-3 (members re-sign a height after switching tips) no byzantine member is needed."""
    height = HEIGHT_BASE
    network = Network(devnet_quorum, byzantine=set(), honest_rule=False)
    for member in range(1, 6):
        network.offer(member, height, _block(height, 0))
        network.offer(member, height, _block(height, 1))
    assert network.conflicts() == [height]


@settings(max_examples=examples(10))
@given(st.lists(st.integers(0, 8), min_size=1, max_size=6, unique=True).map(sorted), st.integers(0, 1))
def test_honest_quorum_certifies_every_offered_height(
    devnet_quorum: Finished, offsets: list[int], absent: int
) -> None:
    """Liveness: t honest members offered the same increasing blocks certify each of them."""
    network = Network(devnet_quorum, byzantine=set())
    signers = [j for j in range(1, 6) if j != absent + 1]
    for offset in offsets:
        height = HEIGHT_BASE + offset
        for member in signers:
            network.offer(member, height, _block(height, 0))
    assert sorted(network.certificates) == [(HEIGHT_BASE + o, _block(HEIGHT_BASE + o, 0)) for o in offsets]


# --------------------------------------------------------------------------------------------
# FIN-1: the DKG session of a finality quorum
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", [DEVNET, MAINNET], ids=lambda p: p.name)
@settings(max_examples=examples(25))
@given(data=st.data())
def test_session_members_are_the_selected_quorum_in_order(preset: Preset, data: st.DataObject) -> None:
    labels = data.draw(st.lists(st.sampled_from(LABELS), unique=True, max_size=len(LABELS)))
    banned = data.draw(st.sets(st.sampled_from(labels))) if labels else set()
    base_hash = data.draw(HASH)
    interval = preset.masternodes.finality_quorum_interval
    base = data.draw(st.integers(0, 10**6)) * interval
    fund = funding(preset)
    mn_list = funded_list(labels, preset)
    mn_list = MasternodeList(
        {
            outpoint: replace(entry, status=MasternodeStatus.POSE_BANNED)
            if any(outpoint == fund.collateral(label) for label in banned)
            else entry
            for outpoint, entry in mn_list.entries.items()
        }
    )
    active = len(labels) - len(banned)
    if active < preset.masternodes.min_quorum_members:
        with pytest.raises(QuorumTooSmall):
            finality_dkg_session(mn_list, base_hash, base, preset)
        return
    session = finality_dkg_session(mn_list, base_hash, base, preset)
    quorum = select_quorum(mn_list, QuorumType.FINALITY, base_hash, preset)
    keys = [member.operator_public_key for member in quorum.members]
    assert list(session.members) == keys
    assert session.threshold == quorum.threshold == quorum_threshold(len(keys))
    assert session.start_height == base and session.quorum_hash == base_hash
    assert session.session_id == dkg.session_id(base_hash, base, quorum.threshold, keys)
    assert session.phase is dkg.DkgPhase.CONTRIBUTION
    for member in quorum.members:
        assert member_index(session, member.operator_public_key) == member.index
    outsiders = [e for e in mn_list.entries.values() if e.operator_public_key not in keys]
    for entry in outsiders:
        assert member_index(session, entry.operator_public_key) is None
    with pytest.raises(DkgInvalidParameters):
        finality_dkg_session(mn_list, base_hash, base + data.draw(st.integers(1, interval - 1)), preset)


def test_finality_quorum_keys_come_from_the_operator_keys() -> None:
    finished = finality_quorum(0, DEVNET)
    session = finality_dkg_session(
        funded_list(LABELS, DEVNET), finished.quorum.session.quorum_hash, 0, DEVNET
    )
    assert finished.quorum.publics == session.members
    assert finished.result.session_id == session.session_id
    assert finished.result.qualified == tuple(range(1, len(session.members) + 1))


# --------------------------------------------------------------------------------------------
# FIN-2/4: which key a certificate counts under
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(20))
@given(st.integers(0, 2), st.integers(0, 24 + 3 * 30 + 10))
def test_certificate_counts_only_under_the_quorum_in_charge(base_number: int, height: int) -> None:
    interval = DEVNET.masternodes.finality_quorum_interval
    base = base_number * interval
    keys = {b * interval: finality_quorum(b * interval, DEVNET).group_public_key for b in range(3)}
    certificate = finality_certificate(base, height, DEVNET)
    assert verify_finality_certificate(certificate, keys[base])
    in_charge = finality_quorum_height(height, DEVNET)
    key = None if in_charge is None else keys.get(in_charge)
    counts = key is not None and verify_finality_certificate(certificate, key)
    assert counts == (in_charge == base)


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------


@given(st.builds(FinalityCertificate, st.integers(0, 2**64 - 1), HASH, st.binary(min_size=96, max_size=96)))
def test_certificate_round_trip(certificate: FinalityCertificate) -> None:
    raw = encode_finality_certificate(certificate)
    assert len(raw) == 136
    assert decode_finality_certificate(raw) == certificate


@given(st.binary(max_size=300))
def test_certificate_decoder_rejects_only_with_decode_errors(data: bytes) -> None:
    try:
        certificate = decode_finality_certificate(data)
    except DecodeError:
        assert len(data) != 136
        return
    assert encode_finality_certificate(certificate) == data
