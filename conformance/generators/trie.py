"""Vectors of the ``trie`` flow: roots (with Ethereum known answers), operation sequences, proofs,
proof verification (valid, tampered, incomplete, crafted malformed nodes) and strict node decoding.

The trie does not depend on the preset, so both presets carry the same cases.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import rlp

from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from spec.presets import Preset
from spec.trie import (
    EMPTY_NODE_RLP,
    ETHEREUM_TRIE_HASHER,
    RUSTY_TRIE_HASHER,
    TRIE_HASHERS,
    Trie,
    TrieHasher,
    hex_prefix_encode,
    prove,
)

ETHEREUM_KNOWN_ROOTS: tuple[tuple[str, dict[bytes, bytes], str], ...] = (
    ("empty", {}, "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"),
    (
        "puppy",
        {b"do": b"verb", b"dog": b"puppy", b"doge": b"coin", b"horse": b"stallion"},
        "5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84",
    ),
    (
        "dogs",
        {b"doe": b"reindeer", b"dog": b"puppy", b"dogglesworth": b"cat"},
        "8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3",
    ),
    ("single", {b"A": b"a" * 50}, "d23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab"),
    (
        "foo",
        {b"foo": b"bar", b"food": b"bass"},
        "17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3",
    ),
    (
        "small_values",
        {b"be": b"e", b"dog": b"puppy", b"bed": b"d"},
        "3f67c7a47520f79faa29255d2d3c084a7a6df0453116ed7232ff10277a8be68b",
    ),
    (
        "testy",
        {b"test": b"test", b"te": b"testy"},
        "8452568af70d8d140f58d941338542f645fcca50094b20f3c3d8c3df49337928",
    ),
    (
        "hex",
        {
            bytes.fromhex("0045"): bytes.fromhex("0123456789"),
            bytes.fromhex("4500"): bytes.fromhex("9876543210"),
        },
        "285505fcabe84badc8aa310e2aae17eddc7d120aabec8a476902c8184b3a3503",
    ),
)
"""Published Ethereum trie roots (keccak-256; the ethereum/tests trie fixtures and go-ethereum's
trie tests), also checked against py-trie in tests/test_trie.py."""

_ROOT_SIZES = (1, 2, 3, 5, 10, 33, 100)


def _items(label: str, count: int) -> dict[bytes, bytes]:
    """``count`` distinct keys over a small byte alphabet (many shared prefixes, keys that are
    prefixes of others) with values of 1..40 bytes (inline and hashed nodes)."""
    items: dict[bytes, bytes] = {}
    index = 0
    while len(items) < count:
        key = bytes(b & 0x13 for b in seeded_bytes(f"trie/{label}/key/{index}", 1 + index % 4))
        if key not in items:
            items[key] = seeded_bytes(f"trie/{label}/value/{index}", 1 + (index * 7) % 40)
        index += 1
    return items


def _items_json(items: Mapping[bytes, bytes]) -> list[JSON]:
    return [[key.hex(), value.hex()] for key, value in items.items()]


def _enc(item: object) -> bytes:
    encoded: bytes = rlp.encode(item, infer_serializer=False)
    return encoded


def _hp(nibbles: list[int], leaf: bool) -> bytes:
    return hex_prefix_encode(bytes(nibbles), leaf)


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """MPT-6..MPT-12 vectors."""
    yield from _root_cases()
    yield from _apply_cases()
    yield from _prove_cases()
    yield from _verify_cases()
    yield from _claim_cases()
    yield from _decode_cases()
    yield from _boundary_cases_from_mutation()


def _root_cases() -> Iterator[CaseSpec]:
    for name, items, root in ETHEREUM_KNOWN_ROOTS:
        for hasher in TRIE_HASHERS:
            yield CaseSpec(
                "root",
                f"{hasher}_{name}",
                f"{'Ethereum known-answer' if hasher == 'ethereum' else 'Rusty counterpart of the Ethereum'} "
                f"'{name}' trie",
                {"hasher": hasher, "items": _items_json(items)},
                known_output={"root": root} if hasher == "ethereum" else None,
            )
    for count in _ROOT_SIZES:
        items = _items(f"root/{count}", count)
        for hasher in TRIE_HASHERS:
            yield CaseSpec(
                "root",
                f"{hasher}_items_{count}",
                f"root of {count} keys with shared prefixes",
                {"hasher": hasher, "items": _items_json(items)},
            )
    for hasher in TRIE_HASHERS:
        yield CaseSpec(
            "root",
            f"{hasher}_one_byte_values",
            "one-byte values 0x7f (its own RLP) and 0x80 (prefixed 0x81) in leaves",
            {"hasher": hasher, "items": _items_json({b"\x01": b"\x7f", b"\x02": b"\x80", b"\x13": b"\x80"})},
        )
    chain = {bytes(range(1, n + 1)): bytes([0x61 + n]) * (1 + 9 * n) for n in range(6)}
    for hasher in TRIE_HASHERS:
        yield CaseSpec(
            "root",
            f"{hasher}_prefix_chain",
            "keys that are prefixes of each other (values in branch nodes), including the empty key",
            {"hasher": hasher, "items": _items_json(chain)},
        )
        # Values of 55, 56, 60 and 300 bytes: RLP's long string form (b8/b9) inside a node, and
        # nodes whose payload needs the long list form (f8/f9), on a leaf and in a branch's value.
        long_values = {
            b"\x01": seeded_bytes("trie/long/56", 56),
            b"\x01\x02": seeded_bytes("trie/long/60", 60),
            b"\x02": seeded_bytes("trie/long/300", 300),
            b"\x03": seeded_bytes("trie/long/55", 55),
        }
        yield CaseSpec(
            "root",
            f"{hasher}_long_values",
            "values of 55, 56, 60 and 300 bytes (RLP's long string and long list forms in nodes)",
            {"hasher": hasher, "items": _items_json(long_values)},
        )
        yield CaseSpec(
            "apply",
            f"{hasher}_long_values",
            "the long-values set put one key at a time (the incremental leaf encoding of long nodes)",
            {"hasher": hasher, "operations": [["put", k.hex(), v.hex()] for k, v in long_values.items()]},
        )
        yield CaseSpec(
            "root",
            f"{hasher}_empty_value",
            "a key with the empty value (MPT-9: rejected, not treated as absent)",
            {"hasher": hasher, "items": [["01", "aa"], ["02", ""]]},
            expect_error="TRIE_EMPTY_VALUE",
        )


def _apply_cases() -> Iterator[CaseSpec]:
    puppy = dict(ETHEREUM_KNOWN_ROOTS[1][1])
    puppy_root = ETHEREUM_KNOWN_ROOTS[1][2]
    shuffled: list[JSON] = [
        ["put", b"horse".hex(), b"mare".hex()],
        ["put", b"doge".hex(), puppy[b"doge"].hex()],
        ["put", b"dot".hex(), b"extra".hex()],
        ["put", b"do".hex(), puppy[b"do"].hex()],
        ["delete", b"dot".hex()],
        ["put", b"dog".hex(), puppy[b"dog"].hex()],
        ["put", b"horse".hex(), puppy[b"horse"].hex()],
        ["delete", b"zebra".hex()],
    ]
    everything_deleted: list[JSON] = [["put", k.hex(), v.hex()] for k, v in puppy.items()]
    everything_deleted += [["delete", k.hex()] for k in reversed(list(puppy))]
    for hasher in TRIE_HASHERS:
        known = hasher == "ethereum"
        yield CaseSpec(
            "apply",
            f"{hasher}_puppy_shuffled",
            "the 'puppy' set built in another order with an overwrite, an extra key deleted again and "
            "an absent key deleted",
            {"hasher": hasher, "operations": shuffled},
            known_output={"root": puppy_root} if known else None,
        )
        yield CaseSpec(
            "apply",
            f"{hasher}_insert_then_delete_all",
            "every key deleted again gives the empty root",
            {"hasher": hasher, "operations": everything_deleted},
            known_output={"root": ETHEREUM_TRIE_HASHER.empty_root.hex()} if known else None,
        )
        yield CaseSpec(
            "apply",
            f"{hasher}_delete_from_empty",
            "deleting from the empty trie leaves it empty",
            {"hasher": hasher, "operations": [["delete", "00"], ["delete", ""]]},
        )
        yield CaseSpec(
            "apply",
            f"{hasher}_put_empty_value",
            "a put of the empty value is rejected (MPT-9), not a delete",
            {"hasher": hasher, "operations": [["put", "01", "aa"], ["put", "01", ""]]},
            expect_error="TRIE_EMPTY_VALUE",
        )
        for run in range(3):
            yield CaseSpec(
                "apply",
                f"{hasher}_random_{run}",
                "60 puts and deletes over a small key alphabet (splits, merges, collapses)",
                {"hasher": hasher, "operations": _random_operations(f"apply/{run}", 60)},
            )


def _random_operations(label: str, count: int) -> list[JSON]:
    keys = list(_items(f"{label}/keys", 16))
    operations: list[JSON] = []
    for index in range(count):
        choice = seeded_bytes(f"trie/{label}/op/{index}", 2)
        key = keys[choice[0] % len(keys)].hex()
        if choice[1] % 3 == 0:
            operations.append(["delete", key])
        else:
            value = seeded_bytes(f"trie/{label}/value/{index}", 1 + choice[1] % 40)
            operations.append(["put", key, value.hex()])
    return operations


def _probe_keys(items: Mapping[bytes, bytes]) -> list[tuple[str, bytes]]:
    present = sorted(items)
    absent = [
        ("absent_empty_slot", b"\x44"),
        ("absent_longer", present[len(present) // 2] + b"\x00\x00"),
        ("absent_sibling", bytes([*present[-1][:-1], present[-1][-1] ^ 0x04])),
        ("absent_empty_key", b""),
    ]
    chosen = [
        (f"present_{i}", present[i]) for i in (0, len(present) // 3, len(present) // 2, len(present) - 1)
    ]
    return chosen + [(name, key) for name, key in absent if key not in items]


def _prove_cases() -> Iterator[CaseSpec]:
    items = _items("proof", 40)
    for hasher in TRIE_HASHERS:
        for name, key in _probe_keys(items):
            yield CaseSpec(
                "prove",
                f"{hasher}_{name}",
                f"{'inclusion' if name.startswith('present') else 'exclusion'} proof in a 40-key trie",
                {"hasher": hasher, "items": _items_json(items), "key": key.hex()},
            )
        yield CaseSpec(
            "prove",
            f"{hasher}_empty_trie",
            "the proof of any key in the empty trie is empty",
            {"hasher": hasher, "items": [], "key": "00"},
        )


def _verify_cases() -> Iterator[CaseSpec]:
    items = _items("proof", 40)
    for hasher_name, hasher in TRIE_HASHERS.items():
        trie = Trie.from_items(items, hasher)
        root = trie.root_hash.hex()
        for name, key in _probe_keys(items):
            yield CaseSpec(
                "verify_proof",
                f"{hasher_name}_{name}",
                f"valid {'inclusion' if name.startswith('present') else 'exclusion'} proof",
                {"hasher": hasher_name, "root": root, "key": key.hex(), "proof": _proof_hex(trie, key)},
            )
        yield CaseSpec(
            "verify_proof",
            f"{hasher_name}_empty_trie",
            "the empty root with the empty proof proves absence",
            {"hasher": hasher_name, "root": hasher.empty_root.hex(), "key": "00", "proof": []},
        )
        yield from _broken_proofs(hasher_name, trie, items)
    yield from _crafted_proofs(RUSTY_TRIE_HASHER)


def _proof_hex(trie: Trie, key: bytes) -> list[str]:
    return [node.hex() for node in prove(trie, key)]


def _flip(hex_node: str, position: int) -> str:
    raw = bytearray.fromhex(hex_node)
    raw[position % len(raw)] ^= 0x01
    return raw.hex()


def _broken_proofs(hasher_name: str, trie: Trie, items: Mapping[bytes, bytes]) -> Iterator[CaseSpec]:
    key = max(items, key=lambda k: len(prove(trie, k)))
    proof = _proof_hex(trie, key)
    root = trie.root_hash.hex()
    good: dict[str, JSON] = {"hasher": hasher_name, "root": root, "key": key.hex(), "proof": proof}
    other_root = Trie.from_items({**items, b"\x44": b"other"}, trie.hasher).root_hash.hex()
    broken: list[tuple[str, str, dict[str, JSON], str]] = [
        (
            "missing_last_node",
            "the last node of the path left out",
            {"proof": proof[:-1]},
            "TRIE_PROOF_MISSING_NODE",
        ),
        ("empty_proof", "no nodes for a non-empty root", {"proof": []}, "TRIE_PROOF_MISSING_NODE"),
        (
            "tampered_last_node",
            "one bit flipped in the last node",
            {"proof": [*proof[:-1], _flip(proof[-1], 40)]},
            "TRIE_PROOF_HASH_MISMATCH",
        ),
        (
            "tampered_root_node",
            "one bit flipped in the root node",
            {"proof": [_flip(proof[0], 7), *proof[1:]]},
            "TRIE_PROOF_HASH_MISMATCH",
        ),
        (
            "wrong_root",
            "the proof checked against another trie's root",
            {"root": other_root},
            "TRIE_PROOF_HASH_MISMATCH",
        ),
        (
            "reordered",
            "the first two nodes swapped",
            {"proof": [proof[1], proof[0], *proof[2:]]},
            "TRIE_PROOF_HASH_MISMATCH",
        ),
        (
            "extra_node",
            "a node repeated after the path ends",
            {"proof": [*proof, proof[0]]},
            "TRIE_PROOF_UNUSED_NODE",
        ),
        (
            "nodes_for_empty_root",
            "the empty root with a non-empty proof",
            {"root": trie.hasher.empty_root.hex()},
            "TRIE_PROOF_UNUSED_NODE",
        ),
    ]
    for name, description, change, code in broken:
        yield CaseSpec(
            "verify_proof", f"{hasher_name}_{name}", description, {**good, **change}, expect_error=code
        )
    small = Trie.from_items({b"\x01": b"a", b"\x02": b"b"}, trie.hasher)
    inline_leaf = _enc([_hp([], True), b"a"]).hex()
    yield CaseSpec(
        "verify_proof",
        f"{hasher_name}_inline_node_listed",
        "an inline node (inside its parent) also listed as a proof node",
        {
            "hasher": hasher_name,
            "root": small.root_hash.hex(),
            "key": "01",
            "proof": [*_proof_hex(small, b"\x01"), inline_leaf],
        },
        expect_error="TRIE_PROOF_UNUSED_NODE",
    )


def _crafted_proofs(hasher: TrieHasher) -> Iterator[CaseSpec]:
    """Proofs whose nodes hash correctly (the root is made for them) but are not valid nodes."""
    h = hasher.digest
    long_value = b"v" * 40
    long_leaf = _enc([_hp([3, 4, 5], True), long_value])
    short_leaf = _enc([_hp([5], True), b"s"])
    root_leaf = _enc([_hp([0, 5], True), b"s"])
    other = h(_enc([_hp([6], True), long_value]))
    crafted: list[tuple[str, str, list[bytes], bytes, str | None]] = [
        (
            "noncanonical_rlp_node",
            "a leaf whose one-byte value is encoded as a short string (81 05)",
            [b"\xc5" + _enc(_hp([1, 2], True)) + b"\x81\x05"],
            b"\x12",
            "TRIE_DECODE_RLP",
        ),
        (
            "bad_hex_prefix_flag",
            "a leaf whose hex-prefix flag nibble is 4",
            [_enc([bytes([0x41]), long_value])],
            b"\x01",
            "TRIE_DECODE_HEX_PREFIX",
        ),
        (
            "branch_with_16_items",
            "a 'branch' with 16 items (no value slot)",
            [_enc([other] * 16)],
            b"\x00",
            "TRIE_DECODE_NODE_SHAPE",
        ),
        (
            "short_hashed_node",
            "a branch child referenced by hash although its RLP is under 32 bytes",
            [_enc([h(short_leaf), other, *([b""] * 14), b""]), short_leaf],
            b"\x05",
            "TRIE_PROOF_INVALID_NODE",
        ),
        (
            "extension_to_leaf",
            "an extension whose hashed child is a leaf, not a branch",
            [_enc([_hp([1, 2], False), h(long_leaf)]), long_leaf],
            b"\x12\x34\x50",
            "TRIE_PROOF_INVALID_NODE",
        ),
        (
            "empty_node_below_root",
            "a branch child that is the hash of the empty trie",
            [_enc([h(EMPTY_NODE_RLP), other, *([b""] * 14), b""]), EMPTY_NODE_RLP],
            b"\x00",
            "TRIE_PROOF_INVALID_NODE",
        ),
        (
            "short_root_node",
            "accepted: the root is hashed even when its RLP is under 32 bytes",
            [root_leaf],
            b"\x05",
            None,
        ),
    ]
    for name, description, nodes, key, code in crafted:
        yield CaseSpec(
            "verify_proof",
            f"{hasher.name}_{name}",
            description,
            {
                "hasher": hasher.name,
                "root": h(nodes[0]).hex(),
                "key": key.hex(),
                "proof": [n.hex() for n in nodes],
            },
            expect_error=code,
        )


def _claim_cases() -> Iterator[CaseSpec]:
    items = _items("proof", 40)
    trie = Trie.from_items(items, RUSTY_TRIE_HASHER)
    root = trie.root_hash.hex()
    present = sorted(items)[7]
    absent = b"\x44"
    base: dict[str, JSON] = {"hasher": "rusty", "root": root}
    proof_present = _proof_hex(trie, present)
    proof_absent = _proof_hex(trie, absent)
    claims: list[tuple[str, str, dict[str, JSON], str | None]] = [
        ("inclusion", "the right value", {"key": present.hex(), "value": items[present].hex()}, None),
        ("exclusion", "absence of an absent key", {"key": absent.hex(), "value": None}, None),
        (
            "wrong_value",
            "a different value for a present key",
            {"key": present.hex(), "value": (items[present] + b"!").hex()},
            "TRIE_PROOF_VALUE_MISMATCH",
        ),
        (
            "present_claimed_absent",
            "absence of a present key",
            {"key": present.hex(), "value": None},
            "TRIE_PROOF_VALUE_MISMATCH",
        ),
        (
            "absent_claimed_present",
            "a value for an absent key",
            {"key": absent.hex(), "value": "aa"},
            "TRIE_PROOF_VALUE_MISMATCH",
        ),
        (
            "empty_value",
            "the empty value (no key holds it)",
            {"key": present.hex(), "value": ""},
            "TRIE_EMPTY_VALUE",
        ),
    ]
    for name, description, change, code in claims:
        key = bytes.fromhex(str(change["key"]))
        proof = proof_present if key == present else proof_absent
        yield CaseSpec(
            "verify_claim",
            f"rusty_{name}",
            description,
            {**base, **change, "proof": proof},
            expect_error=code,
        )
    yield CaseSpec(
        "verify_claim",
        "rusty_broken_proof",
        "a claim backed by a tampered proof fails on the proof",
        {**base, "key": present.hex(), "value": items[present].hex(), "proof": [_flip(proof_present[0], 3)]},
        expect_error="TRIE_PROOF_HASH_MISMATCH",
    )


def _decode_cases() -> Iterator[CaseSpec]:
    hash_a = seeded_bytes("trie/decode/hash/a", 32)
    hash_b = seeded_bytes("trie/decode/hash/b", 32)
    value = b"value-" + bytes(range(30))
    leaf_inline = [_hp([], True), b"x"]
    branch_inline = [leaf_inline, leaf_inline, *([b""] * 14), b""]
    valid: list[tuple[str, str, bytes]] = [
        ("empty", "the empty trie 0x80", EMPTY_NODE_RLP),
        ("leaf_even_path", "a leaf with an even path", _enc([_hp([1, 2, 3, 4], True), value])),
        ("leaf_odd_path", "a leaf with an odd path", _enc([_hp([1, 2, 3], True), value])),
        ("leaf_empty_path", "a leaf with an empty path (flag byte 0x20)", _enc([_hp([], True), b"v"])),
        (
            "extension_hashed_child",
            "an extension to a hashed branch",
            _enc([_hp([0xA, 0xB, 0xC], False), hash_a]),
        ),
        (
            "extension_inline_branch",
            "an extension to an inline branch",
            _enc([_hp([7], False), branch_inline]),
        ),
        (
            "branch_children_and_value",
            "a branch with hashed and inline children and a value",
            _enc([hash_a, b"", leaf_inline, *([b""] * 12), hash_b, b"branch value"]),
        ),
        (
            "branch_value_and_one_child",
            "a branch with one child and a value",
            _enc([hash_a, *([b""] * 15), b"v"]),
        ),
    ]
    for name, description, data in valid:
        yield CaseSpec("decode_node", name, description, {"bytes": data.hex()})
    leaf_hex = _enc([_hp([1, 2], True), value])
    long_branch = _enc([hash_a, hash_b, *([b""] * 14), b""])
    deep: object = [b""]
    for _ in range(4):
        deep = [deep]
    invalid: list[tuple[str, str, bytes, str]] = [
        ("empty_input", "no bytes at all", b"", "TRIE_DECODE_RLP"),
        (
            "noncanonical_single_byte",
            "a one-byte value encoded as a short string (81 05)",
            b"\xc5" + _enc(_hp([1, 2], True)) + b"\x81\x05",
            "TRIE_DECODE_RLP",
        ),
        (
            "long_form_short_string",
            "a 3-byte path with the long string form (b8 03)",
            b"\xc6\xb8\x03" + _hp([1, 2, 3, 4], True) + b"\x01",
            "TRIE_DECODE_RLP",
        ),
        (
            "length_with_leading_zero",
            "a long list whose length has a leading zero byte (f9 00 51 for f8 51)",
            b"\xf9\x00" + long_branch[1:],
            "TRIE_DECODE_RLP",
        ),
        ("trailing_byte", "a valid leaf followed by one byte", leaf_hex + b"\x00", "TRIE_DECODE_RLP"),
        ("truncated", "a valid leaf missing its last byte", leaf_hex[:-1], "TRIE_DECODE_RLP"),
        ("nested_too_deep", "lists nested 5 deep", _enc(deep), "TRIE_DECODE_RLP"),
        ("string_node", "a non-empty string", _enc(b"abc"), "TRIE_DECODE_NODE_SHAPE"),
        ("empty_list", "a list of no items", _enc([]), "TRIE_DECODE_NODE_SHAPE"),
        ("list_of_3", "a list of 3 items", _enc([b"\x20", b"a", b"b"]), "TRIE_DECODE_NODE_SHAPE"),
        ("branch_16_items", "a branch with 16 items", _enc([hash_a] * 16), "TRIE_DECODE_NODE_SHAPE"),
        (
            "branch_18_items",
            "a branch with 18 items",
            _enc([hash_a] * 16 + [b"", b""]),
            "TRIE_DECODE_NODE_SHAPE",
        ),
        (
            "path_is_list",
            "a 2-item node whose path is a list",
            _enc([[b"\x20"], b"v"]),
            "TRIE_DECODE_NODE_SHAPE",
        ),
        (
            "leaf_value_is_list",
            "a leaf whose value is a list",
            _enc([_hp([1], True), [b"v"]]),
            "TRIE_DECODE_NODE_SHAPE",
        ),
        (
            "branch_value_is_list",
            "a branch whose value is a list",
            _enc([hash_a, hash_b, *([b""] * 14), [b"v"]]),
            "TRIE_DECODE_NODE_SHAPE",
        ),
        ("hex_prefix_flag_4", "hex-prefix flag nibble 4", _enc([b"\x41", value]), "TRIE_DECODE_HEX_PREFIX"),
        ("hex_prefix_flag_f", "hex-prefix flag nibble 15", _enc([b"\xf1", value]), "TRIE_DECODE_HEX_PREFIX"),
        (
            "hex_prefix_padding",
            "an even leaf path whose padding nibble is 1",
            _enc([b"\x21\x23", value]),
            "TRIE_DECODE_HEX_PREFIX",
        ),
        ("hex_prefix_empty", "an empty hex-prefix string", _enc([b"", value]), "TRIE_DECODE_HEX_PREFIX"),
        (
            "child_ref_31_bytes",
            "a branch child reference of 31 bytes",
            _enc([hash_a[:31], hash_b, *([b""] * 14), b""]),
            "TRIE_DECODE_CHILD_REF",
        ),
        (
            "child_ref_33_bytes",
            "an extension child reference of 33 bytes",
            _enc([_hp([1], False), hash_a + b"\x00"]),
            "TRIE_DECODE_CHILD_REF",
        ),
        (
            "inline_child_too_long",
            "an inline child whose RLP is 32 bytes or more (it must be hashed)",
            _enc([[_hp([1], True), b"w" * 30], hash_b, *([b""] * 14), b""]),
            "TRIE_DECODE_CHILD_REF",
        ),
        (
            "extension_without_child",
            "an extension whose child is empty",
            _enc([_hp([1], False), b""]),
            "TRIE_DECODE_CHILD_REF",
        ),
        (
            "leaf_empty_value",
            "a leaf with the empty value",
            _enc([_hp([1], True), b""]),
            "TRIE_DECODE_NONCANONICAL_NODE",
        ),
        (
            "extension_empty_path",
            "an extension with an empty path",
            _enc([_hp([], False), hash_a]),
            "TRIE_DECODE_NONCANONICAL_NODE",
        ),
        (
            "extension_inline_leaf",
            "an extension whose inline child is a leaf",
            _enc([_hp([1], False), leaf_inline]),
            "TRIE_DECODE_NONCANONICAL_NODE",
        ),
        (
            "branch_one_child",
            "a branch with one child and no value",
            _enc([hash_a, *([b""] * 15), b""]),
            "TRIE_DECODE_NONCANONICAL_NODE",
        ),
        (
            "branch_value_only",
            "a branch with a value and no children",
            _enc([*([b""] * 16), b"v"]),
            "TRIE_DECODE_NONCANONICAL_NODE",
        ),
        ("branch_empty", "a branch with nothing in it", _enc([b""] * 17), "TRIE_DECODE_NONCANONICAL_NODE"),
    ]
    for name, description, data, code in invalid:
        yield CaseSpec("decode_node", name, description, {"bytes": data.hex()}, expect_error=code)


def _boundary_cases_from_mutation() -> Iterator[CaseSpec]:
    """Boundaries and proof shapes no other vector pinned, found by mutation testing (docs/mutation.md)."""
    leaf = [_hp([], True), b"x"]
    inner_branch = [leaf, leaf, *([b""] * 14), b""]
    extension = [_hp([7], False), inner_branch]
    decode: list[tuple[str, str, bytes, str | None]] = [
        (
            "hex_prefix_flag_4_zero_padding",
            "flag nibble 4 (0x40, zero padding): above 3, whatever the padding",
            _enc([bytes([0x40]), b"v"]),
            "TRIE_DECODE_HEX_PREFIX",
        ),
        (
            "inline_child_of_32_bytes",
            "an inline child whose RLP is exactly 32 bytes must be hashed instead",
            _enc([[_hp([], True), b"y" * 29], leaf, *([b""] * 14), b""]),
            "TRIE_DECODE_CHILD_REF",
        ),
        (
            "nesting_at_maximum",
            "branch > inline extension > inline branch > inline leaf: lists nested exactly 4 deep",
            _enc([extension, extension, *([b""] * 14), b""]),
            None,
        ),
    ]
    for case, description, data, code in decode:
        yield CaseSpec("decode_node", case, description, {"bytes": data.hex()}, expect_error=code)
    name = next(n for n, h in TRIE_HASHERS.items() if h is RUSTY_TRIE_HASHER)
    # Root: an extension over nibbles 1 2 3 to a branch on the fourth nibble.
    trie = Trie.from_items({b"\x12\x34": b"first", b"\x12\x35": b"second"}, RUSTY_TRIE_HASHER)
    root = trie.root_hash.hex()
    inside = _proof_hex(trie, b"\x12\x34")
    beside = _proof_hex(trie, b"\x56")
    # Root: a branch with children at nibbles 1 and 2 only.
    flat = Trie.from_items({b"\x10": b"one", b"\x20": b"two"}, RUSTY_TRIE_HASHER)
    empty_slot = _proof_hex(flat, b"\x30")
    proofs: list[tuple[str, str, str, bytes, list[str], str | None]] = [
        ("below_extension", "inclusion of a key below an extension", root, b"\x12\x34", inside, None),
        ("diverging_extension", "a key that leaves the root extension: absence", root, b"\x56", beside, None),
        (
            "diverging_extension_extra_node",
            "absence decided at the extension, then one more node: unused",
            root,
            b"\x56",
            [*beside, beside[0]],
            "TRIE_PROOF_UNUSED_NODE",
        ),
        (
            "empty_slot_extra_node",
            "absence decided at an empty branch slot, then one more node: unused",
            flat.root_hash.hex(),
            b"\x30",
            [*empty_slot, empty_slot[0]],
            "TRIE_PROOF_UNUSED_NODE",
        ),
    ]
    below = {b"\x12\x34": b"first", b"\x12\x35": b"second"}
    hashed_at_32 = {b"\x10": b"a" * 29, b"\x20": b"b"}  # the leaf under nibble 1 encodes to 32 bytes
    for case, description, items, key in (
        ("below_extension", "proof of a key below the root extension", below, b"\x12\x34"),
        ("beside_extension", "proof of absence of a key that leaves the root extension", below, b"\x56"),
        (
            "leaf_of_32_bytes",
            "a child node of exactly 32 bytes is hashed, so it is a proof node",
            hashed_at_32,
            b"\x10",
        ),
    ):
        yield CaseSpec(
            "prove",
            f"{name}_{case}",
            description,
            {"hasher": name, "items": _items_json(items), "key": key.hex()},
        )
    for case, description, root_hex, key, proof, code in proofs:
        yield CaseSpec(
            "verify_proof",
            f"{name}_{case}",
            description,
            {"hasher": name, "root": root_hex, "key": key.hex(), "proof": proof},
            expect_error=code,
        )
