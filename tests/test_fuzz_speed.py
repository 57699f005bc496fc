"""The shortcuts that make the slow harnesses fast give the same answers as the long way round.

* :func:`fuzz.xor.xor_over` is the per-byte XOR loop the validator harnesses used to run;
* :class:`fuzz.bls_cache.CachedBackend` answers every backend method, the checked linear
  combinations included, exactly as the backend it caches (and through that backend's own code);
* ``upgrade_vote``'s memoised messages are :func:`~spec.chain.tickets.vote_message` of each bits value;
* ``chain_apply_block``'s mutation is the per-byte XOR loop from the input's offset, and its
  remembered block encodings are the blocks' encodings;
* ``dkg_session_script``'s one call of ``find_bad_shares`` for every member gives each member the
  verdict of a call for that member alone;
* ``p2p_kademlia``'s whole-table check still visits every non-empty bucket (nodes or only
  replacements), wherever it is;
* ``sidechain_block``'s funded state, built once, equals a fresh build and survives the seed
  programs unchanged; its remembered step outputs and blocks are the builder's, and a remembered
  checkpoint carries the federation's verifying signature.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import sidechainbuilder as sb
from fuzz import chain_harnesses, dkg_harnesses, p2p_harnesses, sidechain_harnesses, upgrade_harnesses
from fuzz.bls_cache import CACHED, cached_bls
from fuzz.xor import xor_over
from spec.chain.block import encode_block
from spec.chain.tickets import vote_message
from spec.crypto import bls
from spec.errors import SpecError
from spec.ledger.transaction import OutPoint
from spec.masternode import dkg
from spec.masternode.dkg import DkgPhase
from spec.p2p.kademlia import Bucket, empty_table
from spec.p2p.messages import NodeAddress
from spec.presets import DEVNET
from spec.sidechain.checkpoint import is_signed_by
from spec.sidechain.header import Checkpoint
from spec.sidechain.transactions import match_sidechain_message
from tests.hypothesis_profiles import examples


def _xor_loop(original: bytes, data: bytes) -> bytes:
    raw = bytearray(original)
    for position, byte in enumerate(data[: len(raw)]):
        raw[position] ^= byte
    return bytes(raw) + data[len(raw) :]


@settings(max_examples=examples(300), deadline=None)
@given(st.binary(max_size=80), st.binary(max_size=80))
def test_xor_over_is_the_byte_loop(original: bytes, data: bytes) -> None:
    assert xor_over(original, data) == _xor_loop(original, data)


def test_xor_over_edges() -> None:
    assert xor_over(b"", b"") == b""
    assert xor_over(b"\x00\xff", b"") == b"\x00\xff"
    assert xor_over(b"", b"\x01\x02") == b"\x01\x02"
    assert xor_over(b"\x00\xff\x10", b"\xff\xff") == b"\xff\x00\x10"
    assert xor_over(b"\x0f", b"\xf0\x01\x02") == b"\xff\x01\x02"


def test_cached_backend_checked_combinations_match_the_default_backend() -> None:
    inner = bls.get_backend(bls.DEFAULT_BACKEND)
    g1 = [inner.g1_linear_combination((bls.G1_GENERATOR,), (k,)) for k in (1, 2, 3)]
    g2 = [inner.g2_linear_combination((bls.G2_GENERATOR,), (k,)) for k in (1, 2)]
    off_curve = bytes([0x80 | 0x1F]) + b"\xff" * 47
    cases_g1 = [(g1, [1, 0, 5]), (g1[:1], [7]), ([g1[0], off_curve], [1, 1])]
    cases_g2 = [(g2, [2, 3]), ([g2[0], bytes([0x80 | 0x1F]) + b"\xff" * 95], [1, 1])]
    for points, scalars in cases_g1:
        for _ in range(2):  # computed, then answered from the cache
            assert CACHED.g1_checked_linear_combination(
                points, scalars
            ) == inner.g1_checked_linear_combination(points, scalars)
    for points, scalars in cases_g2:
        for _ in range(2):
            assert CACHED.g2_checked_linear_combination(
                points, scalars
            ) == inner.g2_checked_linear_combination(points, scalars)
    with cached_bls():
        assert bls.g1_add(g1[:2]) == g1[2]


def test_upgrade_vote_messages_are_the_vote_messages() -> None:
    parent, outpoint = bytes(range(32)), OutPoint(b"\x07" * 32, 3)
    messages, distinct = upgrade_harnesses._messages_by_bits(parent, outpoint)
    assert distinct and len(messages) == 256
    assert all(messages[bits] == vote_message(parent, outpoint, bits) for bits in range(256))
    assert messages[0] == vote_message(parent, outpoint)


def _offset_xor_loop(original: bytes, data: bytes) -> bytes:
    if len(data) < 3:
        return original
    offset = int.from_bytes(data[1:3], "little") % len(original)
    mutated = bytearray(original)
    for position, value in enumerate(data[3:], start=offset):
        if position >= len(mutated):
            break
        mutated[position] ^= value
    return bytes(mutated)


@settings(max_examples=examples(300), deadline=None)
@given(st.binary(min_size=1, max_size=60), st.binary(max_size=80))
def test_chain_apply_block_mutation_is_the_byte_loop(original: bytes, data: bytes) -> None:
    assert chain_harnesses._mutate(original, data) == _offset_xor_loop(original, data)


def test_chain_apply_block_encodings_are_the_blocks() -> None:
    bases = chain_harnesses._bases()
    encodings = chain_harnesses._base_encodings()
    assert encodings == tuple(encode_block(block, chain_harnesses.PRESET) for _, block, _ in bases)
    assert chain_harnesses._mutate(encodings[0], b"\x00\x05\x00") == encodings[0]


def test_sidechain_block_funded_state_is_a_fresh_build_and_stays_so() -> None:
    fresh = sidechain_harnesses._funded.__wrapped__()
    assert sidechain_harnesses._funded() == fresh
    for program in sidechain_harnesses.sidechain_seeds()["sidechain_block"].values():
        sidechain_harnesses.fuzz_block(program)
    assert sidechain_harnesses._funded() == fresh


def test_sidechain_block_step_outputs_are_the_builders() -> None:
    outbox = sidechain_harnesses._OUTBOX
    for arg in (0, 1, 7, 14, 239, 255):
        chain = sb.CHAIN_A if arg % 2 == 0 else sb.CHAIN_B
        assert sidechain_harnesses._fixed_outputs(0, arg) == (
            sb.deposit_output(chain if arg % 7 else 9, arg * 13),
        )
        assert sidechain_harnesses._fixed_outputs(1, arg) == sb.claim_outputs(
            sb.outbox_proof(sb.SPEC_A, arg % 2, outbox, arg % 3)
        )
        assert sidechain_harnesses._fixed_outputs(2, arg) == (
            sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, outbox, arg % 3)),
        )
        assert sidechain_harnesses._fixed_outputs(3, arg) == (sb.refund_output(sb.CHAIN_A, 0, arg % 3),)
    outputs = sidechain_harnesses._fixed_outputs(0, 5)
    assert sidechain_harnesses._block(20, outputs) == sb.block(20, list(outputs))
    assert sidechain_harnesses._block(21, None) == sb.block(21)


def test_sidechain_block_remembered_checkpoint_is_signed() -> None:
    parent = bytes(range(32))
    output = sidechain_harnesses._checkpoint_output(3, parent, 17)
    assert output == sidechain_harnesses._checkpoint_output(3, parent, 17)
    head = sb.header(sb.SPEC_B, 3, parent, 17, [])
    assert output == sb.message_output(sb.sign(head, sb.SPEC_B.federation))
    message = match_sidechain_message(output.script_pubkey, sb.PRESET)
    assert isinstance(message, Checkpoint) and message.header == head
    assert is_signed_by(message, sb.federation_public(sb.SPEC_B.federation))


@pytest.mark.parametrize("index", [0, 1, 128, 254, 255])
@pytest.mark.parametrize("replacements_only", [False, True])
def test_kademlia_table_check_visits_every_non_empty_bucket(index: int, replacements_only: bool) -> None:
    own = bytes(range(32))
    stranger = NodeAddress(bytes([own[0] ^ 0x80]) + own[1:], b"", 1)  # belongs in bucket 0
    bucket = Bucket((), (stranger,)) if replacements_only else Bucket((stranger,), ())
    table = empty_table(own, DEVNET)
    table = replace(table, buckets=(*table.buckets[:index], bucket, *table.buckets[index + 1 :]))
    if index == 0:
        p2p_harnesses.check_table(table)
    else:
        with pytest.raises(p2p_harnesses.P2PInvariantViolation, match="wrong bucket"):
            p2p_harnesses.check_table(table)


def test_dkg_bad_shares_of_every_member_at_once_are_each_members() -> None:
    quorum = dkg_harnesses._quorum()
    keys = {member: quorum.secrets[member - 1] for member in range(1, quorum.size + 1)}
    pool = dkg_harnesses._event_pool()
    scripts = [*dkg_harnesses.dkg_seeds()["dkg_session_script"].values(), bytes(range(24)), b"\x05" * 24]
    verdicts = set()
    with cached_bls():
        for script in scripts:
            state = quorum.session
            for byte in script[: dkg_harnesses.SCRIPT_EVENTS]:
                try:
                    state = dkg_harnesses._deliver(state, pool[byte % len(pool)])
                except SpecError:
                    continue
            while state.phase is not DkgPhase.FINALIZATION:
                state = dkg.advance_phase(state)
            together = dkg.find_bad_shares(state, keys)
            assert together == {m: dkg.find_bad_shares(state, {m: k})[m] for m, k in keys.items()}
            verdicts.add(tuple(sorted(together.items())))
    assert len(verdicts) > 1  # the scripts reach different bad-share verdicts
