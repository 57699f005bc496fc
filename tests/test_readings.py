"""Each alternative reading of docs/conformance-strength.md fails at least one vector it names.

A *reading* is a plausible variant of a rule (another check order, a missing early exit, a
recogniser that is too strict). Each test here applies one reading to the reference (by
monkeypatching one spec or handler function), runs the vectors the doc page lists for it, and
asserts that at least one of them now gets another verdict: the vectors pin the rule. It also
checks that the unpatched reference passes them, so a test cannot pass on a broken vector.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import conformance.handlers.chain as chain_handlers
import conformance.handlers.encoding as encoding_handlers
import conformance.handlers.merkle as merkle_handlers
import conformance.handlers.script as script_handlers
import conformance.handlers.trie as trie_handlers
import spec.chain.tickets as tickets
import spec.encoding as encoding
import spec.merkle as merkle
import spec.script as script
import spec.trie as trie
from conformance.generate import build_vector
from conformance.generators import FLOW_GENERATORS, strength
from conformance.handlers import FLOW_HANDLERS
from conformance.model import JSON, CaseSpec, Vector, to_wire
from conformance.outcome import run_handler
from spec.errors import (
    MerkleRootMismatch,
    NonCanonicalVarint,
    ScriptNonMinimalNumber,
    ScriptNullDummy,
    ScriptNullFail,
    ScriptNumberOverflow,
    ScriptPubkeyCount,
    ScriptPubkeyEncoding,
    ScriptPushSize,
    ScriptSigCount,
    ScriptSigEncoding,
    ScriptSigNotPushOnly,
    ScriptSigopLimit,
    TrailingBytes,
    TrieChildRefError,
    TrieEmptyValue,
    TrieNodeShape,
    TrieNonCanonicalNode,
    TrieProofValueMismatch,
    VarintOverflow,
)
from spec.presets import Preset, get_preset

ROOT = Path(__file__).resolve().parent.parent
PRESET = "devnet"
_GENERATORS: dict[str, Callable[[Preset], Iterator[CaseSpec]]] = {
    "script": FLOW_GENERATORS["script"],
    "encoding": FLOW_GENERATORS["encoding"],
    "trie": FLOW_GENERATORS["trie"],
    "merkle": FLOW_GENERATORS["merkle"],
    "chain": strength.ticket_price_cases,  # the whole chain generator builds chains: not needed here
}


@cache
def _specs(flow: str) -> dict[str, CaseSpec]:
    return {f"{flow}/{s.handler}/{s.case}": s for s in _GENERATORS[flow](get_preset(PRESET))}


@cache
def _doc_rows() -> dict[int, list[str]]:
    """Row number -> the vectors the doc page names in that row."""
    text = (ROOT / "docs" / "conformance-strength.md").read_text(encoding="utf-8")
    rows: dict[int, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"^\| (\d+) \|", line)
        if match:
            rows[int(match.group(1))] = re.findall(r"`([a-z0-9_]+/[a-z0-9_]+/[a-z0-9_]+)`", line)
    return rows


def _runnable(name: str) -> bool:
    flow, handler, _ = name.split("/")
    return flow in _GENERATORS and (flow != "chain" or handler == "ticket_price")


@pytest.fixture(scope="module")
def named() -> dict[int, list[Vector]]:
    """The vectors of every row, built by the unpatched reference (before any test patches it)."""
    result: dict[int, list[Vector]] = {}
    for row, names in _doc_rows().items():
        runnable = [n for n in names if _runnable(n)]
        result[row] = [build_vector(PRESET, n.split("/")[0], _specs(n.split("/")[0])[n]) for n in runnable]
    return result


def _verdict(vector: Vector, input_data: dict[str, JSON] | None = None) -> tuple[Any, str | None]:
    """The handler's output and error code; an exception that is not a protocol error (an adapter
    cross-check failing, as the batched trie update does when a reading changes only one path)
    is a verdict of its own: the runner reports that case failed."""
    handler = FLOW_HANDLERS[vector.flow][vector.handler]
    try:
        outcome = run_handler(handler, get_preset(PRESET), vector.input if input_data is None else input_data)
    except RuntimeError as error:
        return None, f"internal error: {error}"
    return to_wire(outcome.output), outcome.error


def _caught(vectors: list[Vector]) -> list[str]:
    """The vectors on which the (patched) reference gives another verdict than the vector's."""
    assert vectors
    return [f"{v.flow}/{v.handler}/{v.case}" for v in vectors if _verdict(v) != (v.output, v.error)]


def _patch(monkeypatch: pytest.MonkeyPatch, name: str, value: object, *modules: object) -> None:
    for module in modules:
        if hasattr(module, name):
            monkeypatch.setattr(module, name, value)


