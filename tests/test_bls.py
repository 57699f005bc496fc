"""BLS signatures (BLS-1..6): IETF behaviour, known answers, encodings and backend equivalence."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from eth_typing import BLSPubkey
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc.bls.ciphersuites import G2ProofOfPossession as PyEccPop
from py_ecc.bls.point_compression import compress_G1, compress_G2, modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381.optimized_curve import G1, G2, Z1, Z2, b2, curve_order, field_modulus

from spec.crypto import bls
from spec.errors import (
    AggregateLengthMismatch,
    EmptyAggregate,
    InvalidKeyMaterial,
    InvalidPublicKey,
    InvalidSecretKey,
    InvalidSignatureEncoding,
    UnknownBackend,
)
from tests.hypothesis_profiles import examples

BACKENDS = bls.backend_names()
R = bls.CURVE_ORDER
P = bls.FIELD_MODULUS


def _key(n: int) -> bytes:
    return bls.key_gen(bytes([n]) * 32)


SK1, SK2, SK3 = _key(1), _key(2), _key(3)
PK1, PK2, PK3 = bls.sk_to_pk(SK1), bls.sk_to_pk(SK2), bls.sk_to_pk(SK3)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once per backend."""
    name: str = request.param
    with bls.use_backend(name):
        yield name


# --------------------------------------------------------------------------------------------
# Constants and backend selection
# --------------------------------------------------------------------------------------------


def test_curve_constants_match_py_ecc() -> None:
    assert curve_order == R
    assert field_modulus == P
    assert bytes.fromhex(f"{compress_G1(G1):096x}") == bls.G1_GENERATOR
    assert bytes.fromhex(f"{compress_G1(Z1):096x}") == bls.G1_IDENTITY
    g2_c1, g2_c0 = compress_G2(G2)
    assert bytes.fromhex(f"{g2_c1:096x}{g2_c0:096x}") == bls.G2_GENERATOR
    z2_c1, z2_c0 = compress_G2(Z2)
    assert bytes.fromhex(f"{z2_c1:096x}{z2_c0:096x}") == bls.G2_IDENTITY


def test_backend_selection() -> None:
    assert BACKENDS == ("arkworks", "py_ecc")
    assert bls.active_backend().name == "arkworks"
    with bls.use_backend("py_ecc") as chosen:
        assert chosen.name == "py_ecc"
        assert bls.active_backend() is chosen
        with bls.use_backend("arkworks"):
            assert bls.active_backend().name == "arkworks"
        assert bls.active_backend().name == "py_ecc"
    assert bls.active_backend().name == "arkworks"
    with pytest.raises(UnknownBackend), bls.use_backend("blst"):
        pass
    assert bls.active_backend().name == "arkworks"


# --------------------------------------------------------------------------------------------
# KeyGen (BLS-6)
# --------------------------------------------------------------------------------------------

# EIP-2333 test cases: derive_master_SK(seed) is the IETF KeyGen with empty key_info.
EIP2333_MASTER_KEYS = [
    (
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf1"
        "41630c7a3c4ab7c81b2f001698e7463b04",
        6083874454709270928345386274498605044986640685124978867557563392430687146096,
    ),
    (
        "3141592653589793238462643383279502884197169399375105820974944592",
        29757020647961307431480504535336562678282505419141012933316116377660817309383,
    ),
    (
        "0099ff991111002299dd7744ee3355bbdd8844115566cc55663355668888cc00",
        27580842291869792442942448775674722299803720648445448686099262467207037398656,
    ),
    (
        "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
        19022158461524446591288038168518313374041767046816487870552872741050760015818,
    ),
]


@pytest.mark.parametrize(("seed", "master"), EIP2333_MASTER_KEYS)
def test_key_gen_known_answers(seed: str, master: int) -> None:
    assert bls.key_gen(bytes.fromhex(seed)) == master.to_bytes(32, "big")


@settings(max_examples=examples(60))
@given(ikm=st.binary(min_size=32, max_size=80), key_info=st.binary(max_size=40))
def test_key_gen_equals_py_ecc(ikm: bytes, key_info: bytes) -> None:
    secret = bls.key_gen(ikm, key_info)
    assert len(secret) == 32
    assert int.from_bytes(secret, "big") == PyEccPop.KeyGen(ikm, key_info)
    assert bls.decode_secret_key(secret) == PyEccPop.KeyGen(ikm, key_info)


