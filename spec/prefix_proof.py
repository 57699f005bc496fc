"""Prefix proofs of tagged hashes: the first chunk of a hashed message and the chaining values that
bind it to the digest (protocol step "HASH-2").

BLAKE3 (HASH-1) is a binary tree hash over 1,024-byte chunks: each chunk is compressed to a 32-byte
*chaining value*, and parent nodes compress pairs of chaining values up to the root, whose output
is the digest. So a digest can be tied to its message's first chunk without the rest of the
message: give the chunk and the chaining values of the right-hand subtrees along the leftmost path
of the tree (bottom-up). This is Bao's verified slice of the first chunk, and its binding rests on
BLAKE3's collision resistance exactly as the digest does; chunk and parent compressions carry
different flags, so a proof cannot pass a parent node off as a chunk.

* **HASH-2** ``digest_from_prefix(domain, first_chunk, siblings)`` is the tagged hash
  ``H(domain, m)`` of any message ``m`` whose first chunk is ``first_chunk`` and whose rest hashes to
  the subtrees ``siblings``: with no siblings, ``first_chunk`` is the whole message (at most 1,024
  bytes); with siblings it is exactly 1,024 bytes and each sibling is 32 bytes
  (``HASH_BAD_PREFIX_PROOF`` otherwise). :func:`prefix_proof` computes the proof of a message.

This module implements the BLAKE3 compression function in plain Python (the ``blake3`` library has
no API for chaining values); ``tests/test_hashing_merkle.py`` checks it against the library on
every length up to several chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from spec.errors import BadPrefixProof
from spec.hashing import HashDomain

CHUNK_LEN = 1024
BLOCK_LEN = 64
CV_LEN = 32

_IV = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)
_PERMUTATION = (2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8)
_CHUNK_START, _CHUNK_END, _PARENT, _ROOT = 1, 2, 4, 8
_DERIVE_KEY_CONTEXT, _DERIVE_KEY_MATERIAL = 32, 64
_MASK = 0xFFFFFFFF

__all__ = ["CHUNK_LEN", "digest_from_prefix", "prefix_proof", "tree_hash"]


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (32 - n))) & _MASK


def _g(s: list[int], a: int, b: int, c: int, d: int, mx: int, my: int) -> None:
    s[a] = (s[a] + s[b] + mx) & _MASK
    s[d] = _rotr(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _MASK
    s[b] = _rotr(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b] + my) & _MASK
    s[d] = _rotr(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _MASK
    s[b] = _rotr(s[b] ^ s[c], 7)


def _compress(cv: Sequence[int], block: bytes, counter: int, block_len: int, flags: int) -> list[int]:
    """The BLAKE3 compression function: 16 output words."""
    m = [int.from_bytes(block[4 * i : 4 * i + 4], "little") for i in range(16)]
    s = [*cv, *_IV[:4], counter & _MASK, (counter >> 32) & _MASK, block_len, flags]
    for round_ in range(7):
        _g(s, 0, 4, 8, 12, m[0], m[1])
        _g(s, 1, 5, 9, 13, m[2], m[3])
        _g(s, 2, 6, 10, 14, m[4], m[5])
        _g(s, 3, 7, 11, 15, m[6], m[7])
        _g(s, 0, 5, 10, 15, m[8], m[9])
        _g(s, 1, 6, 11, 12, m[10], m[11])
        _g(s, 2, 7, 8, 13, m[12], m[13])
        _g(s, 3, 4, 9, 14, m[14], m[15])
        if round_ < 6:
            m = [m[i] for i in _PERMUTATION]
    return [s[i] ^ s[i + 8] for i in range(8)] + [s[i + 8] ^ cv[i] for i in range(8)]


def _words(data: bytes) -> list[int]:
    return [int.from_bytes(data[4 * i : 4 * i + 4], "little") for i in range(len(data) // 4)]


def _bytes(words: Sequence[int]) -> bytes:
    return b"".join(w.to_bytes(4, "little") for w in words)


def _chunk(key: Sequence[int], chunk: bytes, counter: int, flags: int, root: bool) -> list[int]:
    """A chunk's chaining value (or, with ``root``, the first 8 words of the root output)."""
    cv = list(key)
    blocks = [chunk[i : i + BLOCK_LEN] for i in range(0, len(chunk), BLOCK_LEN)] or [b""]
    for index, block in enumerate(blocks):
        block_flags = flags
        if index == 0:
            block_flags |= _CHUNK_START
        if index == len(blocks) - 1:
            block_flags |= _CHUNK_END | (_ROOT if root else 0)
        cv = _compress(cv, block.ljust(BLOCK_LEN, b"\0"), counter, len(block), block_flags)[:8]
    return cv


