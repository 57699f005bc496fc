"""Vectors of the ``bls``, ``threshold`` and ``ed25519`` flows.

Known answers come from published sources and are checked at generation time
(``CaseSpec.known_output``): the Ethereum consensus-spec BLS vectors (same ciphersuite), the
EIP-2333 master-key KeyGen vectors, and RFC 8032's Ed25519 test vectors 1 and 2.
"""

from __future__ import annotations

from collections.abc import Iterator

from py_ecc.bls.point_compression import modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381.optimized_curve import b2

from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from spec.crypto import bls, ed25519, threshold
from spec.presets import Preset

R = bls.CURVE_ORDER
P = bls.FIELD_MODULUS

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
]
ETHEREUM_SIGNATURES = [
    (
        "263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3",
        "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a",
        "00" * 32,
        "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb515809"
        "0352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55",
    ),
    (
        "47b8192d77bf871b62e87859d653922725724a5c031afeabc60bcef5ff665138",
        "b301803f8b5ac4a1133581fc676dfedc60d891dd5fa99028805e5ea5b08d3491af75d0707adab3b70c6a6a580217bf81",
        "56" * 32,
        "af1390c3c47acdb37131a51216da683c509fce0e954328a59f93aebda7e4ff974ba208d9a4a2a2389f892a9d418d6184"
        "18dd7f7a6bc7aa0da999a9d3a5b815bc085e14fd001f6a1948768a3f4afefc8b8240dda329f984cb345c6363272ba4fe",
    ),
]
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
        "d25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c"
        "387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


def _secret(label: str) -> bytes:
    return bls.key_gen(seeded_bytes(f"bls/ikm/{label}", 32))


def _g1_bytes(x: int) -> bytes:
    raw = bytearray(x.to_bytes(48, "big"))
    raw[0] |= 0x80
    return bytes(raw)


def _g2_bytes(x_c1: int, x_c0: int) -> bytes:
    raw = bytearray(x_c1.to_bytes(48, "big") + x_c0.to_bytes(48, "big"))
    raw[0] |= 0x80
    return bytes(raw)


