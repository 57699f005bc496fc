"""Vectors of the ``merkle`` flow: roots of many sizes, every proof of small trees, broken proofs."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import Preset

_ROOT_SIZES = (0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100)
_PROOF_SIZES = (1, 2, 3, 5, 7, 8, 13)


def _leaves(count: int) -> list[bytes]:
    return [seeded_bytes(f"merkle/leaf/{count}/{i}", 1 + (i % 40)) for i in range(count)]


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """MERKLE-2/3/4 vectors."""
    for count in _ROOT_SIZES:
        leaves = _leaves(count)
        yield CaseSpec(
            "root", f"leaves_{count}", f"root of {count} leaves", {"leaves": [x.hex() for x in leaves]}
        )
    for count in _PROOF_SIZES:
        leaves = _leaves(count)
        hex_leaves = [x.hex() for x in leaves]
        root = merkle_root(leaves)
        for index in range(count):
            yield CaseSpec(
                "proof",
                f"leaves_{count}_index_{index}",
                f"proof of leaf {index} of {count}",
                {"leaves": hex_leaves, "index": index},
            )
            proof = [h.hex() for h in inclusion_proof(leaves, index)]
            yield CaseSpec(
                "verify_proof",
                f"leaves_{count}_index_{index}",
                f"valid proof of leaf {index} of {count}",
                {
                    "leaf": hex_leaves[index],
                    "index": index,
                    "count": count,
                    "proof": proof,
                    "root": root.hex(),
                },
            )
    yield from _invalid_cases()
    yield from _deep_right_edge_cases()


def _invalid_cases() -> Iterator[CaseSpec]:
    leaves = _leaves(7)
    hex_leaves = [x.hex() for x in leaves]
    root = merkle_root(leaves).hex()
    proof = [h.hex() for h in inclusion_proof(leaves, 4)]
    good: dict[str, JSON] = {"leaf": hex_leaves[4], "index": 4, "count": 7, "proof": proof, "root": root}
    yield CaseSpec(
        "proof",
        "empty_tree",
        "no proof exists in an empty tree",
        {"leaves": [], "index": 0},
        expect_error="MERKLE_EMPTY_TREE",
    )
    yield CaseSpec(
        "proof",
        "index_past_end",
        "index equal to the leaf count",
        {"leaves": hex_leaves, "index": 7},
        expect_error="MERKLE_INDEX_OUT_OF_RANGE",
    )
    yield CaseSpec(
        "verify_proof",
        "wrong_leaf",
        "another leaf's data with this proof",
        {**good, "leaf": hex_leaves[3]},
        expect_error="MERKLE_ROOT_MISMATCH",
    )
    yield CaseSpec(
        "verify_proof",
        "wrong_index",
        "right leaf, proof read at a different index",
        {**good, "index": 5},
        expect_error="MERKLE_ROOT_MISMATCH",
    )
    yield CaseSpec(
        "verify_proof",
        "wrong_count",
        "a count that changes the proof length",
        {**good, "count": 9},
        expect_error="MERKLE_PROOF_LENGTH",
    )
    yield CaseSpec(
        "verify_proof",
        "same_shape_other_count",
        "accepted: counts 7 and 8 give leaf 4 the same path shape, so a proof does not bind "
        "the leaf count (MERKLE-5: commit to the count separately)",
        {**good, "count": 8},
    )
    yield CaseSpec(
        "verify_proof",
        "proof_too_long",
        "an extra sibling hash",
        {**good, "proof": [*proof, proof[0]]},
        expect_error="MERKLE_PROOF_LENGTH",
    )
    yield CaseSpec(
        "verify_proof",
        "proof_too_short",
        "a sibling hash missing",
        {**good, "proof": proof[:-1]},
        expect_error="MERKLE_PROOF_LENGTH",
    )
    yield CaseSpec(
        "verify_proof",
        "flipped_sibling",
        "one bit flipped in a sibling",
        {**good, "proof": [proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1"), *proof[1:]]},
        expect_error="MERKLE_ROOT_MISMATCH",
    )
    yield CaseSpec(
        "verify_proof",
        "index_past_end",
        "index equal to the count",
        {**good, "index": 7},
        expect_error="MERKLE_INDEX_OUT_OF_RANGE",
    )
    yield CaseSpec(
        "verify_proof",
        "zero_count",
        "a tree of no leaves",
        {**good, "index": 0, "count": 0, "proof": []},
        expect_error="MERKLE_EMPTY_TREE",
    )
    yield CaseSpec(
        "verify_proof",
        "negative_index",
        "a negative index",
        {**good, "index": -1},
        expect_error="MERKLE_INDEX_OUT_OF_RANGE",
    )
    yield CaseSpec(
        "verify_proof",
        "leaf_as_inner_node",
        "second-preimage attempt: an inner node's children presented as a leaf",
        {
            "leaf": (merkle_root(leaves[:4]) + merkle_root(leaves[4:])).hex(),
            "index": 0,
            "count": 1,
            "proof": [],
            "root": root,
        },
        expect_error="MERKLE_ROOT_MISMATCH",
    )


def _deep_right_edge_cases() -> Iterator[CaseSpec]:
    """MERKLE-4 on leaves at the right edge of deep unbalanced trees (found by mutation testing).

    A right-edge leaf whose index has several trailing zero bits (20 = 0b10100 of 21 leaves, 40 of
    41) is hashed with its left sibling subtree, climbs more than one level, and then still has a
    sibling above it: folding with wrong index arithmetic after the climb picks the wrong side.
    """
    for count, index in ((21, 20), (41, 40)):
        leaves = _leaves(count)
        yield CaseSpec(
            "verify_proof",
            f"right_edge_leaves_{count}_index_{index}",
            f"valid proof of the last leaf {index} of {count}: climbs several levels, then folds once more",
            {
                "leaf": leaves[index].hex(),
                "index": index,
                "count": count,
                "proof": [h.hex() for h in inclusion_proof(leaves, index)],
                "root": merkle_root(leaves).hex(),
            },
        )