@pytest.mark.parametrize("length", [0, 1, 31])
def test_key_gen_rejects_short_ikm(length: int) -> None:
    with pytest.raises(InvalidKeyMaterial):
        bls.key_gen(bytes(length))


# --------------------------------------------------------------------------------------------
# Known answers (Ethereum consensus-spec BLS test vectors use this exact ciphersuite)
# --------------------------------------------------------------------------------------------

ETH_SECRET_KEYS = [
    "263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3",
    "47b8192d77bf871b62e87859d653922725724a5c031afeabc60bcef5ff665138",
    "328388aff0d4a5b7dc9205abd374e7e98f3cd9f3418edb4eafda5fb16473d216",
]
ETH_PUBLIC_KEYS = [
    "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a",
    "b301803f8b5ac4a1133581fc676dfedc60d891dd5fa99028805e5ea5b08d3491af75d0707adab3b70c6a6a580217bf81",
    "b53d21a4cfd562c469cc81514d4ce5a6b577d8403d32a394dc265dd190b47fa9f829fdd7963afdf972e5e77854051f6f",
]
ETH_SIGNATURES = [
    (
        0,
        "00" * 32,
        "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb515809"
        "0352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55",
    ),
    (
        1,
        "00" * 32,
        "b23c46be3a001c63ca711f87a005c200cc550b9429d5f4eb38d74322144f1b63926da3388979e5321012fb1a0526bcd1"
        "00b5ef5fe72628ce4cd5e904aeaa3279527843fae5ca9ca675f4f51ed8f83bbf7155da9ecc9663100a885d5dc6df96d9",
    ),
    (
        1,
        "56" * 32,
        "af1390c3c47acdb37131a51216da683c509fce0e954328a59f93aebda7e4ff974ba208d9a4a2a2389f892a9d418d6184"
        "18dd7f7a6bc7aa0da999a9d3a5b815bc085e14fd001f6a1948768a3f4afefc8b8240dda329f984cb345c6363272ba4fe",
    ),
    (
        2,
        "56" * 32,
        "a4efa926610b8bd1c8330c918b7a5e9bf374e53435ef8b7ec186abf62e1b1f65aeaaeb365677ac1d1172a1f5b44b4e6d"
        "022c252c58486c0a759fbdc7de15a756acc4d343064035667a594b4c2a6f0b0b421975977f297dba63ee2f63ffe47bb6",
    ),
]


@pytest.mark.parametrize(("secret", "public"), zip(ETH_SECRET_KEYS, ETH_PUBLIC_KEYS, strict=True))
def test_sk_to_pk_known_answers(secret: str, public: str) -> None:
    assert bls.sk_to_pk(bytes.fromhex(secret)).hex() == public


@pytest.mark.parametrize(("key", "message", "signature"), ETH_SIGNATURES)
def test_sign_known_answers(key: int, message: str, signature: str) -> None:
    sig = bls.sign(bytes.fromhex(ETH_SECRET_KEYS[key]), bytes.fromhex(message))
    assert sig.hex() == signature
    assert bls.verify(bytes.fromhex(ETH_PUBLIC_KEYS[key]), bytes.fromhex(message), sig)


# --------------------------------------------------------------------------------------------
# Sign / verify / aggregate / POP (fast backend, properties)
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(25), deadline=None)
@given(
    ikm=st.binary(min_size=32, max_size=32), message=st.binary(max_size=100), other=st.binary(max_size=100)
)
def test_sign_verify_roundtrip(ikm: bytes, message: bytes, other: bytes) -> None:
    secret = bls.key_gen(ikm)
    public = bls.sk_to_pk(secret)
    signature = bls.sign(secret, message)
    assert len(public) == 48 and len(signature) == 96
    assert bls.key_validate(public)
    assert bls.verify(public, message, signature)
    assert bls.verify(public, other, signature) == (other == message)
    assert not bls.verify(PK1 if public != PK1 else PK2, message, signature)


def test_identity_signature_decodes_but_never_verifies(backend: str) -> None:
    assert bls.decode_signature(bls.G2_IDENTITY) == bls.G2_IDENTITY
    assert not bls.verify(PK1, b"m", bls.G2_IDENTITY)
    assert not bls.pop_verify(PK1, bls.G2_IDENTITY)


