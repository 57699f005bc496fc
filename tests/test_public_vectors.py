"""Independent oracles: published test vectors run as known answers against spec/ (issue 11 item 3).

The files stay in the shared public-vector directory (``../shared/public-vectors`` seen from the
repository or one of its parents, or ``$RUSTY_PUBLIC_VECTORS``); they are never copied into the
repository. The tests skip when the directory is absent.

* Ethereum ``TrieTests`` (trietest, trieanyorder, their secure-trie variants, hex-encoded secure
  trie) against the keccak instantiation: the persistent ``Trie`` *and* the definitional
  ``trie_root`` must both give the published root;
* Ethereum ``RLPTests``: the trie's RLP encoder gives every published encoding, its strict decoder
  reads it back, and rejects every invalid one with ``TRIE_DECODE_RLP``;
* the Ethereum BLS tests (ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``) and the
  RFC 9380 G2 hash-to-curve vectors;
* RFC 8032 section 7.1 and ed25519-speccheck (strict verdicts: only case 3 verifies);
* the BLAKE3 team's vectors through ``tagged_hash``'s own call (derive_key mode).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import blake3
import pytest

from spec.crypto import bls, ed25519
from spec.errors import SpecError
from spec.hashing import tagged_hash
from spec.trie import ETHEREUM_TRIE_HASHER, Trie, _decode_rlp, _rlp_encode, keccak256, trie_root


def _public_vectors() -> Path | None:
    configured = os.environ.get("RUSTY_PUBLIC_VECTORS")
    if configured:
        return Path(configured)
    root = Path(__file__).resolve().parent.parent
    for base in (root.parent, *root.parent.parents):
        candidate = base / "shared" / "public-vectors"
        if candidate.is_dir():
            return candidate
    return None


PUBLIC = _public_vectors()
pytestmark = pytest.mark.skipif(PUBLIC is None, reason="no ../shared/public-vectors directory")


def _load(relative: str) -> Any:
    assert PUBLIC is not None
    return json.loads((PUBLIC / relative).read_text(encoding="utf-8"))


def _bytes(text: str) -> bytes:
    """The ethereum/tests convention: ``0x`` hex, otherwise UTF-8 text."""
    return bytes.fromhex(text[2:]) if text.startswith("0x") else text.encode()


def _unhex(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


# --------------------------------------------------------------------------------------------
# Ethereum trie and RLP
# --------------------------------------------------------------------------------------------

TRIE_FILES = {
    "trietest.json": False,
    "trieanyorder.json": False,
    "trietest_secureTrie.json": True,
    "trieanyorder_secureTrie.json": True,
    "hex_encoded_securetrie_test.json": True,
}


def _trie_cases() -> list[tuple[str, str, bool]]:
    if PUBLIC is None:
        return []
    return [(name, case, secure) for name, secure in TRIE_FILES.items() for case in _load(f"eth-trie/{name}")]


@pytest.mark.parametrize(("file", "case", "secure"), _trie_cases())
def test_ethereum_trie_roots(file: str, case: str, secure: bool) -> None:
    test = _load(f"eth-trie/{file}")[case]
    raw = test["in"]
    pairs = list(raw.items()) if isinstance(raw, dict) else [tuple(p) for p in raw]
    trie = Trie(ETHEREUM_TRIE_HASHER)
    final: dict[bytes, bytes] = {}
    for key_text, value_text in pairs:
        key = _bytes(key_text)
        if secure:
            key = keccak256(key)
        value = b"" if value_text is None else _bytes(value_text)
        if value:
            trie = trie.insert(key, value)
            final[key] = value
        else:  # null or the empty value: Ethereum deletes (MPT-9 stores only non-empty values)
            trie = trie.delete(key)
            final.pop(key, None)
    expected = _unhex(test["root"])
    assert trie.root_hash == expected
    assert trie_root(final, ETHEREUM_TRIE_HASHER) == expected


def _rlp_item(value: Any) -> Any:
    """An rlptest ``in`` value as the trie's RLP items (bytes and lists)."""
    if isinstance(value, list):
        return [_rlp_item(v) for v in value]
    if isinstance(value, int):
        return value.to_bytes((value.bit_length() + 7) // 8, "big")
    if isinstance(value, str) and value.startswith("#"):
        number = int(value[1:])
        return number.to_bytes((number.bit_length() + 7) // 8, "big")
    return str(value).encode()


def _rlp_cases(name: str) -> list[str]:
    return [] if PUBLIC is None else sorted(_load(f"eth-rlp/{name}"))


@pytest.mark.parametrize("case", _rlp_cases("rlptest.json"))
def test_ethereum_rlp_encodings(case: str) -> None:
    test = _load("eth-rlp/rlptest.json")[case]
    item = _rlp_item(test["in"])
    encoded = _unhex(test["out"])
    assert _rlp_encode(item) == encoded
    assert _decode_rlp(encoded) == item


@pytest.mark.parametrize("case", _rlp_cases("invalidRLPTest.json"))
def test_ethereum_invalid_rlp_rejected(case: str) -> None:
    encoded = _unhex(_load("eth-rlp/invalidRLPTest.json")[case]["out"])
    with pytest.raises(SpecError) as raised:
        _decode_rlp(encoded)
    assert raised.value.code == "TRIE_DECODE_RLP"


# --------------------------------------------------------------------------------------------
# BLS
# --------------------------------------------------------------------------------------------

ETH_BLS = "eth-bls/eth-bls12-381-tests-v0.1.1"


def _bls_cases(kind: str) -> list[str]:
    if PUBLIC is None:
        return []
    return sorted(p.name for p in (PUBLIC / ETH_BLS / kind).glob("*.json"))


def _verdict(call: Any) -> Any:
    """The result of ``call``, with a rejection (a SpecError) read as ``False``/``None``."""
    try:
        return call()
    except SpecError:
        return None


@pytest.mark.parametrize("name", _bls_cases("sign"))
def test_eth_bls_sign(name: str) -> None:
    test = _load(f"{ETH_BLS}/sign/{name}")
    result = _verdict(lambda: bls.sign(_unhex(test["input"]["privkey"]), _unhex(test["input"]["message"])))
    expected = test["output"]
    assert (None if result is None else "0x" + result.hex()) == expected


@pytest.mark.parametrize("name", _bls_cases("verify"))
def test_eth_bls_verify(name: str) -> None:
    data = _load(f"{ETH_BLS}/verify/{name}")
    test = data["input"]
    result = _verdict(
        lambda: bls.verify(_unhex(test["pubkey"]), _unhex(test["message"]), _unhex(test["signature"]))
    )
    assert bool(result) == data["output"]


@pytest.mark.parametrize("name", _bls_cases("aggregate"))
def test_eth_bls_aggregate(name: str) -> None:
    data = _load(f"{ETH_BLS}/aggregate/{name}")
    result = _verdict(lambda: bls.aggregate([_unhex(s) for s in data["input"]]))
    assert (None if result is None else "0x" + result.hex()) == data["output"]


@pytest.mark.parametrize("name", _bls_cases("fast_aggregate_verify"))
def test_eth_bls_fast_aggregate_verify(name: str) -> None:
    data = _load(f"{ETH_BLS}/fast_aggregate_verify/{name}")
    test = data["input"]
    result = _verdict(
        lambda: bls.fast_aggregate_verify(
            [_unhex(k) for k in test["pubkeys"]], _unhex(test["message"]), _unhex(test["signature"])
        )
    )
    assert bool(result) == data["output"]


@pytest.mark.parametrize("name", _bls_cases("aggregate_verify"))
def test_eth_bls_aggregate_verify(name: str) -> None:
    data = _load(f"{ETH_BLS}/aggregate_verify/{name}")
    test = data["input"]
    result = _verdict(
        lambda: bls.aggregate_verify(
            [_unhex(k) for k in test["pubkeys"]],
            [_unhex(m) for m in test["messages"]],
            _unhex(test["signature"]),
        )
    )
    assert bool(result) == data["output"]


@pytest.mark.parametrize("name", _bls_cases("deserialization_G1"))
def test_eth_bls_deserialization_g1(name: str) -> None:
    data = _load(f"{ETH_BLS}/deserialization_G1/{name}")
    result = _verdict(lambda: bls.decode_g1_point(_unhex(data["input"]["pubkey"])))
    assert (result is not None) == data["output"]


@pytest.mark.parametrize("name", _bls_cases("deserialization_G2"))
def test_eth_bls_deserialization_g2(name: str) -> None:
    data = _load(f"{ETH_BLS}/deserialization_G2/{name}")
    result = _verdict(lambda: bls.decode_g2_point(_unhex(data["input"]["signature"])))
    assert (result is not None) == data["output"]


P = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB


def _compressed_g2(x: str, y: str) -> bytes:
    """The ZCash compressed encoding of the affine G2 point with coordinates ``"c0,c1"``."""
    x0, x1 = (int(part, 16) for part in x.split(","))
    y0, y1 = (int(part, 16) for part in y.split(","))
    larger = y1 > (P - 1) // 2 if y1 else y0 > (P - 1) // 2
    encoded = bytearray(x1.to_bytes(48, "big") + x0.to_bytes(48, "big"))
    encoded[0] |= 0x80 | (0x20 if larger else 0)
    return bytes(encoded)


def test_rfc9380_g2_hash_to_curve() -> None:
    suite = _load("eth-bls/rfc9380-BLS12381G2_XMD-SHA-256_SSWU_RO_.json")
    dst = suite["dst"].encode()
    backend = bls.active_backend()
    assert len(suite["vectors"]) >= 5
    for vector in suite["vectors"]:
        point = vector["P"]
        assert backend.hash_to_g2(vector["msg"].encode(), dst) == _compressed_g2(point["x"], point["y"])


@pytest.mark.parametrize("name", _bls_cases("hash_to_G2"))
def test_eth_bls_hash_to_g2(name: str) -> None:
    data = _load(f"{ETH_BLS}/hash_to_G2/{name}")
    dst = b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_"
    expected = _compressed_g2(data["output"]["x"], data["output"]["y"])
    assert bls.active_backend().hash_to_g2(data["input"]["msg"].encode(), dst) == expected


# --------------------------------------------------------------------------------------------
# Ed25519 and BLAKE3
# --------------------------------------------------------------------------------------------


def test_rfc8032_section_7_1() -> None:
    vectors = _load("ed25519/rfc8032-7.1.json")["vectors"]
    assert len(vectors) == 5
    for vector in vectors:
        seed, public = _unhex(vector["secret_key"]), _unhex(vector["public_key"])
        message, signature = _unhex(vector["message"]), _unhex(vector["signature"])
        assert ed25519.public_key_from_seed(seed) == public
        assert ed25519.sign(seed, message) == signature
        assert ed25519.verify(public, message, signature)


def test_ed25519_speccheck_strict_verdicts() -> None:
    """ED-1..3 (docs/bls.md) equal libsodium's row of the speccheck table: only case 3 verifies."""
    cases = _load("ed25519/speccheck-cases.json")
    assert len(cases) == 12
    verdicts = [
        bool(
            _verdict(
                lambda c=case: ed25519.verify(
                    _unhex(c["pub_key"]), _unhex(c["message"]), _unhex(c["signature"])
                )
            )
        )
        for case in cases
    ]
    assert verdicts == [index == 3 for index in range(12)]


def _classified(verify: Any, arguments: tuple[bytes, bytes, bytes]) -> bool | str:
    """A verification's verdict, or the stable code of the SpecError it raised."""
    try:
        return bool(verify(*arguments))
    except SpecError as error:
        return error.code


def _speccheck_inputs() -> list[tuple[bytes, bytes, bytes]]:
    """Every speccheck case, and each with its key and signature truncated (the length checks)."""
    inputs = []
    for case in _load("ed25519/speccheck-cases.json"):
        public, message, signature = (
            _unhex(case["pub_key"]),
            _unhex(case["message"]),
            _unhex(case["signature"]),
        )
        inputs += [
            (public, message, signature),
            (public[:31], message, signature),
            (public, message, signature[:63]),
        ]
    return inputs


def test_ed25519_fast_path_classifies_speccheck_like_the_readable_rules() -> None:
    """``verify`` (libsodium first, readable checks only on rejection) gives the same verdict or error
    code as ``verify_readable`` on both backends, case by case (issue 14: the fast path changes no
    result, only what runs on success)."""
    for arguments in _speccheck_inputs():
        fast = _classified(ed25519.verify, arguments)
        for backend in ed25519.backend_names():
            with ed25519.use_backend(backend):
                assert _classified(ed25519.verify_readable, arguments) == fast
                assert _classified(ed25519.verify, arguments) == fast


def test_blake3_team_vectors_through_tagged_hash() -> None:
    """``tagged_hash`` is BLAKE3 derive_key under the domain's context: run on the published context."""
    data = _load("blake3/test_vectors.json")
    context = data["context_string"]
    domain = cast(Any, SimpleNamespace(value=context, _value_=context))
    for case in data["cases"]:
        message = bytes(i % 251 for i in range(case["input_len"]))
        assert tagged_hash(domain, message) == bytes.fromhex(case["derive_key"])[:32]
        assert blake3.blake3(message).digest(length=len(case["hash"]) // 2).hex() == case["hash"]
        keyed = blake3.blake3(message, key=data["key"].encode()).digest(length=len(case["keyed_hash"]) // 2)
        assert keyed.hex() == case["keyed_hash"]
