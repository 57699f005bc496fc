"""The reference node's per-peer rate limits (node policy, reference/p2p.py) on a fake clock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reference.p2p import BYTE_BURST, RateLimiter
from spec.presets import DEVNET, MAINNET


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=10.0, burst=5.0, clock=clock)
    assert [limiter.allow() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 0.25  # 2.5 tokens come back
    assert [limiter.allow() for _ in range(3)] == [True, True, False]
    clock.now += 100.0  # never more than the burst
    assert sum(limiter.allow() for _ in range(10)) == 5


@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 20)), max_size=50))
def test_never_more_than_burst_plus_rate_times_elapsed(steps: list[tuple[float, float]]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=3.0, burst=7.0, clock=clock)
    start, taken = clock.now, 0.0
    for wait, cost in steps:
        clock.now += wait
        if limiter.allow(cost):
            taken += cost
    assert taken <= 7.0 + 3.0 * (clock.now - start) + 1e-6


def test_the_byte_burst_holds_two_maximum_messages() -> None:
    for preset in (DEVNET, MAINNET):
        assert 2 * preset.network.max_message_bytes <= BYTE_BURST