def test_aggregate_verify_distinct_messages() -> None:
    messages = [b"alpha", b"beta", b"gamma"]
    keys = [SK1, SK2, SK3]
    publics = [PK1, PK2, PK3]
    aggregate = bls.aggregate([bls.sign(k, m) for k, m in zip(keys, messages, strict=True)])
    assert bls.aggregate_verify(publics, messages, aggregate)
    assert not bls.aggregate_verify(publics, [b"alpha", b"beta", b"delta"], aggregate)
    assert not bls.aggregate_verify([PK2, PK1, PK3], messages, aggregate)
    assert not bls.aggregate_verify(publics[:2], messages[:2], aggregate)
    # A single pair is plain verification.
    assert bls.aggregate_verify([PK1], [b"alpha"], bls.sign(SK1, b"alpha"))


def test_aggregate_verify_rejections() -> None:
    signature = bls.sign(SK1, b"m")
    with pytest.raises(EmptyAggregate):
        bls.aggregate_verify([], [], signature)
    with pytest.raises(AggregateLengthMismatch):
        bls.aggregate_verify([PK1, PK2], [b"m"], signature)
    with pytest.raises(AggregateLengthMismatch):
        bls.aggregate_verify([], [b"m"], signature)
    # BLS-5: repeated messages are allowed (IETF POP scheme).
    assert bls.aggregate_verify([PK1, PK2], [b"m", b"m"], bls.aggregate([signature, bls.sign(SK2, b"m")]))
    with pytest.raises(EmptyAggregate):
        bls.aggregate([])
    with pytest.raises(EmptyAggregate):
        bls.fast_aggregate_verify([], b"m", signature)


def test_aggregate_is_order_independent_and_sums() -> None:
    signatures = [bls.sign(k, b"m") for k in (SK1, SK2, SK3)]
    assert bls.aggregate(signatures) == bls.aggregate(signatures[::-1])
    assert bls.aggregate(signatures[:1]) == signatures[0]
    assert bls.aggregate(signatures) == bls.g2_add(signatures)


def test_fast_aggregate_verify() -> None:
    message = b"one message"
    aggregate = bls.aggregate([bls.sign(k, message) for k in (SK1, SK2, SK3)])
    assert bls.fast_aggregate_verify([PK1, PK2, PK3], message, aggregate)
    assert bls.fast_aggregate_verify([PK3, PK1, PK2], message, aggregate)
    assert not bls.fast_aggregate_verify([PK1, PK2], message, aggregate)
    assert not bls.fast_aggregate_verify([PK1, PK2, PK3], b"other", aggregate)
    # Sum of a key and its negation is the identity: never verifies (KeyValidate of the aggregate).
    assert not bls.fast_aggregate_verify([PK1, bls.g1_negate(PK1)], message, bls.G2_IDENTITY)


def test_pop_prove_verify() -> None:
    proof = bls.pop_prove(SK1)
    assert bls.pop_verify(PK1, proof)
    assert not bls.pop_verify(PK2, proof)
    assert not bls.pop_verify(PK1, bls.pop_prove(SK2))
    # Domain separation: a proof is not a message signature on the key, and vice versa.
    assert not bls.verify(PK1, PK1, proof)
    assert not bls.pop_verify(PK1, bls.sign(SK1, PK1))


def test_operations_reject_bad_secret_keys() -> None:
    for bad in (bytes(32), R.to_bytes(32, "big"), b"\x01"):
        with pytest.raises(InvalidSecretKey):
            bls.sk_to_pk(bad)
        with pytest.raises(InvalidSecretKey):
            bls.sign(bad, b"m")
        with pytest.raises(InvalidSecretKey):
            bls.pop_prove(bad)


def test_verify_functions_raise_on_malformed_inputs_in_documented_order() -> None:
    signature = bls.sign(SK1, b"m")
    bad_signature = signature[:-1]
    bad_key = PK1[:-1]
    with pytest.raises(InvalidSignatureEncoding):
        bls.verify(PK1, b"m", bad_signature)
    with pytest.raises(InvalidPublicKey):
        bls.verify(bad_key, b"m", signature)
    # Signature is checked before the public key (BLS-4).
    with pytest.raises(InvalidSignatureEncoding):
        bls.verify(bad_key, b"m", bad_signature)
    with pytest.raises(InvalidPublicKey):
        bls.verify(bls.G1_IDENTITY, b"m", signature)
    with pytest.raises(InvalidSignatureEncoding):
        bls.pop_verify(PK1, bad_signature)
    with pytest.raises(InvalidPublicKey):
        bls.pop_verify(bls.G1_IDENTITY, signature)
    with pytest.raises(InvalidPublicKey):
        bls.fast_aggregate_verify([PK1, bad_key], b"m", signature)
    with pytest.raises(InvalidPublicKey):
        bls.aggregate_verify([PK1, bad_key], [b"a", b"b"], signature)
    with pytest.raises(InvalidSignatureEncoding):
        bls.aggregate([signature, bad_signature])
    # List-shape checks come before any decoding.
    with pytest.raises(AggregateLengthMismatch):
        bls.aggregate_verify([bad_key, bad_key], [b"a"], bad_signature)


