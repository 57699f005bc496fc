"""The definitional cross-checks of generation (conformance/crosscheck.py) accept the reference's
outputs and reject a changed one."""

from __future__ import annotations

import pytest

from conformance.crosscheck import CROSS_CHECKS, CrossCheckError
from conformance.handlers import FLOW_HANDLERS
from conformance.model import JSON, to_wire
from spec.presets import get_preset

CASES: dict[tuple[str, str], dict[str, JSON]] = {
    ("merkle", "root"): {"leaves": ["00", "01", "02", "03", "04"]},
    ("merkle", "proof"): {"leaves": ["00", "01", "02", "03", "04"], "index": 4},
    ("trie", "root"): {"hasher": "ethereum", "items": [["646f", "76657262"], ["646f67", "7075707079"]]},
    ("trie", "apply"): {
        "hasher": "rusty",
        "operations": [["put", "01", "aa"], ["put", "0102", "bb"], ["delete", "01"]],
    },
    ("encoding", "encode"): {"type": "list(u64, 3)", "value": [1, "18446744073709551615"]},
    ("script", "encode_number"): {"value": -(2**40)},
    ("chain", "ticket_price"): {"height": 10, "price": 100_000_007, "live_count": 3},
}


def _changed(output: JSON) -> JSON:
    assert isinstance(output, dict)
    key, value = sorted(output.items())[0]
    if isinstance(value, list):
        return {**output, key: [*value[:-1], "00" * 32]}
    if isinstance(value, int):
        return {**output, key: value + 1}
    return {**output, key: "00" + str(value)}


@pytest.mark.parametrize("where", sorted(CROSS_CHECKS))
def test_cross_check_accepts_reference_and_rejects_change(where: tuple[str, str]) -> None:
    assert where in CASES, "every cross-check has a case here"
    flow, handler = where
    preset = get_preset("devnet")
    data = CASES[where]
    output = to_wire(FLOW_HANDLERS[flow][handler](preset, data))
    CROSS_CHECKS[where](preset, data, output)
    with pytest.raises(CrossCheckError):
        CROSS_CHECKS[where](preset, data, _changed(output))
