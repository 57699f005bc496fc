"""The XOR-over-a-fixture mutation the validator harnesses share, without a per-byte Python loop.

Several harnesses (masternode, governance, ledger, finality) fuzz a validator with a valid fixture
(a signed transaction, a challenge and its response...) whose encoding has the fuzz input XOR-ed
over it, so an empty input is the valid fixture and every mutation libFuzzer makes lands in it.
Written as a loop over the input's bytes, that XOR was instrumented harness code: a few hundred
traced branches per execution that measure nothing of the code under test. :func:`xor_over` gives
the same bytes with one integer XOR.
"""

from __future__ import annotations


def xor_over(original: bytes, data: bytes) -> bytes:
    """``original`` with ``data`` XOR-ed over its first bytes; fuzz bytes past its end are appended.

    The same result as XOR-ing ``data[i]`` into ``original[i]`` for every common position
    ``i`` and appending ``data[len(original):]`` (``tests/test_fuzz_speed.py`` checks it).
    """
    common = min(len(original), len(data))
    head = int.from_bytes(original[:common], "big") ^ int.from_bytes(data[:common], "big")
    return head.to_bytes(common, "big") + original[common:] + data[common:]