# --------------------------------------------------------------------------------------------
# Encodings (BLS-1, BLS-2): exact error classes, on both backends
# --------------------------------------------------------------------------------------------


def _g1_bytes(x: int, sign_flag: bool = False) -> bytes:
    first = 0x80 | (0x20 if sign_flag else 0)
    raw = bytearray(x.to_bytes(48, "big"))
    raw[0] |= first
    return bytes(raw)


def _g2_bytes(x_c1: int, x_c0: int) -> bytes:
    raw = bytearray(x_c1.to_bytes(48, "big") + x_c0.to_bytes(48, "big"))
    raw[0] |= 0x80
    return bytes(raw)


def _g1_x(on_curve: bool) -> int:
    """The smallest x whose point (x, y) is on (or off) y^2 = x^3 + 4."""
    x = 0
    while True:
        rhs = (x**3 + 4) % P
        if (pow(rhs, (P - 1) // 2, P) <= 1) == on_curve:
            return x
        x += 1


def _g2_x(on_curve: bool) -> int:
    """The smallest real x whose point is on (or off) the twist y^2 = x^3 + 4(1 + u)."""
    x = 0
    while True:
        if (modular_squareroot_in_FQ2(FQ2([x, 0]) ** 3 + b2) is not None) == on_curve:
            return x
        x += 1


G1_OFF_CURVE = _g1_bytes(_g1_x(on_curve=False))
G1_OFF_SUBGROUP = _g1_bytes(_g1_x(on_curve=True))  # small x: on the curve, but not in G1 (h1 != 1)
G2_OFF_CURVE = _g2_bytes(0, _g2_x(on_curve=False))
G2_OFF_SUBGROUP = _g2_bytes(0, _g2_x(on_curve=True))


def _with_first_byte(data: bytes, first: int) -> bytes:
    return bytes([first]) + data[1:]


BAD_PUBLIC_KEYS = {
    "empty": b"",
    "short": PK1[:47],
    "long": PK1 + b"\x00",
    "uncompressed flag": _with_first_byte(PK1, PK1[0] & 0x7F),
    "identity": bls.G1_IDENTITY,
    "identity with sign bit": _with_first_byte(bls.G1_IDENTITY, 0xE0),
    "identity with low bit": bls.G1_IDENTITY[:-1] + b"\x01",
    "identity with x bit in first byte": _with_first_byte(bls.G1_IDENTITY, 0xC1),
    "x equals p": _g1_bytes(P),
    "x is 2^381 - 1": _g1_bytes(2**381 - 1),
    "not on curve": G1_OFF_CURVE,
    "not in subgroup": G1_OFF_SUBGROUP,
    "all zero": bytes(48),
    "all ones": b"\xff" * 48,
}

BAD_SIGNATURES = {
    "empty": b"",
    "short": bls.G2_GENERATOR[:95],
    "long": bls.G2_GENERATOR + b"\x00",
    "public key length": PK1,
    "uncompressed flag": _with_first_byte(bls.G2_GENERATOR, bls.G2_GENERATOR[0] & 0x7F),
    "identity with sign bit": _with_first_byte(bls.G2_IDENTITY, 0xE0),
    "identity with low bit": bls.G2_IDENTITY[:-1] + b"\x01",
    "identity with bit in second half": bls.G2_IDENTITY[:48] + b"\x80" + bytes(47),
    "flag in second half": bls.G2_GENERATOR[:48]
    + bytes([bls.G2_GENERATOR[48] | 0x80])
    + bls.G2_GENERATOR[49:],
    "x_c1 equals p": _g2_bytes(P, 1),
    "x_c0 equals p": _g2_bytes(1, P),
    "not on twist": G2_OFF_CURVE,
    "not in subgroup": G2_OFF_SUBGROUP,
    "all zero": bytes(96),
}


@pytest.mark.parametrize("case", sorted(BAD_PUBLIC_KEYS))
def test_decode_public_key_rejects(case: str, backend: str) -> None:
    data = BAD_PUBLIC_KEYS[case]
    with pytest.raises(InvalidPublicKey):
        bls.decode_public_key(data)
    assert not bls.key_validate(data)
    if len(data) == 48:
        # py_ecc's own IETF KeyValidate agrees (it is independent of our flag pre-checks).
        assert not PyEccPop.KeyValidate(BLSPubkey(data))


@pytest.mark.parametrize("case", sorted(BAD_SIGNATURES))
def test_decode_signature_rejects(case: str, backend: str) -> None:
    with pytest.raises(InvalidSignatureEncoding):
        bls.decode_signature(BAD_SIGNATURES[case])


def test_decode_accepts_valid_points(backend: str) -> None:
    assert bls.decode_public_key(PK1) == PK1
    assert bls.decode_g1_point(bls.G1_IDENTITY) == bls.G1_IDENTITY
    assert bls.decode_signature(bls.G2_GENERATOR) == bls.G2_GENERATOR
    assert bls.decode_g2_point(bls.G2_IDENTITY) == bls.G2_IDENTITY


def test_off_subgroup_points_are_on_the_curve() -> None:
    """The subgroup cases really are on the curve (so they test the subgroup check, not decompression)."""
    from py_arkworks_bls12381 import G1Point, G2Point

    assert not G1Point.from_compressed_bytes_unchecked(G1_OFF_SUBGROUP).is_in_subgroup()
    assert not G2Point.from_compressed_bytes_unchecked(G2_OFF_SUBGROUP).is_in_subgroup()
    assert bls.get_backend("arkworks").g1_status(G1_OFF_SUBGROUP) is bls.PointStatus.NOT_IN_SUBGROUP
    assert bls.get_backend("py_ecc").g2_status(G2_OFF_SUBGROUP) is bls.PointStatus.NOT_IN_SUBGROUP
    assert bls.get_backend("py_ecc").g1_status(G1_OFF_CURVE) is bls.PointStatus.NOT_ON_CURVE
    assert bls.get_backend("arkworks").g2_status(G2_OFF_CURVE) is bls.PointStatus.NOT_ON_CURVE


@pytest.mark.parametrize(
    "data",
    [
        bytes(32),
        R.to_bytes(32, "big"),
        (R + 1).to_bytes(32, "big"),
        b"\xff" * 32,
        bytes(30) + b"\x01",
        b"\x01" * 33,
    ],
    ids=["zero", "r", "r+1", "max", "31 bytes", "33 bytes"],
)
def test_decode_secret_key_rejects(data: bytes) -> None:
    with pytest.raises(InvalidSecretKey):
        bls.decode_secret_key(data)


def test_secret_key_range_edges() -> None:
    assert bls.decode_secret_key((1).to_bytes(32, "big")) == 1
    assert bls.decode_secret_key((R - 1).to_bytes(32, "big")) == R - 1
    assert bls.encode_secret_key(R - 1) == (R - 1).to_bytes(32, "big")
    for bad in (0, R, -1):
        with pytest.raises(InvalidSecretKey):
            bls.encode_secret_key(bad)
    # sk = r - 1 gives -g1.
    assert bls.sk_to_pk((R - 1).to_bytes(32, "big")) == bls.g1_negate(bls.G1_GENERATOR)


@settings(max_examples=examples(200))
@given(data=st.binary(min_size=48, max_size=48))
def test_random_g1_bytes_decode_or_raise_typed(data: bytes) -> None:
    with contextlib.suppress(InvalidPublicKey):
        assert bls.decode_g1_point(data) == data


@settings(max_examples=examples(200))
@given(position=st.integers(0, 95), bit=st.integers(0, 7))
def test_bit_flipped_signatures_fail_typed_or_false(position: int, bit: int) -> None:
    signature = bls.sign(SK1, b"m")
    flipped = bytearray(signature)
    flipped[position] ^= 1 << bit
    with contextlib.suppress(InvalidSignatureEncoding):
        assert not bls.verify(PK1, b"m", bytes(flipped))


# --------------------------------------------------------------------------------------------
# Group helpers
# --------------------------------------------------------------------------------------------


def test_group_helpers() -> None:
    s1, s2 = bls.decode_secret_key(SK1), bls.decode_secret_key(SK2)
    assert bls.g1_add([PK1, PK2]) == bls.sk_to_pk(bls.encode_secret_key((s1 + s2) % R))
    assert bls.g1_add([]) == bls.G1_IDENTITY
    assert bls.g2_add([]) == bls.G2_IDENTITY
    assert bls.g1_multiply(bls.G1_GENERATOR, s1) == PK1
    assert bls.g1_multiply(PK1, R + 1) == PK1
    assert bls.g1_multiply(PK1, -1) == bls.g1_negate(PK1)
    assert bls.g1_multiply(PK1, 0) == bls.G1_IDENTITY
    assert bls.g1_add([PK1, bls.g1_negate(PK1)]) == bls.G1_IDENTITY
    assert bls.g1_negate(bls.G1_IDENTITY) == bls.G1_IDENTITY
    sig = bls.sign(SK1, b"m")
    assert bls.g2_add([sig, bls.g2_negate(sig)]) == bls.G2_IDENTITY
    assert bls.g2_multiply(sig, 3) == bls.g2_add([sig, sig, sig])
    assert bls.g1_linear_combination([PK1, PK2], [2, 3]) == bls.g1_add([PK1, PK1, PK2, PK2, PK2])
    assert bls.g2_linear_combination([sig], [s2]) == bls.g2_multiply(sig, s2)
    with pytest.raises(AggregateLengthMismatch):
        bls.g1_linear_combination([PK1], [1, 2])
    with pytest.raises(InvalidPublicKey):
        bls.g1_add([PK1, G1_OFF_SUBGROUP])
    with pytest.raises(InvalidSignatureEncoding):
        bls.g2_multiply(G2_OFF_SUBGROUP, 1)


# --------------------------------------------------------------------------------------------
# Backend equivalence: py_ecc (reference) and arkworks give byte-identical results
# --------------------------------------------------------------------------------------------


def _on(name: str, secret: bytes, message: bytes) -> tuple[bytes, bytes, bytes]:
    with bls.use_backend(name):
        return bls.sk_to_pk(secret), bls.sign(secret, message), bls.pop_prove(secret)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (SK1, b""),
        (bytes.fromhex(ETH_SECRET_KEYS[0]), b"rusty coin"),
        ((R - 1).to_bytes(32, "big"), bytes(range(256)) * 2),
    ],
    ids=["empty message", "eth key", "r-1 long message"],
)
def test_backends_byte_identical(secret: bytes, message: bytes) -> None:
    fast = _on("arkworks", secret, message)
    reference = _on("py_ecc", secret, message)
    assert fast == reference
    # And both equal py_ecc's own implementation of the ciphersuite.
    as_int = int.from_bytes(secret, "big")
    assert fast == (PyEccPop.SkToPk(as_int), PyEccPop.Sign(as_int, message), PyEccPop.PopProve(as_int))