def test_reference_passes_every_named_vector(named: dict[int, list[Vector]]) -> None:
    assert all(named[row] for row in range(1, 25)), "rows 1..24 must each name a runnable vector"
    for row, vectors in named.items():
        assert not vectors or _caught(vectors) == [], f"row {row}: the reference itself disagrees"


# --------------------------------------------------------------------------------------------
# script
# --------------------------------------------------------------------------------------------

_original_match = script.match_signatures
_original_pair = script.check_signature_pair
_original_evaluate = script.evaluate
_original_parse = script.parse_script


def test_1_every_key_length_checked_first(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(signatures: Any, public_keys: Any, checker: Any) -> bool:
        for key in public_keys:
            if len(key) != script.PUBLIC_KEY_BYTES:
                raise ScriptPubkeyEncoding("variant: every key checked up front")
        return _original_match(signatures, public_keys, checker)

    monkeypatch.setattr(script, "match_signatures", variant)
    assert "script/evaluate/multisig_unreached_33_byte_key" in _caught(named[1])


def test_2_null_data_at_most_one_push(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    original = script.is_null_data

    def variant(data: bytes, params: Any) -> bool:
        return original(data, params) and len(_original_parse(data, params)) <= 2

    _patch(monkeypatch, "is_null_data", variant, script, script_handlers)
    assert _caught(named[2])


def _matching_without_early_exit(signatures: Any, public_keys: Any, checker: Any) -> bool:
    remaining = len(signatures)
    for key_index in reversed(range(len(public_keys))):
        if remaining == 0:
            break
        if script.check_signature_pair(signatures[remaining - 1], public_keys[key_index], checker):
            remaining -= 1
    return remaining == 0


def test_3_no_early_exit(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    monkeypatch.setattr(script, "match_signatures", _matching_without_early_exit)
    assert _caught(named[3])


def _checkmultisig_variant(dummy_first: bool, nullfail_compared_only: bool) -> Callable[..., Any]:
    def variant(stack: Any, checker: Any, params: Any) -> Any:
        rest, (n_element,) = script._take(stack, 1)
        key_count = script.decode_number(n_element)
        if not 0 <= key_count <= params.max_pubkeys_per_multisig:
            raise ScriptPubkeyCount("n")
        rest, keys = script._take(rest, key_count)
        rest, (m_element,) = script._take(rest, 1)
        sig_count = script.decode_number(m_element)
        if not dummy_first and not 0 <= sig_count <= key_count:
            raise ScriptSigCount("m")
        rest, signatures = script._take(rest, max(sig_count, 0))
        rest, (dummy,) = script._take(rest, 1)
        if dummy:
            raise ScriptNullDummy("dummy")
        if dummy_first and not 0 <= sig_count <= key_count:
            raise ScriptSigCount("m")
        compared: set[int] = set()
        sig_index, key_index, valid = len(signatures), len(keys), True
        while sig_index > 0:
            if sig_index > key_index:
                valid = False
                break
            compared.add(sig_index - 1)
            if script.check_signature_pair(signatures[sig_index - 1], keys[key_index - 1], checker):
                sig_index -= 1
            key_index -= 1
        looked_at = [signatures[i] for i in compared] if nullfail_compared_only else list(signatures)
        if not valid and any(looked_at):
            raise ScriptNullFail("variant")
        return (*rest, script._bool_element(valid))

    return variant


def test_4_nullfail_over_compared_signatures_only(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    monkeypatch.setattr(script, "_checkmultisig", _checkmultisig_variant(False, True))
    assert _caught(named[4])


def test_5_signature_encodings_checked_first(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(signatures: Any, public_keys: Any, checker: Any) -> bool:
        for signature in signatures:
            if len(signature) not in (0, script.SIGNATURE_BYTES):
                raise ScriptSigEncoding("variant: every signature checked up front")
        return _original_match(signatures, public_keys, checker)

    monkeypatch.setattr(script, "match_signatures", variant)
    assert _caught(named[5])


def test_6_key_before_signature(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    def variant(signature: bytes, public_key: bytes, checker: Any) -> bool:
        if len(public_key) != script.PUBLIC_KEY_BYTES:
            raise ScriptPubkeyEncoding("variant")
        return _original_pair(signature, public_key, checker)

    monkeypatch.setattr(script, "check_signature_pair", variant)
    assert _caught(named[6])


def test_7_empty_signature_false_before_key_check(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(signature: bytes, public_key: bytes, checker: Any) -> bool:
        return False if not signature else _original_pair(signature, public_key, checker)

    monkeypatch.setattr(script, "check_signature_pair", variant)
    assert _caught(named[7])


def test_8_empty_signature_reaches_checker(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(signature: bytes, public_key: bytes, checker: Any) -> bool:
        if len(signature) not in (0, script.SIGNATURE_BYTES):
            raise ScriptSigEncoding("variant")
        if len(public_key) != script.PUBLIC_KEY_BYTES:
            raise ScriptPubkeyEncoding("variant")
        return bool(checker.check_signature(signature, public_key))

    monkeypatch.setattr(script, "check_signature_pair", variant)
    assert _caught(named[8])


def _evaluate_in_order(order: str) -> Callable[..., None]:
    """An ``evaluate`` whose steps run in ``order``: P parse sig, O push-only, Q parse pubkey,
    S sigops, R run sig, U run pubkey (the reference is POQSRU)."""

    def variant(script_sig: bytes, script_pubkey: bytes, checker: Any, params: Any) -> None:
        ops: dict[str, Any] = {}
        stack: tuple[bytes, ...] = ()
        for step in order:
            if step == "P":
                ops["sig"] = script.parse_script(script_sig, params)
            elif step == "O":
                if not script.is_push_only(script.parse_script(script_sig, params)):
                    raise ScriptSigNotPushOnly("variant")
            elif step == "Q":
                ops["pubkey"] = script.parse_script(script_pubkey, params)
            elif step == "S":
                count = script.count_sigops(script_pubkey, params)
                if count > params.max_sigops_per_tx:
                    raise ScriptSigopLimit("variant")
            elif step == "R":
                stack = script.execute(script.parse_script(script_sig, params), (), checker, params)
            else:
                stack = script.execute(script.parse_script(script_pubkey, params), stack, checker, params)
        script.check_final_stack(stack)

    return variant


def test_9_sigops_or_pubkey_parse_before_push_only(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    for order in ("PQSORU", "PQOSRU"):
        _patch(monkeypatch, "evaluate", _evaluate_in_order(order), script, script_handlers)
        assert _caught(named[9]), order


def test_10_push_only_checked_while_reading(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(script_sig: bytes, script_pubkey: bytes, checker: Any, params: Any) -> None:
        position = 0
        while position < len(script_sig):
            op, position = script._read_op(script_sig, position, params)
            if isinstance(op, script.Op):
                raise ScriptSigNotPushOnly("variant: while reading")
        _original_evaluate(script_sig, script_pubkey, checker, params)

    _patch(monkeypatch, "evaluate", variant, script, script_handlers)
    assert _caught(named[10])


def test_11_sig_runs_before_pubkey_parse(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    _patch(monkeypatch, "evaluate", _evaluate_in_order("PORQSU"), script, script_handlers)
    assert _caught(named[11])


def test_12_balance_checked_before_op_count(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(data: bytes, params: Any) -> Any:
        _original_parse(data, dataclasses.replace(params, max_ops=10**9))
        return _original_parse(data, params)

    _patch(monkeypatch, "parse_script", variant, script, script_handlers)
    assert _caught(named[12])


def test_13_size_before_minimality(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    original = script._read_push

    def variant(data: bytes, position: int, params: Any) -> Any:
        width = script._PUSHDATA_WIDTH.get(data[position], 0)
        start = position + 1 + width
        if width and start <= len(data):
            length = int.from_bytes(data[position + 1 : start], "little")
            if length > params.max_element_bytes:
                raise ScriptPushSize("variant: size first")
        return original(data, position, params)

    monkeypatch.setattr(script, "_read_push", variant)
    assert _caught(named[13])


def test_14_dummy_before_counts(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    monkeypatch.setattr(script, "_checkmultisig", _checkmultisig_variant(True, False))
    assert _caught(named[14])


def test_15_minimality_before_length(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    original = script.decode_number

    def variant(element: bytes) -> int:
        if element and element[-1] & 0x7F == 0 and (len(element) == 1 or element[-2] & 0x80 == 0):
            raise ScriptNonMinimalNumber("variant")
        if len(element) > script.NUMBER_MAX_BYTES:
            raise ScriptNumberOverflow("variant")
        return original(element)

    _patch(monkeypatch, "decode_number", variant, script, script_handlers)
    assert _caught(named[15])


# --------------------------------------------------------------------------------------------
# trie
# --------------------------------------------------------------------------------------------

_original_node = trie._node_from_item


def test_16_branch_value_before_children(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(item: list[Any]) -> Any:
        if len(item) == 17 and not isinstance(item[16], bytes):
            raise TrieNodeShape("variant: value first")
        if len(item) == 17:
            children = tuple(trie._child_from_item(c) for c in item[:16])
            if sum(c is not None for c in children) + (1 if item[16] else 0) < 2:
                raise TrieNonCanonicalNode("variant")
        return _original_node(item)

    monkeypatch.setattr(trie, "_node_from_item", variant)
    assert _caught(named[16])


def test_17_extension_child_before_path(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(item: list[Any]) -> Any:
        child, path = item[-1], item[0]
        bad_child = isinstance(child, bytes) and len(child) not in (0, 32)
        extension = isinstance(path, bytes) and path[:1] != b"" and path[0] >> 4 < 2
        if len(item) == 2 and bad_child and extension:
            raise TrieChildRefError("variant: child first")
        return _original_node(item)

    monkeypatch.setattr(trie, "_node_from_item", variant)
    assert _caught(named[17])


def test_18_verify_claim_reordered(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    def variant(root: bytes, key: bytes, value: bytes, proof: Any, hasher: Any) -> None:
        shown = trie.verify_proof(root, key, proof, hasher)
        if not value:
            raise TrieEmptyValue("variant: after the proof")
        if shown != value:
            raise TrieProofValueMismatch("variant")

    _patch(monkeypatch, "verify_inclusion", variant, trie, trie_handlers)
    assert _caught(named[18])


def test_19_first_put_wins(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    original = trie.Trie.insert

    def variant(self: trie.Trie, key: bytes, value: bytes) -> trie.Trie:
        return self if self.get(key) is not None else original(self, key, value)

    monkeypatch.setattr(trie.Trie, "insert", variant)
    assert _caught(named[19])


# --------------------------------------------------------------------------------------------
# encoding and JSON
# --------------------------------------------------------------------------------------------


def test_20_only_two_byte_overlong_varints(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    def variant(reader: Any) -> int:
        value = 0
        for index in range(encoding.MAX_VARINT_BYTES):
            byte = reader.take_byte()
            value |= (byte & 0x7F) << (7 * index)
            if byte & 0x80 == 0:
                if index == 1 and byte == 0:
                    raise NonCanonicalVarint("variant")
                if value > encoding.MAX_U64:
                    raise VarintOverflow("variant")
                return int(value)
        raise VarintOverflow("variant")

    monkeypatch.setattr(encoding, "varint_read", variant)
    assert _caught(named[20])


def test_21_trailing_bytes_before_value(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    original = encoding.decode

    def variant(codec: Any, data: bytes) -> Any:
        if (
            isinstance(codec, encoding.Bool | encoding.UInt | encoding.FixedBytes)
            and len(data) > codec.min_size
        ):
            raise TrailingBytes("variant: length first")
        return original(codec, data)

    _patch(monkeypatch, "decode", variant, encoding, encoding_handlers)
    assert _caught(named[21])


def test_22_maxima_from_the_preset(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    params = get_preset(PRESET).encoding
    monkeypatch.setattr(encoding_handlers, "VarBytes", lambda _: encoding.VarBytes(params.max_bytes_field))
    monkeypatch.setattr(
        encoding_handlers, "ListOf", lambda item, _: encoding.ListOf(item, params.max_list_items)
    )
    assert _caught(named[22])


def test_23_integers_read_as_doubles(named: dict[int, list[Vector]]) -> None:
    def as_double(value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
            return int(float(int(value)))
        if isinstance(value, dict):
            return {k: as_double(v) for k, v in value.items()}
        if isinstance(value, list):
            return [as_double(v) for v in value]
        return value

    caught = [v.case for v in named[23] if _verdict(v, as_double(v.input)) != (v.output, v.error)]
    assert caught


def test_24_truncating_division(monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]) -> None:
    def variant(height: int, price: int, live_count: int, preset: Preset) -> int:
        params = preset.tickets
        if height == 0 or height % params.price_interval != 0:
            return price
        target = params.target_pool_size
        numerator = price * (live_count - target)
        quotient = abs(numerator) // (20 * target) * (-1 if numerator < 0 else 1)
        return max(params.min_ticket_price, min(params.max_ticket_price, price + quotient))

    _patch(monkeypatch, "next_ticket_price", variant, tickets, chain_handlers)
    assert _caught(named[24])


def test_31_merkle_proofs_always_full_length(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    monkeypatch.setattr(merkle, "inclusion_proof_length", lambda index, count: (count - 1).bit_length())
    assert "merkle/verify_proof/right_edge_short_proof" in _caught(named[31])


def test_31_merkle_length_checked_after_root(
    monkeypatch: pytest.MonkeyPatch, named: dict[int, list[Vector]]
) -> None:
    original = merkle.verify_inclusion_proof

    def variant(leaf: bytes, index: int, count: int, proof: Any, root: bytes) -> None:
        if 0 <= index < count and len(proof) != merkle.inclusion_proof_length(index, count):
            raise MerkleRootMismatch("variant: root compared first")
        original(leaf, index, count, proof, root)

    _patch(monkeypatch, "verify_inclusion_proof", variant, merkle, merkle_handlers)
    assert "merkle/verify_proof/length_before_root" in _caught(named[31])
