"""Fuzz harnesses of the chain flow (spec/chain/), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`ChainInvariantViolation`. :data:`CHAIN_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`chain_seeds` gives their seed corpora.

Invariants checked:

* ``chain_decode_header`` / ``chain_decode_block``: only ``DECODE_*`` codes reject; an accepted
  input re-encodes to exactly itself (ENC-2), so its block hash is the hash of the input; for a
  block, the stateless checks (:func:`spec.chain.block.check_block_shape`) reject only with a
  ``SpecError``.
* ``chain_apply_block``: a valid devnet block (chosen by the first byte) has the rest of the input
  XORed into its bytes at an offset; the result is decoded and applied on the block's parent
  state. Only ``SpecError`` may escape. An unmutated block must be accepted, and an accepted
  mutation may differ from the original only in the header fields nothing else commits to (the
  timestamp and the nonce): same body, same votes, same UTXO set and ticket pool afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

from conformance.generators.chain import main_chain
from fuzz.xor import xor_over
from spec.chain.block import (
    Block,
    block_hash,
    check_block_shape,
    check_block_shape_readable,
    decode_block,
    decode_header,
    encode_block,
    encode_header,
)
from spec.chain.state import BlockContext, ChainState, apply_block
from spec.errors import DecodeError, SpecError
from spec.hashing import HashDomain, tagged_hash
from spec.presets import DEVNET

PRESET = DEVNET


class ChainInvariantViolation(AssertionError):
    """A chain decoder or validator accepted or rejected an input in a way its rules forbid."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ChainInvariantViolation(message)


def fuzz_decode_header(data: bytes) -> None:
    """HDR-0: strict decoding; an accepted header re-encodes to the input and hashes it."""
    try:
        header = decode_header(data, PRESET)
    except DecodeError:
        return
    _require(encode_header(header, PRESET) == data, "ENC-2: a decoded header re-encodes differently")
    _require(
        block_hash(header, PRESET) == tagged_hash(HashDomain.BLOCK_HEADER, data),
        "HDR-0: the block hash is not the hash of the header bytes",
    )


def fuzz_decode_block(data: bytes) -> None:
    """BLK-0: strict decoding, canonical re-encoding, and stateless checks raising only SpecError."""
    try:
        block = decode_block(data, PRESET)
    except DecodeError:
        return
    _require(encode_block(block, PRESET) == data, "ENC-2: a decoded block re-encodes differently")
    try:
        check_block_shape(block, PRESET)
    except SpecError:
        return
    try:  # issue 14: a block the one pass accepted passes the readable steps too (a fresh copy)
        check_block_shape_readable(decode_block(data, PRESET), PRESET)
    except SpecError as error:
        _require(False, f"check_block_shape accepted what its readable steps reject ({error.code})")


@cache
def _bases() -> tuple[tuple[ChainState, Block, ChainState], ...]:
    """(parent state, block, state after) for a few main-chain blocks of different kinds."""
    main = main_chain(PRESET)
    states, blocks = main.builder.states, main.builder.blocks
    heights = sorted(
        {
            0,
            main.purchase_height,
            main.payment_height,
            main.first_vote_height,
            main.first_vote_height + 1,
            main.second_purchase_height,
        }
    )
    return tuple((states[h], blocks[h], states[h + 1]) for h in heights)


@cache
def _base_encodings() -> tuple[bytes, ...]:
    """The encodings of :func:`_bases`' blocks (computed once: they are the fixtures)."""
    return tuple(encode_block(block, PRESET) for _, block, _ in _bases())


def _mutate(original: bytes, data: bytes) -> bytes:
    """``original`` with ``data[3:]`` XOR-ed in from the offset ``data[1:3]`` names, cut at its end."""
    if len(data) < 3:
        return original
    offset = int.from_bytes(data[1:3], "little") % len(original)
    tail = original[offset:]
    return original[:offset] + xor_over(tail, data[3 : 3 + len(tail)])


def fuzz_apply_block(data: bytes) -> None:
    """HDR-*, BLK-*, POS-*, RWD-*: a mutated valid block on its parent state."""
    if not data:
        return
    bases = _bases()
    choice = data[0] % len(bases)
    parent, original, after = bases[choice]
    original_bytes = _base_encodings()[choice]
    mutated = _mutate(original_bytes, data)
    context = BlockContext(original.header.timestamp)
    try:
        block = decode_block(mutated, PRESET)
        state = apply_block(parent, block, context, PRESET)
    except SpecError as exc:
        _require(mutated != original_bytes, f"a valid main-chain block was rejected: {exc}")
        return
    _require(block.transactions == original.transactions, "a block with a changed body was accepted")
    _require(block.votes == original.votes, "a block with changed votes was accepted")
    unfree = replace(block.header, timestamp=original.header.timestamp, nonce=original.header.nonce)
    _require(unfree == original.header, "a header change other than time/nonce passed")
    _require(state.utxos == after.utxos and state.tickets == after.tickets, "same body, different state")


CHAIN_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "chain_decode_header": fuzz_decode_header,
    "chain_decode_block": fuzz_decode_block,
    "chain_apply_block": fuzz_apply_block,
}
"""The chain harnesses by corpus name (``fuzz/corpora/<name>/``)."""


def chain_seeds() -> dict[str, dict[str, bytes]]:
    """Seed inputs per harness: the main chain's blocks and headers, and unmutated selectors."""
    bases = _bases()
    blocks = {f"seed-block-{b.header.height}": encode_block(b, PRESET) for _, b, _ in bases}
    headers = {f"seed-header-{b.header.height}": encode_header(b.header, PRESET) for _, b, _ in bases}
    apply = {f"seed-apply-{i}": bytes([i, 0, 0]) for i in range(len(bases))}
    apply["seed-apply-nonce"] = (
        bytes([0]) + (len(encode_header(bases[0][1].header, PRESET)) - 8).to_bytes(2, "little") + b"\x01"
    )
    return {"chain_decode_header": headers, "chain_decode_block": blocks, "chain_apply_block": apply}