def test_py_ecc_backend_verdicts() -> None:
    """The reference backend's pairing gives the same verdicts (kept small: ~0.3 s per pairing check)."""
    signature = bls.sign(SK1, b"m")
    proof = bls.pop_prove(SK2)
    aggregate = bls.aggregate([signature, bls.sign(SK2, b"n")])
    with bls.use_backend("py_ecc"):
        assert bls.verify(PK1, b"m", signature)
        assert not bls.verify(PK1, b"n", signature)
        assert bls.pop_verify(PK2, proof)
        assert bls.aggregate_verify([PK1, PK2], [b"m", b"n"], aggregate)
        assert bls.aggregate([signature, bls.sign(SK2, b"n")]) == aggregate
        assert bls.g1_add([PK1, PK2]) == bls.get_backend("arkworks").g1_linear_combination([PK1, PK2], [1, 1])


def _flip_bit(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(flipped)


@settings(max_examples=examples(15), deadline=None)
@given(
    data=st.binary(min_size=96, max_size=96)
    | st.sampled_from(sorted(BAD_SIGNATURES.values()))
    | st.builds(_flip_bit, st.just(bls.G2_GENERATOR), st.integers(0, 767))
)
def test_backends_agree_on_g2_decoding(data: bytes) -> None:
    verdicts = []
    for name in BACKENDS:
        with bls.use_backend(name):
            try:
                bls.decode_signature(data)
                verdicts.append(True)
            except InvalidSignatureEncoding:
                verdicts.append(False)
    assert len(set(verdicts)) == 1
