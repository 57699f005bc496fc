"""The wrappers of ``conformance/symbolic/dispute_games_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import dispute_games_contracts


def test_dispute_games_wrappers_on_examples() -> None:
    assert dispute_games_contracts.expiry(100, 2016, 144, 100) == 245
    assert dispute_games_contracts.expiry(100, 10, 144, 100) == 111
    assert dispute_games_contracts.game_length(14, 2016, 144, 2016, 2016) == 14 + 2 * 2016 + 1
    assert dispute_games_contracts.game_length(14, 2016, 144, 0, 0) == 14 + 144 + 1
    assert dispute_games_contracts.window(13, 40, 13)
    assert dispute_games_contracts.window(13, 40, 52)
    assert not dispute_games_contracts.window(13, 40, 53)
    assert not dispute_games_contracts.window(13, 40, 12)
    assert not dispute_games_contracts.hold(13, 13, 40, 52)
    assert not dispute_games_contracts.hold(13, 20, 40, 13)
    assert dispute_games_contracts.ack_settled(16, 14, 40, 56, False, 56)
    assert not dispute_games_contracts.ack_settled(16, 14, 40, 55, False, 55)
    assert not dispute_games_contracts.ack_settled(16, 14, 40, 56, True, 56)
    assert dispute_games_contracts.reward(10**9, 10**9, 7, 5 * 10**8, 2000) == (5, 2 * 10**9 + 2)
    assert dispute_games_contracts.reward(10**9, 10**9, 10**9, 5 * 10**8, 2000) == (4 * 10**8, 26 * 10**8)
    assert dispute_games_contracts.reward_of_nobody(5, 2000) == (0, 0)
