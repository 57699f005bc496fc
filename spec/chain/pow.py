"""Proof of work: compact targets, work, difficulty retargeting (protocol steps "POW-*").

Proof-of-work hash. Upstream specifies "OxideHash", a 1 GiB memory-hard function whose published
description cannot work as written (its seed excludes the nonce, so the nonce never changes the
hash) and whose two upstream implementations disagree. Until a corrected memory-hard function is
specified, the PoW hash is the block hash itself: ``H(BLOCK_HEADER, encode(header))``
(spec/chain/block.py). Everything below depends only on that hash being a 256-bit integer.

* **POW-1** compact targets ("bits", Bitcoin's format): ``exponent = bits >> 24``,
  ``mantissa = bits & 0x007fffff``, ``target = mantissa * 256**(exponent - 3)``. Bits are valid only
  if the sign bit (``0x00800000``) is clear, the target is nonzero, fits 256 bits, and ``bits`` is
  the canonical (normalised) encoding of that target; the target must not exceed the preset's
  proof-of-work limit.
* **POW-2** a header meets its target iff ``int.from_bytes(block_hash, "big") <= target``.
* **POW-3** ``work(target) = 2**256 // (target + 1)``: the expected number of hashes to meet it.
  Chains are compared by the sum of their blocks' work.
* **POW-4** retargeting: a block at height ``h`` with ``h % interval != 0`` (or ``h == 0``) carries
  its parent's bits. At ``h = k * interval`` the new target is
  ``old * clamp(actual, expected / F, expected * F) / expected``, rounded down, where ``actual`` is
  the timestamp span of the last ``n = min(interval, h - 1)`` block intervals (from block
  ``h - 1 - n`` to ``h - 1``), ``expected = n * target_block_seconds``, ``F = max_retarget_factor``.
  The clamp bounds are exact fractions, so the target moves by at most ``F`` either way even when
  ``F`` does not divide ``expected``; in integers: ``old * clamp(F * actual, expected, F * F *
  expected) // (F * expected)``. The result is at least 1, capped at the limit and rounded through
  the compact form.
"""

from __future__ import annotations

from collections.abc import Sequence

from spec.errors import InsufficientWork, InvalidCompactTarget, TargetAboveLimit, WrongDifficulty
from spec.presets import Preset

MAX_TARGET = 2**256 - 1
SIGN_BIT = 0x00800000
MANTISSA_MASK = 0x007FFFFF


def decode_compact_unchecked(bits: int) -> int:
    """POW-1 arithmetic only: the (possibly negative, zero or oversized) value of ``bits``."""
    exponent = bits >> 24
    mantissa = bits & MANTISSA_MASK
    value = mantissa << (8 * (exponent - 3)) if exponent >= 3 else mantissa >> (8 * (3 - exponent))
    return -value if bits & SIGN_BIT else value


def encode_compact(target: int) -> int:
    """POW-1: the canonical compact encoding of ``1 <= target <= 2**256 - 1`` (rounds down)."""
    size = (target.bit_length() + 7) // 8
    mantissa = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    if mantissa & SIGN_BIT:
        # The top mantissa bit would read as a sign: move one byte into the exponent.
        mantissa >>= 8
        size += 1
    return (size << 24) | mantissa


def decode_compact(bits: int) -> int:
    """POW-1: the target of canonical, positive, in-range ``bits``; raise ``POW_INVALID_BITS``."""
    if not 0 <= bits <= 0xFFFFFFFF:
        raise InvalidCompactTarget(f"bits {bits} do not fit 32 bits")
    if bits & SIGN_BIT:
        raise InvalidCompactTarget(f"bits {bits:#010x} are negative")
    target = decode_compact_unchecked(bits)
    if target == 0:
        raise InvalidCompactTarget(f"bits {bits:#010x} encode zero")
    if target > MAX_TARGET:
        raise InvalidCompactTarget(f"bits {bits:#010x} overflow 256 bits")
    if encode_compact(target) != bits:
        raise InvalidCompactTarget(f"bits {bits:#010x} are not the canonical encoding of their target")
    return target


def pow_limit(preset: Preset) -> int:
    """POW-1: the easiest target the preset allows."""
    return decode_compact_unchecked(preset.chain.pow_limit_bits)


def target_from_bits(bits: int, preset: Preset) -> int:
    """POW-1: decode ``bits`` and check them against the preset's limit."""
    target = decode_compact(bits)
    if target > pow_limit(preset):
        raise TargetAboveLimit(f"target of bits {bits:#010x} is easier than the limit")
    return target


def hash_meets_target(block_hash: bytes, target: int) -> bool:
    """POW-2: whether the 32-byte hash, read big-endian, is at most ``target``."""
    return int.from_bytes(block_hash, "big") <= target


def check_proof_of_work(block_hash: bytes, bits: int, preset: Preset) -> None:
    """POW-1/2: raise unless ``block_hash`` meets the valid target encoded by ``bits``."""
    if not hash_meets_target(block_hash, target_from_bits(bits, preset)):
        raise InsufficientWork(f"hash above the target of bits {bits:#010x}")


def work_of_target(target: int) -> int:
    """POW-3: expected hashes to find a hash at most ``target`` (``1 <= target < 2**256``)."""
    return (1 << 256) // (target + 1)


def clamp_timespan(actual: int, expected: int, factor: int) -> int:
    """POW-4: ``factor * actual`` limited to ``[expected, expected * factor**2]``.

    That is ``actual`` clamped to ``[expected / factor, expected * factor]``, scaled by ``factor`` so
    that both bounds are exact integers (``expected // factor`` would round the lower bound down and
    let the target fall by more than ``factor``).
    """
    return max(expected, min(actual * factor, expected * factor * factor))


def retarget(old_target: int, actual_timespan: int, expected_timespan: int, factor: int, limit: int) -> int:
    """POW-4 arithmetic: the new target, before compact rounding (``expected_timespan, factor > 0``)."""
    scaled = clamp_timespan(actual_timespan, expected_timespan, factor)
    return max(1, min(limit, old_target * scaled // (expected_timespan * factor)))


def next_bits(height: int, parent_bits: int, timestamps: Sequence[int], preset: Preset) -> int:
    """POW-4: the bits a block at ``height`` must carry.

    ``timestamps[i]`` is the timestamp of block ``i`` for every ``i < height`` (only the last
    ``interval + 1`` are read).
    """
    chain = preset.chain
    if height == 0:
        return chain.pow_limit_bits
    if height % chain.retarget_interval != 0:
        return parent_bits
    intervals = min(chain.retarget_interval, height - 1)
    if intervals == 0:
        return parent_bits
    actual = timestamps[height - 1] - timestamps[height - 1 - intervals]
    expected = intervals * chain.target_block_seconds
    new_target = retarget(
        decode_compact(parent_bits), actual, expected, chain.max_retarget_factor, pow_limit(preset)
    )
    return encode_compact(new_target)


def check_difficulty(
    height: int, bits: int, parent_bits: int, timestamps: Sequence[int], preset: Preset
) -> None:
    """POW-4: raise ``POW_WRONG_BITS`` unless ``bits`` is what the retarget rule requires."""
    required = next_bits(height, parent_bits, timestamps, preset)
    if bits != required:
        raise WrongDifficulty(f"bits {bits:#010x} at height {height}, required {required:#010x}")
