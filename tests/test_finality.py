"""FORK-2/3: finality certificates from a threshold-signing quorum feed fork choice."""

from __future__ import annotations

from spec.chain.forkchoice import (
    BlockIndexEntry,
    FinalityCertificate,
    check_reorganisation,
    choose_tip,
    finality_message,
    newest_finalized,
)
from spec.crypto import bls, threshold
from spec.errors import FinalityViolation

COEFFICIENTS = threshold.coefficients_from_seed(b"finality quorum", 3)
SHARES = threshold.generate_shares(COEFFICIENTS, range(1, 6))
QUORUM_KEY = threshold.group_public_key(COEFFICIENTS)


def _certify(height: int, block_hash: bytes, members: list[int]) -> FinalityCertificate:
    message = finality_message(height, block_hash)
    parts = [threshold.sign_share(s, message) for s in SHARES if s.index in members]
    return FinalityCertificate(height, block_hash, threshold.recover_signature(parts, 3))


def _index() -> dict[bytes, BlockIndexEntry]:
    # genesis g - a1 - a2 - a3 (work 1 each); fork at a1: b2 - b3 - b4 (heavier branch).
    entries = [
        BlockIndexEntry(b"g" * 32, bytes(32), 0, 1),
        BlockIndexEntry(b"a1" * 16, b"g" * 32, 1, 2),
        BlockIndexEntry(b"a2" * 16, b"a1" * 16, 2, 3),
        BlockIndexEntry(b"a3" * 16, b"a2" * 16, 3, 4),
        BlockIndexEntry(b"b2" * 16, b"a1" * 16, 2, 3),
        BlockIndexEntry(b"b3" * 16, b"b2" * 16, 3, 4),
        BlockIndexEntry(b"b4" * 16, b"b3" * 16, 4, 5),
    ]
    return {e.block_hash: e for e in entries}


def test_certificate_makes_the_lighter_branch_final() -> None:
    index = _index()
    tips = [b"a3" * 16, b"b4" * 16]
    assert choose_tip(index, tips, None) == b"b4" * 16
    certificate = _certify(2, b"a2" * 16, [1, 3, 5])
    finalized = newest_finalized(index, [certificate], lambda height: QUORUM_KEY)
    assert finalized == b"a2" * 16
    assert choose_tip(index, tips, finalized) == b"a3" * 16
    try:
        check_reorganisation(index, b"b4" * 16, finalized)
    except FinalityViolation:
        pass
    else:
        raise AssertionError("a reorganisation below a finalized block must be refused")


def test_bad_or_misplaced_certificates_are_ignored() -> None:
    index = _index()
    good = _certify(2, b"a2" * 16, [2, 3, 4])
    wrong_height = FinalityCertificate(3, b"a2" * 16, good.signature)
    forged = FinalityCertificate(2, b"b2" * 16, good.signature)
    unknown = _certify(9, b"zz" * 16, [1, 2, 3])
    assert newest_finalized(index, [wrong_height, forged, unknown], lambda height: QUORUM_KEY) is None
    assert newest_finalized(index, [good], lambda height: None) is None
    other_key = bls.sk_to_pk(bls.key_gen(b"another quorum's key material 32+"))
    assert newest_finalized(index, [good], lambda height: other_key) is None


def test_finality_only_moves_forward_along_the_finalized_branch() -> None:
    index = _index()
    first = _certify(1, b"a1" * 16, [1, 2, 3])
    on_branch = _certify(3, b"a3" * 16, [1, 2, 4])
    off_branch = _certify(4, b"b4" * 16, [3, 4, 5])
    finalized = newest_finalized(index, [first], lambda height: QUORUM_KEY)
    assert finalized == b"a1" * 16
    assert newest_finalized(index, [off_branch, on_branch], lambda h: QUORUM_KEY, finalized) == b"b4" * 16
    later = newest_finalized(index, [on_branch], lambda h: QUORUM_KEY, b"a2" * 16)
    assert later == b"a3" * 16
    assert newest_finalized(index, [off_branch], lambda h: QUORUM_KEY, b"a2" * 16) == b"a2" * 16


def test_newest_finalized_does_not_depend_on_certificate_order() -> None:
    """Issue 11 item 7: two certificates at one height (a quorum that signed twice): the smaller
    block hash wins in every order; a certificate at the previous finalized height never replaces it."""
    from itertools import permutations

    index = _index()
    certificates = [
        _certify(3, b"a3" * 16, [1, 2, 3]),
        _certify(3, b"b3" * 16, [2, 3, 4]),
        _certify(2, b"b2" * 16, [1, 4, 5]),
        _certify(2, b"a2" * 16, [1, 2, 5]),
    ]
    results = {
        newest_finalized(index, list(order), lambda h: QUORUM_KEY) for order in permutations(certificates)
    }
    assert results == {min(b"a3" * 16, b"b3" * 16)}
    for order in permutations(certificates):
        assert newest_finalized(index, list(order), lambda h: QUORUM_KEY, b"b3" * 16) == b"b3" * 16
    below = {
        newest_finalized(index, list(order), lambda h: QUORUM_KEY, b"a1" * 16)
        for order in permutations(certificates[2:])
    }
    assert below == {b"a2" * 16}
