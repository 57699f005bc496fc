"""The wrappers of ``conformance/symbolic/state_contracts.py`` on concrete examples.

Rules: STATE-2/3, SNAP-5.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import state_contracts
from spec.chain.commitment import KIND_POSE_QUORUM
from tests.state_symbolic_canary import little_endian_quorum_key_order


def test_state_wrappers_on_examples() -> None:
    low, high = state_contracts.quorum_key_order(True, 1, 256)
    assert low == bytes([KIND_POSE_QUORUM]) + (1).to_bytes(8, "big") and low < high
    proposal, executed, vote = state_contracts.id_keys(bytes(range(32)), 7)
    assert (proposal[0], executed[0], vote[0], len(vote)) == (0x04, 0x06, 0x05, 69)
    assert [k[0] for k in state_contracts.outpoint_keys(bytes(32), 2**32 - 1)] == [1, 2, 3]
    assert state_contracts.u64_value_roundtrip(2**64 - 1) == b"\xff" * 8
    chunk = state_contracts._CHUNK
    assert [state_contracts.chunk_count_bounds(n) for n in (0, 1, chunk, chunk + 1)] == [0, 1, 1, 2]
    low, high = little_endian_quorum_key_order(1, 256)
    assert not low < high  # the canary's contract is false, on the very pair the docstring names