def _parent(
    key: Sequence[int], left: Sequence[int], right: Sequence[int], flags: int, root: bool
) -> list[int]:
    block = _bytes(left) + _bytes(right)
    return _compress(key, block, 0, BLOCK_LEN, flags | _PARENT | (_ROOT if root else 0))[:8]


@cache
def _domain_key(domain: HashDomain) -> tuple[int, ...]:
    """HASH-1's derive_key mode: the key words BLAKE3 derives from the domain's context string."""
    context = domain.value.encode()
    return tuple(_words(_bytes(_tree(_IV, context, _DERIVE_KEY_CONTEXT, 0, True))))


def _tree(key: Sequence[int], data: bytes, flags: int, first_chunk: int, root: bool) -> list[int]:
    """The chaining value (or root words) of the subtree over ``data`` starting at chunk ``first_chunk``."""
    chunks = max(1, -(-len(data) // CHUNK_LEN))
    if chunks == 1:
        return _chunk(key, data, first_chunk, flags, root)
    left_chunks = 1 << ((chunks - 1).bit_length() - 1)
    split = left_chunks * CHUNK_LEN
    left = _tree(key, data[:split], flags, first_chunk, False)
    right = _tree(key, data[split:], flags, first_chunk + left_chunks, False)
    return _parent(key, left, right, flags, root)


def tree_hash(domain: HashDomain, data: bytes) -> bytes:
    """HASH-1 computed with this module's compression function (equals ``tagged_hash``)."""
    return _bytes(_tree(_domain_key(domain), data, _DERIVE_KEY_MATERIAL, 0, True))


def prefix_proof(domain: HashDomain, data: bytes) -> tuple[bytes, tuple[bytes, ...]]:
    """HASH-2: ``(first_chunk, siblings)`` proving ``data``'s first chunk under ``H(domain, data)``."""
    key = _domain_key(domain)
    siblings: list[bytes] = []
    chunks = max(1, -(-len(data) // CHUNK_LEN))
    # Walk down the leftmost path: at each node keep the right subtree's chaining value.
    start, count = 0, chunks
    path: list[bytes] = []
    while count > 1:
        left_chunks = 1 << ((count - 1).bit_length() - 1)
        right = data[(start + left_chunks) * CHUNK_LEN : (start + count) * CHUNK_LEN]
        path.append(_bytes(_tree(key, right, _DERIVE_KEY_MATERIAL, start + left_chunks, False)))
        count = left_chunks
    siblings = list(reversed(path))  # bottom-up
    return data[:CHUNK_LEN], tuple(siblings)


def digest_from_prefix(domain: HashDomain, first_chunk: bytes, siblings: Sequence[bytes]) -> bytes:
    """HASH-2: the tagged hash of the message whose first chunk and right subtrees are given."""
    if any(len(s) != CV_LEN for s in siblings):
        raise BadPrefixProof("a sibling chaining value is not 32 bytes")
    if siblings and len(first_chunk) != CHUNK_LEN:
        raise BadPrefixProof(f"a first chunk of {len(first_chunk)} bytes with siblings (need {CHUNK_LEN})")
    if len(first_chunk) > CHUNK_LEN:
        raise BadPrefixProof(f"a first chunk of {len(first_chunk)} bytes (at most {CHUNK_LEN})")
    key = _domain_key(domain)
    cv = _chunk(key, first_chunk, 0, _DERIVE_KEY_MATERIAL, not siblings)
    for position, sibling in enumerate(siblings):
        cv = _parent(key, cv, _words(sibling), _DERIVE_KEY_MATERIAL, position == len(siblings) - 1)
    return _bytes(cv)
