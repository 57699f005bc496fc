"""The wrappers of ``conformance/symbolic/chain_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import chain_contracts
from spec.chain.pow import MAX_TARGET, encode_compact
from spec.presets import DEVNET


def test_chain_wrappers_on_examples() -> None:
    assert chain_contracts.timespan_clamp(0, 18, 4) == 18
    assert chain_contracts.timespan_clamp(10**6, 18, 4) == 18 * 16
    assert chain_contracts.timespan_clamp(9, 18, 4) == 36
    # F = 4 does not divide 18: the target still falls by at most a factor of 4.
    assert chain_contracts.retarget_bounds(1 << 40, 0, 18, 4, 1 << 60) == 1 << 38
    assert chain_contracts.retarget_bounds(1 << 40, 10**6, 18, 4, 1 << 41) == 1 << 41
    assert chain_contracts.retarget_monotonic(12345, -5, 7, 18)
    for target in (1, 0x80, 0x7FFFFF, 0x800000, 0x123456789A, 2**80):
        assert chain_contracts.compact_roundtrip(target) <= target
        assert chain_contracts.compact_sign_bit_clear(target) == encode_compact(target)
    assert chain_contracts.compact_sign_bit_clear(MAX_TARGET) == 0x2100FFFF
    assert chain_contracts.work_monotonic(1, MAX_TARGET)
    split = chain_contracts.reward_split(10**9 + 7, 3, True, 3000, 2000, 1000)
    assert split.total == 10**9 + 7
    assert split == chain_contracts.reward_split(10**9 + 7, 3, True, 3000, 2000, 1000)
    assert DEVNET.rewards.stakers_share_bps == 3000