def _smallest_g1_x(on_curve: bool) -> int:
    x = 0
    while (pow((x**3 + 4) % P, (P - 1) // 2, P) <= 1) != on_curve:
        x += 1
    return x


def _smallest_g2_x(on_curve: bool) -> int:
    x = 0
    while (modular_squareroot_in_FQ2(FQ2([x, 0]) ** 3 + b2) is not None) != on_curve:
        x += 1
    return x


def bad_public_keys() -> dict[str, bytes]:
    """Malformed G1 public keys, one per BLS-1/BLS-2 rule."""
    good = bls.sk_to_pk(_secret("bad"))
    return {
        "empty": b"",
        "short": good[:47],
        "long": good + b"\x00",
        "uncompressed_flag": bytes([good[0] & 0x7F]) + good[1:],
        "identity": bls.G1_IDENTITY,
        "identity_with_sign_bit": b"\xe0" + bls.G1_IDENTITY[1:],
        "identity_with_low_bit": bls.G1_IDENTITY[:-1] + b"\x01",
        "x_equals_p": _g1_bytes(P),
        "not_on_curve": _g1_bytes(_smallest_g1_x(on_curve=False)),
        "not_in_subgroup": _g1_bytes(_smallest_g1_x(on_curve=True)),
    }


def bad_signatures() -> dict[str, bytes]:
    """Malformed G2 signatures, one per BLS-1 rule."""
    good = bls.G2_GENERATOR
    return {
        "empty": b"",
        "short": good[:95],
        "uncompressed_flag": bytes([good[0] & 0x7F]) + good[1:],
        "identity_with_low_bit": bls.G2_IDENTITY[:-1] + b"\x01",
        "flag_in_second_half": good[:48] + bytes([good[48] | 0x80]) + good[49:],
        "x_c0_equals_p": _g2_bytes(1, P),
        "not_on_twist": _g2_bytes(0, _smallest_g2_x(on_curve=False)),
        "not_in_subgroup": _g2_bytes(0, _smallest_g2_x(on_curve=True)),
    }


def generate_bls(preset: Preset) -> Iterator[CaseSpec]:
    """BLS vectors: known answers, round trips, aggregation, proofs of possession, every bad encoding."""
    for index, (ikm, master) in enumerate(EIP2333_MASTER_KEYS):
        yield CaseSpec(
            "key_gen",
            f"eip2333_{index}",
            "EIP-2333 master key = IETF KeyGen",
            {"ikm": ikm, "key_info": ""},
            known_output={"secret_key": f"{master:064x}"},
        )
    yield CaseSpec(
        "key_gen",
        "ikm_31_bytes",
        "IKM shorter than 32 bytes",
        {"ikm": "00" * 31, "key_info": ""},
        expect_error="BLS_IKM_TOO_SHORT",
    )
    for index, (secret_hex, public_hex, message_hex, signature_hex) in enumerate(ETHEREUM_SIGNATURES):
        yield CaseSpec(
            "sk_to_pk",
            f"ethereum_{index}",
            "Ethereum consensus-spec public key",
            {"secret_key": secret_hex},
            known_output={"public_key": public_hex},
        )
        yield CaseSpec(
            "sign",
            f"ethereum_{index}",
            "Ethereum consensus-spec signature",
            {"secret_key": secret_hex, "message": message_hex},
            known_output={"signature": signature_hex},
        )
        yield CaseSpec(
            "verify",
            f"ethereum_{index}",
            "Ethereum consensus-spec signature verifies",
            {"public_key": public_hex, "message": message_hex, "signature": signature_hex},
            known_output={"valid": True},
        )
    for name, value in (("zero", 0), ("order", R), ("above_order", R + 1)):
        yield CaseSpec(
            "sk_to_pk",
            f"secret_{name}",
            f"secret key {name} is outside [1, r-1]",
            {"secret_key": f"{value:064x}"},
            expect_error="BLS_INVALID_SECRET_KEY",
        )
    yield CaseSpec(
        "sign",
        "secret_31_bytes",
        "secret key of 31 bytes",
        {"secret_key": "01" * 31, "message": ""},
        expect_error="BLS_INVALID_SECRET_KEY",
    )

    secrets = [_secret(f"member{i}") for i in range(4)]
    publics = [bls.sk_to_pk(s) for s in secrets]
    messages = [seeded_bytes(f"bls/message/{i}", 8 * i) for i in range(4)]
    signature = bls.sign(secrets[0], messages[1])
    base: dict[str, JSON] = {
        "public_key": publics[0].hex(),
        "message": messages[1].hex(),
        "signature": signature.hex(),
    }
    yield CaseSpec(
        "sign",
        "seeded_key",
        "signature under a KeyGen key",
        {"secret_key": secrets[0].hex(), "message": messages[1].hex()},
    )
    yield CaseSpec("verify", "valid", "a valid signature", base)
    yield CaseSpec(
        "verify", "wrong_message", "valid signature, other message", {**base, "message": messages[2].hex()}
    )
    yield CaseSpec(
        "verify", "wrong_key", "valid signature, other key", {**base, "public_key": publics[1].hex()}
    )
    yield CaseSpec(
        "verify",
        "identity_signature",
        "the identity decodes but never verifies",
        {**base, "signature": bls.G2_IDENTITY.hex()},
    )
    for name, bad in bad_public_keys().items():
        yield CaseSpec(
            "decode_public_key",
            name,
            f"KeyValidate rejects: {name}",
            {"public_key": bad.hex()},
            expect_error="BLS_INVALID_PUBLIC_KEY",
        )
        yield CaseSpec(
            "verify",
            f"public_key_{name}",
            f"verify raises for public key: {name}",
            {**base, "public_key": bad.hex()},
            expect_error="BLS_INVALID_PUBLIC_KEY",
        )
    for name, bad in bad_signatures().items():
        yield CaseSpec(
            "decode_signature",
            name,
            f"signature encoding rejected: {name}",
            {"signature": bad.hex()},
            expect_error="BLS_INVALID_SIGNATURE",
        )
        yield CaseSpec(
            "verify",
            f"signature_{name}",
            f"verify raises for signature: {name}",
            {**base, "signature": bad.hex()},
            expect_error="BLS_INVALID_SIGNATURE",
        )
    yield CaseSpec("decode_public_key", "valid", "a valid key", {"public_key": publics[0].hex()})
    yield CaseSpec(
        "decode_signature",
        "identity",
        "the identity is a valid signature encoding",
        {"signature": bls.G2_IDENTITY.hex()},
    )

    common = messages[3]
    common_signatures = [bls.sign(s, common) for s in secrets]
    distinct_signatures = [bls.sign(s, m) for s, m in zip(secrets, messages, strict=True)]
    yield CaseSpec(
        "aggregate",
        "four",
        "aggregate of four signatures",
        {"signatures": [s.hex() for s in distinct_signatures]},
    )
    yield CaseSpec(
        "aggregate",
        "one",
        "aggregate of one signature is itself",
        {"signatures": [signature.hex()]},
        known_output={"signature": signature.hex()},
    )
    yield CaseSpec(
        "aggregate", "empty", "nothing to aggregate", {"signatures": []}, expect_error="BLS_EMPTY_AGGREGATE"
    )
    aggregate_common = bls.aggregate(common_signatures)
    fav: dict[str, JSON] = {
        "public_keys": [p.hex() for p in publics],
        "message": common.hex(),
        "signature": aggregate_common.hex(),
    }
    yield CaseSpec("fast_aggregate_verify", "valid", "four signers, one message", fav)
    yield CaseSpec(
        "fast_aggregate_verify",
        "missing_signer",
        "a key whose signature is not included",
        {**fav, "public_keys": [p.hex() for p in publics[:3]]},
    )
    yield CaseSpec(
        "fast_aggregate_verify",
        "empty_keys",
        "no public keys",
        {**fav, "public_keys": []},
        expect_error="BLS_EMPTY_AGGREGATE",
    )
    aggregate_distinct = bls.aggregate(distinct_signatures)
    av: dict[str, JSON] = {
        "public_keys": [p.hex() for p in publics],
        "messages": [m.hex() for m in messages],
        "signature": aggregate_distinct.hex(),
    }
    yield CaseSpec("aggregate_verify", "valid", "four signers, four messages", av)
    yield CaseSpec(
        "aggregate_verify",
        "swapped_messages",
        "messages paired with the wrong keys",
        {**av, "messages": [m.hex() for m in reversed(messages)]},
    )
    yield CaseSpec(
        "aggregate_verify",
        "repeated_message",
        "BLS-5: repeated messages are allowed",
        {
            "public_keys": [p.hex() for p in publics[:2]],
            "messages": [common.hex()] * 2,
            "signature": bls.aggregate(common_signatures[:2]).hex(),
        },
    )
    yield CaseSpec(
        "aggregate_verify",
        "length_mismatch",
        "three keys, four messages",
        {**av, "public_keys": [p.hex() for p in publics[:3]]},
        expect_error="BLS_LENGTH_MISMATCH",
    )
    yield CaseSpec(
        "aggregate_verify",
        "empty",
        "no keys, no messages",
        {**av, "public_keys": [], "messages": []},
        expect_error="BLS_EMPTY_AGGREGATE",
    )
    for index, secret in enumerate(secrets[:2]):
        proof = bls.pop_prove(secret)
        yield CaseSpec("pop_prove", f"member_{index}", "proof of possession", {"secret_key": secret.hex()})
        yield CaseSpec(
            "pop_verify",
            f"member_{index}",
            "valid proof",
            {"public_key": publics[index].hex(), "proof": proof.hex()},
        )
        yield CaseSpec(
            "pop_verify",
            f"member_{index}_wrong_key",
            "proof of another key",
            {"public_key": publics[index + 1].hex(), "proof": proof.hex()},
        )
    yield CaseSpec(
        "pop_verify",
        "signature_is_not_a_proof",
        "a plain signature over the key bytes is not a proof",
        {"public_key": publics[0].hex(), "proof": bls.sign(secrets[0], publics[0]).hex()},
    )


def generate_threshold(preset: Preset) -> Iterator[CaseSpec]:
    """Threshold vectors: deterministic shares, share signatures, recovery from several subsets, errors."""
    members = 5
    t = 3
    coefficients = threshold.coefficients_from_seed(b"rusty threshold vectors", t)
    indices = list(range(1, members + 1))
    hex_coefficients = [f"{c:064x}" for c in coefficients]
    yield CaseSpec(
        "coefficients_from_seed",
        "three",
        "deterministic degree-2 polynomial",
        {"seed": b"rusty threshold vectors".hex(), "threshold": t},
        known_output={"coefficients": hex_coefficients},
    )
    yield CaseSpec(
        "generate_shares",
        "three_of_five",
        "shares, public key shares and the group key",
        {"coefficients": hex_coefficients, "member_indices": indices},
    )
    yield CaseSpec(
        "generate_shares",
        "index_zero",
        "member index 0 would receive the group secret",
        {"coefficients": hex_coefficients, "member_indices": [0, 1, 2]},
        expect_error="THRESHOLD_INVALID_INDEX",
    )
    yield CaseSpec(
        "generate_shares",
        "duplicate_index",
        "two members with one index",
        {"coefficients": hex_coefficients, "member_indices": [1, 2, 2]},
        expect_error="THRESHOLD_DUPLICATE_INDEX",
    )
    yield CaseSpec(
        "generate_shares",
        "threshold_above_members",
        "three coefficients, two members",
        {"coefficients": hex_coefficients, "member_indices": [1, 2]},
        expect_error="THRESHOLD_INVALID_PARAMETERS",
    )
    yield CaseSpec(
        "generate_shares",
        "too_many_members",
        "more members than the preset allows",
        {"coefficients": hex_coefficients, "member_indices": list(range(1, preset.quorum.max_members + 2))},
        expect_error="THRESHOLD_INVALID_PARAMETERS",
    )
    yield CaseSpec(
        "generate_shares",
        "zero_secret",
        "the group secret must not be zero",
        {"coefficients": ["00" * 32, *hex_coefficients[1:]], "member_indices": indices},
        expect_error="THRESHOLD_INVALID_POLYNOMIAL",
    )

    secret_shares = threshold.generate_shares(coefficients, indices)
    public_shares = threshold.public_key_shares(secret_shares)
    message = b"block hash to lock"
    signature_shares = [threshold.sign_share(s, message) for s in secret_shares]
    for share, public, signed in zip(secret_shares[:2], public_shares[:2], signature_shares[:2], strict=True):
        yield CaseSpec(
            "sign_share",
            f"member_{share.index}",
            "a member's signature share",
            {"index": share.index, "secret_share": share.value.hex(), "message": message.hex()},
        )
        yield CaseSpec(
            "verify_share",
            f"member_{share.index}",
            "a valid signature share",
            {
                "index": share.index,
                "public_key": public.value.hex(),
                "message": message.hex(),
                "signature_share": signed.value.hex(),
            },
        )
    yield CaseSpec(
        "verify_share",
        "other_members_share",
        "member 1's share checked under member 2's key",
        {
            "index": 2,
            "public_key": public_shares[1].value.hex(),
            "message": message.hex(),
            "signature_share": signature_shares[0].value.hex(),
        },
    )
    for subset in ([1, 2, 3], [1, 3, 5], [2, 4, 5], [3, 4, 5], [1, 2, 3, 4, 5]):
        chosen: list[JSON] = [
            {"index": s.index, "signature": s.value.hex()} for s in signature_shares if s.index in subset
        ]
        yield CaseSpec(
            "recover_signature",
            "members_" + "_".join(map(str, subset)),
            "any t shares recover the group signature (equal for every subset)",
            {"threshold": t, "shares": chosen},
            known_output={"signature": bls.sign(bls.encode_secret_key(coefficients[0]), message).hex()},
        )
        chosen_keys: list[JSON] = [
            {"index": s.index, "public_key": s.value.hex()} for s in public_shares if s.index in subset
        ]
        yield CaseSpec(
            "recover_public_key",
            "members_" + "_".join(map(str, subset)),
            "any t public key shares recover the group public key",
            {"threshold": t, "shares": chosen_keys},
            known_output={"public_key": threshold.group_public_key(coefficients).hex()},
        )
        yield CaseSpec(
            "lagrange_coefficients",
            "members_" + "_".join(map(str, subset)),
            "Lagrange coefficients at zero",
            {"indices": subset},
        )
    two: list[dict[str, JSON]] = [
        {"index": s.index, "signature": s.value.hex()} for s in signature_shares[:2]
    ]
    yield CaseSpec(
        "recover_signature",
        "too_few",
        "two shares for threshold three",
        {"threshold": t, "shares": two},
        expect_error="THRESHOLD_INSUFFICIENT_SHARES",
    )
    yield CaseSpec(
        "recover_signature",
        "duplicate_index",
        "one share given twice",
        {"threshold": t, "shares": [*two, two[0]]},
        expect_error="THRESHOLD_DUPLICATE_INDEX",
    )
    yield CaseSpec(
        "recover_signature",
        "index_zero",
        "share index zero",
        {"threshold": t, "shares": [*two, {"index": 0, "signature": two[0]["signature"]}]},
        expect_error="THRESHOLD_INVALID_INDEX",
    )
    yield CaseSpec(
        "recover_signature",
        "bad_share_encoding",
        "a share that is not a G2 point",
        {"threshold": t, "shares": [*two, {"index": 3, "signature": "00" * 96}]},
        expect_error="BLS_INVALID_SIGNATURE",
    )
    yield CaseSpec(
        "lagrange_coefficients",
        "duplicate",
        "repeated index",
        {"indices": [1, 1]},
        expect_error="THRESHOLD_DUPLICATE_INDEX",
    )


def generate_ed25519(preset: Preset) -> Iterator[CaseSpec]:
    """ED-1..ED-4 vectors: RFC 8032 answers and the strict-verification edge cases."""
    for index, (seed_hex, public_hex, message_hex, signature_hex) in enumerate(RFC8032):
        yield CaseSpec(
            "public_key",
            f"rfc8032_{index + 1}",
            "RFC 8032 test vector",
            {"seed": seed_hex},
            known_output={"public_key": public_hex},
        )
        yield CaseSpec(
            "sign",
            f"rfc8032_{index + 1}",
            "RFC 8032 test vector",
            {"seed": seed_hex, "message": message_hex},
            known_output={"signature": signature_hex},
        )
        yield CaseSpec(
            "verify",
            f"rfc8032_{index + 1}",
            "RFC 8032 test vector",
            {"public_key": public_hex, "message": message_hex, "signature": signature_hex},
            known_output={"valid": True},
        )
    yield CaseSpec(
        "sign",
        "seed_31_bytes",
        "seed must be 32 bytes",
        {"seed": "00" * 31, "message": ""},
        expect_error="ED25519_INVALID_SEED",
    )
    seed = seeded_bytes("ed25519/seed", 32)
    message = seeded_bytes("ed25519/message", 40)
    public = ed25519.public_key_from_seed(seed)
    good = ed25519.sign(seed, message)
    s_value = int.from_bytes(good[32:], "little")
    base: dict[str, JSON] = {"public_key": public.hex(), "message": message.hex(), "signature": good.hex()}
    yield CaseSpec("verify", "valid", "a valid signature", base, known_output={"valid": True})
    yield CaseSpec(
        "verify",
        "wrong_message",
        "another message",
        {**base, "message": message[:-1].hex()},
        known_output={"valid": False},
    )
    yield CaseSpec(
        "verify",
        "s_plus_order",
        "ED-2: S + L is the same scalar but not canonical",
        {**base, "signature": (good[:32] + (s_value + ed25519.L).to_bytes(32, "little")).hex()},
        expect_error="ED25519_MALFORMED_SIGNATURE",
    )
    yield CaseSpec(
        "verify",
        "short_signature",
        "63-byte signature",
        {**base, "signature": good[:63].hex()},
        expect_error="ED25519_MALFORMED_SIGNATURE",
    )
    yield CaseSpec(
        "verify",
        "key_y_not_below_p",
        "ED-1: non-canonical key encoding",
        {**base, "public_key": (ed25519.P + 1).to_bytes(32, "little").hex()},
        expect_error="ED25519_INVALID_PUBLIC_KEY",
    )
    yield CaseSpec(
        "verify",
        "key_not_on_curve",
        "ED-1: no curve point has y = 2",
        {**base, "public_key": (2).to_bytes(32, "little").hex()},
        expect_error="ED25519_INVALID_PUBLIC_KEY",
    )
    yield CaseSpec(
        "verify",
        "noncanonical_r",
        "ED-3: R with y >= p never verifies",
        {**base, "signature": ((ed25519.P + 1).to_bytes(32, "little") + good[32:]).hex()},
        known_output={"valid": False},
    )
    for index, encoding in enumerate(sorted(ed25519.SMALL_ORDER_ENCODINGS)):
        yield CaseSpec(
            "verify",
            f"small_order_key_{index}",
            "ED-1: public key of small order",
            {**base, "public_key": encoding.hex()},
            expect_error="ED25519_INVALID_PUBLIC_KEY",
        )
        yield CaseSpec(
            "verify",
            f"small_order_r_{index}",
            "ED-3: R of small order never verifies",
            {**base, "signature": (encoding + good[32:]).hex()},
            known_output={"valid": False},
        )
