"""Hypothesis robustness: arbitrary bytes into every fuzz harness must not raise anything.

The harnesses swallow exactly the rejections the rules allow (a ``SpecError``) and check each
target's invariants, so an exception here is either a non-``SpecError`` escaping a decoder or
validator, or a broken invariant (``InvariantViolation``). Known, not yet fixed bugs are tolerated
(see ``fuzz.harnesses.KNOWN_BUGS``; ``tests/test_fuzz_smoke.py`` pins each one).

Inputs are either raw binary or a committed corpus seed with a few random edits, so both the
shallow rejection paths and the deep acceptance paths are exercised.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.harnesses import HARNESSES, tolerant
from fuzz.run import DEFAULT_CORPUS_DIR, corpus_files
from tests.hypothesis_profiles import examples


def _seeds(name: str) -> list[bytes]:
    return [
        path.read_bytes() for path in corpus_files(DEFAULT_CORPUS_DIR, name) if path.stat().st_size < 2048
    ]


@st.composite
def _mutated_seed(draw: st.DrawFn, name: str) -> bytes:
    data = bytearray(draw(st.sampled_from(_seeds(name))))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "set"]))
        position = draw(st.integers(0, len(data)))
        if kind == "flip" and position < len(data):
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[position : position + draw(st.integers(1, 8))]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif position < len(data):
            data[position] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF]))
    return bytes(data)


def _inputs(name: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=600), _mutated_seed(name))


@pytest.mark.parametrize("name", sorted(HARNESSES))
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_harness_survives_arbitrary_bytes(name: str, data: st.DataObject) -> None:
    tolerant(name)(data.draw(_inputs(name), label="input"))
