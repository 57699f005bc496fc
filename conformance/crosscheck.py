"""Independent cross-checks run on every valid vector during generation (issue 11 item 3).

Where no published answer exists, a valid case's output would otherwise be whatever the reference
returns. For the handlers below a second, short *definitional* computation (written here, not
calling the optimised code path it checks) must agree with the reference's output, or generation
fails. The trie's definitional ``trie_root`` plays the same part for the persistent ``Trie``.

| handler | optimised path (reference) | definitional check |
|---|---|---|
| merkle/root | ``merkle_root`` | RFC 9162's MTH written out recursively below |
| merkle/proof | ``inclusion_proof`` (recursive) | ``root_from_inclusion_proof`` (iterative) reaches MTH |
| trie/root | definitional ``trie_root`` | the persistent ``Trie`` built by inserts |
| trie/apply | persistent ``Trie`` | ``trie_root`` of the operations replayed on a dict |
| encoding/encode | ``encode`` | ``decode`` of the output gives the input value back |
| script/encode_number | ``encode_number`` | sign-magnitude written out byte by byte below |
| chain/ticket_price | ``next_ticket_price`` | POS-5 restated with an explicit floor |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conformance.model import JSON
from spec.encoding import decode
from spec.errors import SpecError
from spec.hashing import HashDomain, tagged_hash
from spec.merkle import root_from_inclusion_proof
from spec.presets import Preset
from spec.trie import TRIE_HASHERS, Trie, trie_root


class CrossCheckError(Exception):
    """The reference's output disagrees with the definitional computation."""


def _mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 section 2.1.1 with the protocol's domains, straight from the definition."""
    if not leaves:
        return tagged_hash(HashDomain.MERKLE_EMPTY, b"")
    if len(leaves) == 1:
        return tagged_hash(HashDomain.MERKLE_LEAF, leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return tagged_hash(HashDomain.MERKLE_NODE, _mth(leaves[:k]) + _mth(leaves[k:]))


def _hex_list(value: JSON) -> list[bytes]:
    assert isinstance(value, list)
    return [bytes.fromhex(str(item)) for item in value]


def _as_dict(value: JSON) -> dict[str, JSON]:
    assert isinstance(value, dict)
    return dict(value)


def _merkle_root(preset: Preset, data: dict[str, JSON], output: JSON) -> None:
    if _as_dict(output)["root"] != _mth(_hex_list(data["leaves"])).hex():
        raise CrossCheckError("merkle root differs from RFC 9162 MTH")


def _merkle_proof(preset: Preset, data: dict[str, JSON], output: JSON) -> None:
    leaves = _hex_list(data["leaves"])
    index = data["index"]
    assert isinstance(index, int)
    proof = _hex_list(_as_dict(output)["proof"])
    if root_from_inclusion_proof(leaves[index], index, len(leaves), proof) != _mth(leaves):
        raise CrossCheckError("the proof does not fold to MTH")


def _trie_root(preset: Preset, data: dict[str, JSON], output: JSON) -> None:
    hasher = TRIE_HASHERS[str(data["hasher"])]
    items = data["items"]
    assert isinstance(items, list)
    trie = Trie(hasher)
    for pair in items:
        assert isinstance(pair, list)
        trie = trie.insert(bytes.fromhex(str(pair[0])), bytes.fromhex(str(pair[1])))
    if _as_dict(output)["root"] != trie.root_hash.hex():
        raise CrossCheckError("the persistent trie's root differs from trie_root")


def _trie_apply(preset: Preset, data: dict[str, JSON], output: JSON) -> None:
    hasher = TRIE_HASHERS[str(data["hasher"])]
    operations = data["operations"]
    assert isinstance(operations, list)
    items: dict[bytes, bytes] = {}
    for operation in operations:
        assert isinstance(operation, list)
        key = bytes.fromhex(str(operation[1]))
        if operation[0] == "put":
            items[key] = bytes.fromhex(str(operation[2]))
        else:
            items.pop(key, None)
    if _as_dict(output)["root"] != trie_root(items, hasher).hex():
        raise CrossCheckError("the persistent trie's root differs from trie_root of the replayed items")


def _encoding_encode(preset: Preset, data: dict[str, JSON], output: JSON) -> None:
    from conformance.handlers.encoding import parse_type

    node = parse_type(str(data["type"]))
    try:
        value = decode(node.codec, bytes.fromhex(str(_as_dict(output)["bytes"])))
    except SpecError as exc:
        raise CrossCheckError(f"the encoding does not decode: {exc.code}") from None
    if node.to_json(value) != node.to_json(node.from_json(data["value"])):
        raise CrossCheckError("decode(encode(value)) is not the value")


def _script_number(value: int) -> bytes:
    """SCRIPT-14 from its wording: magnitude bytes little-endian, then the sign in the top bit."""
    out = bytearray()
    magnitude = abs(value)
    while magnitude:
        out.append(magnitude & 0xFF)
        magnitude >>= 8
    if out and out[-1] & 0x80:
        out.append(0x80 if value < 0 else 0)
    elif out and value < 0:
        out[-1] |= 0x80
    return bytes(out)


def _encode_number(preset: Preset, data: dict[str, JSON], output: JSON) -> None:
    value = int(str(data["value"]))
    if _as_dict(output)["element"] != _script_number(value).hex():
        raise CrossCheckError("encode_number differs from sign-magnitude")


def _ticket_price(preset: Preset, data: dict[str, JSON], output: JSON) -> None:
    params = preset.tickets
    height, price, live = (int(str(data[name])) for name in ("height", "price", "live_count"))
    expected = price
    if height > 0 and height % params.price_interval == 0:
        numerator = price * (live - params.target_pool_size)
        denominator = 20 * params.target_pool_size
        quotient = numerator // denominator
        assert quotient * denominator <= numerator < (quotient + 1) * denominator  # floor, by definition
        expected = min(params.max_ticket_price, max(params.min_ticket_price, price + quotient))
    if int(str(_as_dict(output)["price"])) != expected:
        raise CrossCheckError("POS-5 price differs from its restatement")


CROSS_CHECKS: dict[tuple[str, str], Callable[[Preset, dict[str, JSON], JSON], None]] = {
    ("merkle", "root"): _merkle_root,
    ("merkle", "proof"): _merkle_proof,
    ("trie", "root"): _trie_root,
    ("trie", "apply"): _trie_apply,
    ("encoding", "encode"): _encoding_encode,
    ("script", "encode_number"): _encode_number,
    ("chain", "ticket_price"): _ticket_price,
}
"""Definitional checks by (flow, handler), run on every valid vector of that handler."""
