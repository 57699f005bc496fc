"""PEP 316 contracts on the chain arithmetic (``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.contracts`, each function is a small wrapper around helpers of
``spec/chain/``; its ``post:`` lines must hold for every input meeting its ``pre:`` lines. The
ranges are bounded so that the solver can explore them; the wrappers are plain functions too
(``tests/test_chain_symbolic.py`` calls them on sample inputs).

Contracts (rule references in brackets):

* timespan clamp [POW-4]: the scaled timespan ``F * actual`` is limited to
  ``[expected, F**2 * expected]`` and left alone inside it.
* retarget [POW-4]: the new target lies in ``[old // F, old * F]`` before the cap, then in
  ``[1, limit]``; it is monotonic in the measured timespan.
* compact targets [POW-1]: ``decode_compact_unchecked(encode_compact(t))`` rounds ``t`` down by
  less than ``2**(bits(t) - 16)`` (exact below 2**24), never sets the sign bit, and is a fixed
  point of the encoding (the encoding is canonical).
* work [POW-3]: a smaller target never means less work.
* reward split [RWD-2]: for every share configuration summing to at most 10,000 basis points,
  the parts are non-negative, sum to exactly the reward, and the miner gets at least its share.
"""

from __future__ import annotations

from dataclasses import replace

from spec.chain.pow import (
    clamp_timespan,
    decode_compact_unchecked,
    encode_compact,
    retarget,
    work_of_target,
)
from spec.chain.rewards import RewardSplit, split_reward
from spec.presets import DEVNET

__all__ = [
    "compact_roundtrip",
    "compact_sign_bit_clear",
    "retarget_bounds",
    "retarget_monotonic",
    "reward_split",
    "timespan_clamp",
    "work_monotonic",
]


def timespan_clamp(actual: int, expected: int, factor: int) -> int:
    """The scaled timespan is clamped to [expected, expected * factor**2] and untouched inside.

    pre: -(10**9) <= actual <= 10**9
    pre: 1 <= expected <= 10**7
    pre: 1 <= factor <= 16
    post: expected <= __return__ <= expected * factor * factor
    post: not expected <= actual * factor <= expected * factor * factor or __return__ == actual * factor
    """
    return clamp_timespan(actual, expected, factor)


def retarget_bounds(old: int, actual: int, expected: int, factor: int, limit: int) -> int:
    """The target moves by at most ``factor`` either way, then is capped to [1, limit].

    pre: 1 <= old <= 2**64
    pre: -(10**7) <= actual <= 10**7
    pre: 1 <= expected <= 10**6
    pre: 1 <= factor <= 8
    pre: 1 <= limit <= 2**66
    post: 1 <= __return__ <= limit
    post: min(limit, max(1, old // factor)) <= __return__ <= max(1, min(limit, old * factor))
    """
    return retarget(old, actual, expected, factor, limit)


def retarget_monotonic(old: int, shorter: int, longer: int, expected: int) -> bool:
    """A longer measured timespan never gives a harder (smaller) target.

    pre: 1 <= old <= 2**64
    pre: -(10**7) <= shorter <= longer <= 10**7
    pre: 1 <= expected <= 10**6
    post: __return__
    """
    limit = 2**64
    return retarget(old, shorter, expected, 4, limit) <= retarget(old, longer, expected, 4, limit)


def compact_roundtrip(target: int) -> int:
    """Compact rounding keeps the top 16+ bits, rounds down, and is canonical.

    pre: 1 <= target <= 2**80
    post: __return__ <= target < __return__ + 2 ** max(0, target.bit_length() - 16)
    post: target >= 2**24 or __return__ == target
    post: encode_compact(__return__) == encode_compact(target)
    """
    return decode_compact_unchecked(encode_compact(target))


def compact_sign_bit_clear(target: int) -> int:
    """The encoder never produces a negative compact value.

    pre: 1 <= target <= 2**256 - 1
    post: __return__ & 0x00800000 == 0
    post: 0 < __return__ <= 0xFFFFFFFF
    """
    return encode_compact(target)


def work_monotonic(smaller: int, larger: int) -> bool:
    """A smaller (harder) target is at least as much work.

    pre: 1 <= smaller <= larger <= 2**256 - 1
    post: __return__
    """
    return work_of_target(smaller) >= work_of_target(larger) >= 1


def reward_split(
    reward: int, voters: int, masternode_due: bool, stakers_bps: int, masternode_bps: int, treasury_bps: int
) -> RewardSplit:
    """The parts are non-negative and sum to the reward, for any shares summing to <= 10,000.

    pre: 0 <= reward <= 21 * 10**15
    pre: 0 <= voters <= 64
    pre: 0 <= stakers_bps and 0 <= masternode_bps and 0 <= treasury_bps
    pre: stakers_bps + masternode_bps + treasury_bps <= 10000
    post: __return__.total == reward
    post: min(__return__.miner, __return__.per_voter, __return__.masternode, __return__.treasury) >= 0
    post: __return__.miner >= reward * (10000 - stakers_bps - masternode_bps - treasury_bps) // 10000
    post: voters > 0 or __return__.per_voter == 0
    """
    shares = replace(
        DEVNET.rewards,
        miner_share_bps=10_000 - stakers_bps - masternode_bps - treasury_bps,
        stakers_share_bps=stakers_bps,
        masternode_share_bps=masternode_bps,
        treasury_share_bps=treasury_bps,
    )
    return split_reward(reward, voters, masternode_due, replace(DEVNET, rewards=shares))
