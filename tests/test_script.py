"""FerrisScript v1 (SCRIPT-1..19): unit tests, limits at their boundaries, and Hypothesis properties."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.handlers.script import TableChecker, checker_from_json
from conformance.model import JSON, BadInput
from conformance.symbolic import script_contracts
from fuzz.script_harnesses import SCRIPT_HARNESSES, fuzz_script_evaluate, fuzz_script_parse, script_seeds
from spec.errors import (
    ALL_ERROR_CODES,
    InvalidEd25519PublicKey,
    InvalidPreset,
    ScriptBadOpcode,
    ScriptBadTemplate,
    ScriptCheckSigVerifyFailed,
    ScriptCleanStack,
    ScriptEqualVerifyFailed,
    ScriptError,
    ScriptFalseResult,
    ScriptMinimalIf,
    ScriptNegativeLocktime,
    ScriptNonMinimalNumber,
    ScriptNonMinimalPush,
    ScriptNullDummy,
    ScriptNullFail,
    ScriptNumberOverflow,
    ScriptOpCount,
    ScriptPubkeyCount,
    ScriptPubkeyEncoding,
    ScriptPushSize,
    ScriptReturn,
    ScriptSigCount,
    ScriptSigEncoding,
    ScriptSigNotPushOnly,
    ScriptSigopLimit,
    ScriptStackOverflow,
    ScriptStackUnderflow,
    ScriptTooLarge,
    ScriptTruncatedPush,
    ScriptUnbalancedConditional,
    ScriptUnsatisfiedLocktime,
    ScriptUnsatisfiedSequence,
    ScriptVerifyFailed,
    SpecError,
)
from spec.hashing import HashDomain, tagged_hash
from spec.presets import DEVNET, MAINNET, parse_preset
from spec.script import (
    FALSE,
    NUMBER_MAX_BYTES,
    P2PKH_STACK_DEPTH,
    PUSH_OPCODES,
    TRUE,
    ExecState,
    Op,
    Opcode,
    Push,
    ScriptOp,
    cast_to_bool,
    check_final_stack,
    check_sigops,
    count_sigops,
    decode_number,
    encode_number,
    encode_push,
    evaluate,
    execute,
    is_null_data,
    is_p2pkh,
    is_push_only,
    is_unspendable,
    match_multisig,
    match_p2pkh,
    multisig_script,
    multisig_script_sig,
    null_data_script,
    op_to_asm,
    p2pkh_script,
    p2pkh_script_sig,
    parse_script,
    run_scripts,
    script_hash,
    serialize_script,
    step,
)

P = MAINNET.script
Part = Opcode | bytes | int


def build(*parts: Part) -> bytes:
    """A script from opcodes, pushed bytes and pushed (minimally encoded) numbers."""
    ops: list[ScriptOp] = []
    for part in parts:
        if isinstance(part, Opcode):
            ops.append(Op(part))
        elif isinstance(part, bytes):
            ops.append(Push(part))
        else:
            ops.append(Push(encode_number(part)))
    return serialize_script(ops)


def key(i: int) -> bytes:
    return bytes([i]) * 32


def sig(i: int) -> bytes:
    return bytes([i]) * 64


@dataclass
class PairChecker:
    """Test checker: a set of valid (signature, key) pairs, bounds for CLTV/CSV, and a call log."""

    valid: set[tuple[bytes, bytes]] = field(default_factory=set)
    max_lock_time: int = -1
    max_sequence: int = -1
    malformed_keys: frozenset[bytes] = frozenset()
    calls: list[tuple[bytes, bytes]] = field(default_factory=list)

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        self.calls.append((signature, public_key))
        if public_key in self.malformed_keys:
            raise InvalidEd25519PublicKey("test: malformed")
        return (signature, public_key) in self.valid

    def check_lock_time(self, lock_time: int) -> bool:
        return lock_time <= self.max_lock_time

    def check_sequence(self, sequence: int) -> bool:
        return sequence <= self.max_sequence


def signed(*indices: int) -> PairChecker:
    return PairChecker(valid={(sig(i), key(i)) for i in indices})


def rejects(
    error: type[SpecError], script_sig: bytes, script_pubkey: bytes, checker: PairChecker | None = None
) -> None:
    with pytest.raises(error):
        evaluate(script_sig, script_pubkey, checker or PairChecker(), P)


# --------------------------------------------------------------------------------------------
# Opcode table, presets, error codes
# --------------------------------------------------------------------------------------------


def test_opcode_table_matches_upstream_and_decisions() -> None:
    expected = {
        "OP_0": 0x00,
        "OP_PUSHDATA1": 0x4C,
        "OP_PUSHDATA2": 0x4D,
        "OP_PUSHDATA4": 0x4E,
        "OP_1": 0x51,
        "OP_16": 0x60,
        "OP_NOP": 0x61,
        "OP_VERIFY": 0x69,
        "OP_RETURN": 0x6A,
        "OP_DUP": 0x76,
        "OP_EQUAL": 0x87,
        "OP_EQUALVERIFY": 0x88,
        "OP_BLAKE3": 0xAA,
        "OP_CHECKSIG": 0xAC,
        "OP_CHECKSIGVERIFY": 0xAD,
        "OP_CHECKMULTISIG": 0xAE,
        "OP_CHECKLOCKTIMEVERIFY": 0xB1,
        "OP_CHECKSEQUENCEVERIFY": 0xB2,
    }
    for name, value in expected.items():
        assert Opcode[name] == value
    assert len(Opcode) == 39
    for byte in (0x4F, 0x50, 0xA9, 0xAF, 0xFF):
        with pytest.raises(ScriptBadOpcode):
            parse_script(bytes([0x51, byte]), P)
    assert frozenset(range(0x00, 0x4F)) | frozenset(range(0x51, 0x61)) == PUSH_OPCODES


def test_script_presets() -> None:
    for preset in (MAINNET, DEVNET):
        assert preset.script == MAINNET.script
    assert (P.max_script_bytes, P.max_ops, P.max_stack_items, P.max_element_bytes) == (10000, 200, 100, 520)
    assert (P.max_pubkeys_per_multisig, P.max_sigops_per_tx) == (20, 20)


def test_script_preset_invariants() -> None:
    from importlib import resources

    text = resources.files("spec.presets").joinpath("devnet.toml").read_text(encoding="utf-8")
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace("max_element_bytes = 520", "max_element_bytes = 20000"))
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace("max_pubkeys_per_multisig = 20", "max_pubkeys_per_multisig = 21"))
    with pytest.raises(InvalidPreset):
        parse_preset(text.replace("max_ops = 200", "max_ops = 0"))


def test_error_codes_are_registered() -> None:
    codes = {c for c in ALL_ERROR_CODES if c.startswith("SCRIPT_")}
    assert len(codes) == 31
    assert issubclass(ScriptTooLarge, ScriptError) and ScriptError.code == "SCRIPT_ERROR"


def test_script_hash_domain() -> None:
    assert HashDomain.SCRIPT_HASH.value == "RustyCoin 2026-11 script hash v1"
    assert script_hash(b"x") == tagged_hash(HashDomain.SCRIPT_HASH, b"x")
    stack = execute(parse_script(build(b"abc", Opcode.OP_BLAKE3), P), (), PairChecker(), P)
    assert stack == (script_hash(b"abc"),) and len(stack[0]) == 32


# --------------------------------------------------------------------------------------------
# Numbers and truth (SCRIPT-13/14)
# --------------------------------------------------------------------------------------------

NUMBERS = {
    0: "",
    1: "01",
    -1: "81",
    127: "7f",
    -127: "ff",
    128: "8000",
    -128: "8080",
    255: "ff00",
    256: "0001",
    -256: "0081",
    2**31 - 1: "ffffff7f",
    -(2**31): "0000008080",
    2**39 - 1: "ffffffff7f",
}


@pytest.mark.parametrize(("value", "hex_element"), NUMBERS.items())
def test_number_known_encodings(value: int, hex_element: str) -> None:
    assert encode_number(value).hex() == hex_element
    assert decode_number(bytes.fromhex(hex_element)) == value


@pytest.mark.parametrize("element", ["00", "80", "0100", "0180", "ff0000", "000080"])
def test_number_non_minimal(element: str) -> None:
    with pytest.raises(ScriptNonMinimalNumber):
        decode_number(bytes.fromhex(element))


def test_number_width() -> None:
    assert NUMBER_MAX_BYTES == 5
    with pytest.raises(ScriptNumberOverflow):
        decode_number(encode_number(2**39))
    with pytest.raises(ScriptNumberOverflow):
        decode_number(bytes(6))


@given(st.integers(min_value=-(2**39 - 1), max_value=2**39 - 1))
def test_number_roundtrip(value: int) -> None:
    assert decode_number(encode_number(value)) == value
    assert len(encode_number(value)) <= NUMBER_MAX_BYTES
    assert script_contracts.number_roundtrip(value) == value
    assert script_contracts.number_shape(value) == encode_number(value)
    assert value == 0 or script_contracts.number_sign(abs(value))


@given(st.binary(max_size=7))
def test_number_decode_is_canonical(element: bytes) -> None:
    try:
        value = decode_number(element)
    except ScriptError:
        assert script_contracts.number_decode_canonical(element) is None
        return
    assert encode_number(value) == element
    assert cast_to_bool(element) == (value != 0)
    assert script_contracts.truth_of_numbers(element)


@pytest.mark.parametrize(
    ("element", "truth"),
    [
        ("", False),
        ("00", False),
        ("0000", False),
        ("80", False),
        ("0080", False),
        ("01", True),
        ("8000", True),
    ],
)
def test_cast_to_bool(element: str, truth: bool) -> None:
    assert cast_to_bool(bytes.fromhex(element)) is truth


def test_symbolic_contracts_on_samples() -> None:
    for length in (0, 1, 75, 76, 255, 256, 65535, 65536):
        assert script_contracts.push_length(length) == len(encode_push(bytes(length)))
    for data in (b"", b"\x00", b"\x05", b"\x11", b"\x81", bytes(76), bytes(300)):
        assert script_contracts.push_roundtrip(data)


# --------------------------------------------------------------------------------------------
# Parsing (SCRIPT-1..7)
# --------------------------------------------------------------------------------------------


def test_minimal_push_encodings() -> None:
    assert encode_push(b"") == b"\x00"
    assert encode_push(b"\x05") == b"\x55"
    assert encode_push(b"\x10") == b"\x60"
    assert encode_push(b"\x00") == b"\x01\x00"
    assert encode_push(b"\x11") == b"\x01\x11"
    assert encode_push(b"\x81") == b"\x01\x81"
    assert encode_push(bytes(75))[:1] == b"\x4b"
    assert encode_push(bytes(76))[:2] == b"\x4c\x4c"
    assert encode_push(bytes(256))[:3] == b"\x4d\x00\x01"
    assert encode_push(bytes(65536))[:5] == b"\x4e\x00\x00\x01\x00"


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ("4c00", ScriptNonMinimalPush),
        ("0105", ScriptNonMinimalPush),
        ("4c03010203", ScriptNonMinimalPush),
        ("4d4c00" + "00" * 76, ScriptNonMinimalPush),
        ("050102", ScriptTruncatedPush),
        ("4c", ScriptTruncatedPush),
        ("4d01", ScriptTruncatedPush),
        ("4effffffff", ScriptTruncatedPush),
        ("68", ScriptUnbalancedConditional),
        ("67", ScriptUnbalancedConditional),
        ("5163", ScriptUnbalancedConditional),
        ("5163676768", ScriptUnbalancedConditional),
        ("a905", ScriptBadOpcode),
    ],
)
def test_parse_rejects(script: str, error: type[ScriptError]) -> None:
    with pytest.raises(error):
        parse_script(bytes.fromhex(script), P)


def test_parse_asm() -> None:
    script = p2pkh_script(script_hash(key(1)))
    asm = [op_to_asm(op) for op in parse_script(script, P)]
    assert asm == ["OP_DUP", "OP_BLAKE3", script_hash(key(1)).hex(), "OP_EQUALVERIFY", "OP_CHECKSIG"]


def test_serialize_refuses_push_opcode_as_op() -> None:
    with pytest.raises(ScriptBadTemplate):
        serialize_script([Op(Opcode.OP_PUSHDATA1)])


def _ops_strategy() -> st.SearchStrategy[list[ScriptOp]]:
    opcodes = [op for op in Opcode if op not in PUSH_OPCODES]
    push = st.binary(max_size=300).map(Push)
    small = st.integers(min_value=0, max_value=16).map(lambda n: Push(encode_number(n)))
    instruction = st.sampled_from(opcodes).map(Op)
    return st.lists(st.one_of(push, small, instruction), max_size=40)


@given(_ops_strategy())
def test_parse_serialize_roundtrip_of_built_scripts(ops: list[ScriptOp]) -> None:
    data = serialize_script(ops)
    try:
        parsed = parse_script(data, P)
    except (ScriptUnbalancedConditional, ScriptOpCount):
        return
    assert list(parsed) == ops
    assert serialize_script(parsed) == data


@given(st.binary(max_size=600))
def test_parse_any_bytes(data: bytes) -> None:
    try:
        ops = parse_script(data, P)
    except ScriptError:
        return
    assert serialize_script(ops) == data
    fuzz_script_parse(data)


@pytest.mark.parametrize("seed_set", sorted(script_seeds()))
def test_fuzz_harness_seeds(seed_set: str) -> None:
    for data in script_seeds()[seed_set].values():
        SCRIPT_HARNESSES[seed_set](data)


@given(st.binary(max_size=400))
def test_fuzz_harnesses_on_random_bytes(data: bytes) -> None:
    fuzz_script_parse(data)
    fuzz_script_evaluate(data)


# --------------------------------------------------------------------------------------------
# Limits at their boundaries
# --------------------------------------------------------------------------------------------


def _true_script(size: int) -> bytes:
    filler: list[Part] = [bytes(520), Opcode.OP_DROP]
    body = build(1, *(filler * ((size - 1) // 524)))
    return body + bytes([Opcode.OP_NOP]) * (size - len(body))


def test_script_size_boundary() -> None:
    at_limit = _true_script(P.max_script_bytes)
    assert len(at_limit) == P.max_script_bytes
    evaluate(b"", at_limit, PairChecker(), P)
    rejects(ScriptTooLarge, b"", at_limit + b"\x61")
    rejects(ScriptTooLarge, at_limit + b"\x51", b"")


def test_op_count_boundary() -> None:
    evaluate(b"", build(1, *[Opcode.OP_NOP] * P.max_ops), PairChecker(), P)
    rejects(ScriptOpCount, b"", build(1, *[Opcode.OP_NOP] * (P.max_ops + 1)))
    evaluate(
        b"", build(*[1] * 99, *[Opcode.OP_DROP] * 98, *[Opcode.OP_NOP] * (P.max_ops - 98)), PairChecker(), P
    )


def test_stack_boundary() -> None:
    depth = P.max_stack_items
    evaluate(build(*[1] * depth), build(*[Opcode.OP_DROP] * (depth - 1)), PairChecker(), P)
    rejects(ScriptStackOverflow, build(*[1] * (depth + 1)), build(*[Opcode.OP_DROP] * depth))
    rejects(ScriptStackOverflow, build(*[1] * depth), build(Opcode.OP_DUP))
    rejects(ScriptStackOverflow, build(*[1] * (depth - 1)), build(Opcode.OP_SIZE, Opcode.OP_SIZE))


def test_element_boundary() -> None:
    size = P.max_element_bytes
    evaluate(
        build(bytes(size)),
        build(Opcode.OP_SIZE, size, Opcode.OP_EQUALVERIFY, Opcode.OP_DROP, 1),
        PairChecker(),
        P,
    )
    with pytest.raises(ScriptPushSize):
        parse_script(build(bytes(size + 1)), P)


def test_sigop_boundary() -> None:
    limit = P.max_sigops_per_tx
    at_limit = build(0, Opcode.OP_IF, *[Opcode.OP_CHECKSIG] * limit, Opcode.OP_ENDIF, 1)
    assert count_sigops(at_limit, P) == limit
    evaluate(b"", at_limit, PairChecker(), P)
    rejects(
        ScriptSigopLimit, b"", build(0, Opcode.OP_IF, *[Opcode.OP_CHECKSIG] * (limit + 1), Opcode.OP_ENDIF, 1)
    )
    assert check_sigops([at_limit, b""], P) == limit
    with pytest.raises(ScriptSigopLimit):
        check_sigops([at_limit, build(Opcode.OP_CHECKSIG)], P)


def test_sigop_counting() -> None:
    assert count_sigops(p2pkh_script(script_hash(key(1))), P) == 1
    assert count_sigops(multisig_script(2, [key(1), key(2), key(3)], P), P) == 3
    assert count_sigops(build(Opcode.OP_CHECKMULTISIG), P) == P.max_pubkeys_per_multisig
    assert count_sigops(build(0, Opcode.OP_CHECKMULTISIG), P) == P.max_pubkeys_per_multisig
    assert count_sigops(build(17, Opcode.OP_CHECKMULTISIG), P) == P.max_pubkeys_per_multisig
    assert count_sigops(build(16, Opcode.OP_CHECKMULTISIG), P) == 16
    assert count_sigops(build(Opcode.OP_CHECKSIGVERIFY), P) == 1


def test_multisig_key_count_boundary() -> None:
    n = P.max_pubkeys_per_multisig
    keys = [key(i) for i in range(1, n + 1)]
    evaluate(build(0, sig(1)), build(1, *keys, n, Opcode.OP_CHECKMULTISIG), signed(1), P)
    rejects(
        ScriptPubkeyCount,
        build(0, sig(1)),
        build(1, *keys, key(99), n + 1, Opcode.OP_CHECKMULTISIG),
        signed(1),
    )
    rejects(ScriptPubkeyCount, build(0, 0), build(-1, Opcode.OP_CHECKMULTISIG))


# --------------------------------------------------------------------------------------------
# Execution (SCRIPT-8..18)
# --------------------------------------------------------------------------------------------


def test_p2pkh_spend() -> None:
    script_pubkey = p2pkh_script(script_hash(key(1)))
    checker = signed(1)
    evaluate(p2pkh_script_sig(sig(1), key(1)), script_pubkey, checker, P)
    assert checker.calls == [(sig(1), key(1))]
    rejects(ScriptEqualVerifyFailed, p2pkh_script_sig(sig(2), key(2)), script_pubkey, signed(1, 2))
    rejects(ScriptNullFail, p2pkh_script_sig(sig(2), key(1)), script_pubkey, signed(1))
    rejects(ScriptFalseResult, build(b"", key(1)), script_pubkey, signed(1))
    rejects(ScriptCleanStack, build(1, sig(1), key(1)), script_pubkey, signed(1))
    malformed = PairChecker(malformed_keys=frozenset({key(1)}))
    rejects(InvalidEd25519PublicKey, p2pkh_script_sig(sig(1), key(1)), script_pubkey, malformed)


def test_empty_signature_never_reaches_checker() -> None:
    checker = PairChecker()
    script = build(key(1), Opcode.OP_CHECKSIG, Opcode.OP_NOTIF, 1, Opcode.OP_ELSE, 0, Opcode.OP_ENDIF)
    evaluate(build(0), script, checker, P)
    assert checker.calls == []


def test_signature_encodings() -> None:
    rejects(ScriptSigEncoding, build(sig(1)[:63]), build(key(1), Opcode.OP_CHECKSIG), signed(1))
    rejects(ScriptSigEncoding, build(sig(1) + b"\x01"), build(key(1), Opcode.OP_CHECKSIG), signed(1))
    rejects(ScriptPubkeyEncoding, build(sig(1)), build(key(1) + b"\x00", Opcode.OP_CHECKSIG), signed(1))
    rejects(ScriptPubkeyEncoding, build(0), build(key(1)[:31], Opcode.OP_CHECKSIG))


def test_checksigverify() -> None:
    evaluate(build(sig(1)), build(key(1), Opcode.OP_CHECKSIGVERIFY, 1), signed(1), P)
    rejects(ScriptCheckSigVerifyFailed, build(0), build(key(1), Opcode.OP_CHECKSIGVERIFY, 1))
    rejects(ScriptNullFail, build(sig(2)), build(key(1), Opcode.OP_CHECKSIGVERIFY, 1), signed(1))


MULTISIG = multisig_script(2, [key(1), key(2), key(3)], P)


@pytest.mark.parametrize("signers", [(1, 2), (1, 3), (2, 3)])
def test_multisig_2_of_3(signers: tuple[int, int]) -> None:
    evaluate(multisig_script_sig([sig(i) for i in signers]), MULTISIG, signed(1, 2, 3), P)


def test_multisig_failures() -> None:
    everyone = signed(1, 2, 3)
    rejects(ScriptNullFail, multisig_script_sig([sig(3), sig(1)]), MULTISIG, everyone)
    rejects(ScriptNullFail, multisig_script_sig([sig(1), sig(1)]), MULTISIG, everyone)
    rejects(ScriptFalseResult, build(0, b"", b""), MULTISIG, everyone)
    rejects(ScriptNullDummy, build(1, sig(1), sig(2)), MULTISIG, everyone)
    rejects(ScriptStackUnderflow, build(sig(1), sig(2)), MULTISIG, everyone)
    rejects(ScriptSigCount, build(0, sig(1), sig(1)), build(2, key(1), 1, Opcode.OP_CHECKMULTISIG), everyone)
    rejects(ScriptNonMinimalNumber, build(0), build(0, b"\x00", Opcode.OP_CHECKMULTISIG))


def test_multisig_comparison_order() -> None:
    checker = signed(1, 2, 3)
    evaluate(multisig_script_sig([sig(1), sig(3)]), MULTISIG, checker, P)
    assert checker.calls == [(sig(3), key(3)), (sig(1), key(2)), (sig(1), key(1))]
    unreached = replace(signed(1, 2, 3), malformed_keys=frozenset({key(1)}))
    evaluate(multisig_script_sig([sig(2), sig(3)]), MULTISIG, unreached, P)
    reached = replace(signed(1, 2, 3), malformed_keys=frozenset({key(2)}))
    rejects(InvalidEd25519PublicKey, multisig_script_sig([sig(1), sig(3)]), MULTISIG, reached)
    dummy_first = replace(signed(1, 2, 3), malformed_keys=frozenset({key(3)}))
    rejects(ScriptNullDummy, build(1, sig(1), sig(3)), MULTISIG, dummy_first)
    assert dummy_first.calls == []


@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda n: st.tuples(st.just(n), st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    )
)
def test_multisig_any_ordered_subset(case: tuple[int, list[int]]) -> None:
    count, chosen = case
    keys = [key(i + 1) for i in range(count)]
    script_pubkey = multisig_script(len(chosen), keys, P)
    checker = signed(*range(1, count + 1))
    ordered = sorted(chosen)
    evaluate(multisig_script_sig([sig(i + 1) for i in ordered]), script_pubkey, checker, P)
    assert len(checker.calls) <= count_sigops(script_pubkey, P)
    if len(ordered) > 1:
        rejects(
            ScriptNullFail,
            multisig_script_sig([sig(i + 1) for i in reversed(ordered)]),
            script_pubkey,
            checker,
        )


def test_conditionals() -> None:
    evaluate(build(0), build(Opcode.OP_NOTIF, 1, Opcode.OP_ELSE, 0, Opcode.OP_ENDIF), PairChecker(), P)
    evaluate(
        build(1), build(Opcode.OP_IF, 1, Opcode.OP_ELSE, Opcode.OP_RETURN, Opcode.OP_ENDIF), PairChecker(), P
    )
    evaluate(
        build(0),
        build(
            Opcode.OP_IF, Opcode.OP_IF, Opcode.OP_RETURN, Opcode.OP_ENDIF, Opcode.OP_ELSE, 1, Opcode.OP_ENDIF
        ),
        PairChecker(),
        P,
    )
    rejects(ScriptMinimalIf, build(2), build(Opcode.OP_IF, 1, Opcode.OP_ENDIF))
    rejects(ScriptMinimalIf, build(b"\x00"), build(Opcode.OP_IF, 1, Opcode.OP_ENDIF))
    rejects(ScriptStackUnderflow, b"", build(Opcode.OP_IF, Opcode.OP_ENDIF, 1))
    rejects(ScriptUnbalancedConditional, b"", build(1, Opcode.OP_IF))
    with pytest.raises(ScriptUnbalancedConditional):
        step(ExecState(), Op(Opcode.OP_ENDIF), PairChecker(), P)


def test_stack_and_verify_ops() -> None:
    evaluate(
        build(2, 3),
        build(Opcode.OP_SWAP, Opcode.OP_NOP, 2, Opcode.OP_EQUALVERIFY, 3, Opcode.OP_EQUAL),
        PairChecker(),
        P,
    )
    evaluate(
        build(key(5)), build(Opcode.OP_SIZE, 32, Opcode.OP_EQUALVERIFY, Opcode.OP_DROP, 1), PairChecker(), P
    )
    evaluate(build(1), build(Opcode.OP_VERIFY, 1), PairChecker(), P)
    rejects(ScriptVerifyFailed, build(0), build(Opcode.OP_VERIFY, 1))
    rejects(ScriptReturn, build(1), build(Opcode.OP_RETURN))
    rejects(ScriptStackUnderflow, b"", build(Opcode.OP_DUP))
    rejects(ScriptStackUnderflow, build(1), build(Opcode.OP_SWAP))
    rejects(ScriptEqualVerifyFailed, build(1, 2), build(Opcode.OP_EQUALVERIFY, 1))
    assert execute(parse_script(build(5, Opcode.OP_SIZE), P), (), PairChecker(), P) == (b"\x05", b"\x01")
    assert execute(parse_script(build(0, Opcode.OP_SIZE), P), (), PairChecker(), P) == (b"", b"")


def test_lock_times() -> None:
    cltv = build(1000, Opcode.OP_CHECKLOCKTIMEVERIFY, Opcode.OP_DROP, 1)
    evaluate(b"", cltv, PairChecker(max_lock_time=1000), P)
    rejects(ScriptUnsatisfiedLocktime, b"", cltv, PairChecker(max_lock_time=999))
    rejects(
        ScriptUnsatisfiedSequence, b"", build(7, Opcode.OP_CHECKSEQUENCEVERIFY), PairChecker(max_lock_time=99)
    )
    evaluate(b"", build(7, Opcode.OP_CHECKSEQUENCEVERIFY), PairChecker(max_sequence=7), P)
    rejects(
        ScriptNegativeLocktime, b"", build(-1, Opcode.OP_CHECKLOCKTIMEVERIFY), PairChecker(max_lock_time=10)
    )
    rejects(
        ScriptNegativeLocktime, b"", build(-1, Opcode.OP_CHECKSEQUENCEVERIFY), PairChecker(max_sequence=10)
    )
    rejects(
        ScriptNumberOverflow,
        b"",
        build(2**40, Opcode.OP_CHECKLOCKTIMEVERIFY),
        PairChecker(max_lock_time=2**41),
    )
    evaluate(b"", build(2**39 - 1, Opcode.OP_CHECKLOCKTIMEVERIFY), PairChecker(max_lock_time=2**39 - 1), P)
    rejects(ScriptStackUnderflow, b"", build(Opcode.OP_CHECKSEQUENCEVERIFY))


def test_final_stack_rules() -> None:
    check_final_stack((TRUE,))
    check_final_stack((b"\x00\x02",))
    for stack in [(), (FALSE,), (b"\x80",), (TRUE, FALSE)]:
        with pytest.raises(ScriptFalseResult):
            check_final_stack(stack)
    with pytest.raises(ScriptCleanStack):
        check_final_stack((TRUE, TRUE))


def test_script_sig_push_only() -> None:
    rejects(ScriptSigNotPushOnly, build(1, Opcode.OP_NOP), build(1))
    rejects(ScriptSigNotPushOnly, build(Opcode.OP_DUP), b"")
    evaluate(build(*range(1, 18), bytes(100)), build(*[Opcode.OP_DROP] * 17), PairChecker(), P)


@given(st.lists(st.binary(max_size=80), max_size=20))
def test_push_only_script_sig_is_its_stack(elements: list[bytes]) -> None:
    script_sig = serialize_script([Push(e) for e in elements])
    ops = parse_script(script_sig, P)
    assert is_push_only(ops)
    assert execute(ops, (), PairChecker(), P) == tuple(elements)


# --------------------------------------------------------------------------------------------
# Templates (SCRIPT-19)
# --------------------------------------------------------------------------------------------


def test_templates() -> None:
    p2pkh = p2pkh_script(script_hash(key(1)))
    assert len(p2pkh) == 37 and is_p2pkh(p2pkh) and match_p2pkh(p2pkh) == script_hash(key(1))
    assert not is_p2pkh(p2pkh + b"\x61") and not is_p2pkh(MULTISIG)
    assert match_multisig(MULTISIG, P) == (2, (key(1), key(2), key(3)))
    assert match_multisig(p2pkh, P) is None
    assert match_multisig(build(2, key(1), key(2), 3, Opcode.OP_CHECKMULTISIG), P) is None
    assert match_multisig(b"\x05", P) is None
    null_data = null_data_script(b"hello", P)
    assert null_data == b"\x6a\x05hello" and is_null_data(null_data, P) and is_unspendable(null_data, P)
    assert null_data_script(b"", P) == b"\x6a" and is_null_data(b"\x6a", P)
    assert not is_null_data(b"\x6a\x51\xac", P) and is_unspendable(b"\x6a\x51\xac", P)
    assert is_unspendable(b"\x6a\x05", P) and is_unspendable(b"\xa9", P)
    assert not is_unspendable(p2pkh, P) and not is_unspendable(b"", P)
    rejects(ScriptReturn, build(1), null_data)
    builders: list[Callable[[], bytes]] = [
        lambda: p2pkh_script(bytes(20)),
        lambda: p2pkh_script_sig(sig(1)[:63], key(1)),
        lambda: multisig_script(0, [key(1)], P),
        lambda: multisig_script(2, [key(1)], P),
        lambda: multisig_script(1, [key(i) for i in range(17)], P),
        lambda: multisig_script(1, [bytes(33)], P),
        lambda: multisig_script_sig([sig(1)[:10]]),
        lambda: null_data_script(bytes(P.max_element_bytes + 1), P),
    ]
    for bad in builders:
        with pytest.raises(ScriptBadTemplate):
            bad()


# --------------------------------------------------------------------------------------------
# Whole-interpreter properties
# --------------------------------------------------------------------------------------------


def _outcome(script_sig: bytes, script_pubkey: bytes, checker: PairChecker) -> str | None:
    try:
        evaluate(script_sig, script_pubkey, checker, P)
    except SpecError as exc:
        return exc.code
    return None


def _scripts() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=200), _ops_strategy().map(serialize_script))


@given(_scripts(), _scripts(), st.booleans())
def test_evaluate_raises_only_spec_errors_and_is_deterministic(
    sig_: bytes, pubkey: bytes, flag: bool
) -> None:
    first = PairChecker(max_lock_time=100 if flag else -1, max_sequence=5)
    verdict = _outcome(sig_, pubkey, first)
    second = PairChecker(max_lock_time=100 if flag else -1, max_sequence=5)
    assert _outcome(sig_, pubkey, second) == verdict
    assert first.calls == second.calls
    if first.calls:
        assert len(first.calls) <= count_sigops(pubkey, P)


@given(st.lists(st.binary(max_size=40), max_size=6), _ops_strategy())
def test_checker_calls_bounded_by_sigops(elements: list[bytes], ops: list[ScriptOp]) -> None:
    script_sig = serialize_script([Push(e) for e in elements])
    script_pubkey = serialize_script(ops)

    class AcceptAll(PairChecker):
        def check_signature(self, signature: bytes, public_key: bytes) -> bool:
            self.calls.append((signature, public_key))
            return True

    checker = AcceptAll(max_lock_time=2**39, max_sequence=2**39)
    _outcome(script_sig, script_pubkey, checker)
    assert all(len(s) == 64 and len(k) == 32 for s, k in checker.calls)
    if checker.calls:
        assert len(checker.calls) <= count_sigops(script_pubkey, P)


def _asm_of(ops: Sequence[ScriptOp]) -> list[str]:
    return [op_to_asm(op) for op in ops]


def test_asm_forms() -> None:
    ops = parse_script(bytes.fromhex("0051600100011101810203ff76"), P)
    assert _asm_of(ops) == ["OP_0", "OP_1", "OP_16", "00", "11", "81", "03ff", "OP_DUP"]


# --------------------------------------------------------------------------------------------
# Conformance table checker
# --------------------------------------------------------------------------------------------


def test_table_checker_from_json() -> None:
    checker = checker_from_json(
        {
            "valid_signatures": [[sig(1).hex(), key(1).hex()]],
            "malformed_public_keys": [key(9).hex()],
            "max_lock_time": 10,
        }
    )
    assert isinstance(checker, TableChecker)
    assert checker.check_signature(sig(1), key(1)) and not checker.check_signature(sig(2), key(1))
    with pytest.raises(InvalidEd25519PublicKey):
        checker.check_signature(sig(1), key(9))
    assert checker.check_lock_time(10) and not checker.check_lock_time(11)
    assert not checker.check_sequence(0)
    malformed: list[dict[str, JSON]] = [
        {"valid_signatures": "x"},
        {"valid_signatures": [["aa"]]},
        {"max_sequence": "1"},
        {"malformed_public_keys": "aa"},
    ]
    for bad in malformed:
        with pytest.raises(BadInput):
            checker_from_json(bad)


# --------------------------------------------------------------------------------------------
# Fast paths (issue 14): the P2PKH shortcut and the parse memo agree with the readable interpreter
# --------------------------------------------------------------------------------------------


def _code_of(call: Callable[[], object]) -> str:
    """``"ok"`` or the stable code of the SpecError ``call`` raised."""
    try:
        call()
    except SpecError as error:
        return error.code
    return "ok"


P2PKH_SIG_PUSHES: list[tuple[bytes, bytes]] = [
    (sig(1), key(1)),  # valid
    (sig(2), key(1)),  # wrong signature: NULLFAIL
    (b"", key(1)),  # empty signature: false result
    (sig(1)[:63], key(1)),  # signature encoding
    (sig(1), key(1)[:31]),  # key hash mismatch
    (sig(1), key(3)),  # malformed key (the checker raises)
    (sig(1), key(2)),  # key hash mismatch
    (b"\x01", key(1)),  # OP_1 as the signature
]


@pytest.mark.parametrize(("signature", "public_key"), P2PKH_SIG_PUSHES)
@pytest.mark.parametrize("hashed", [1, 3])
def test_p2pkh_shortcut_matches_the_interpreter(signature: bytes, public_key: bytes, hashed: int) -> None:
    script_sig = serialize_script((Push(signature), Push(public_key)))
    script_pubkey = p2pkh_script(script_hash(key(hashed)))

    def checker() -> PairChecker:
        return replace(signed(1), malformed_keys=frozenset({key(3)}))

    fast_checker, slow_checker = checker(), checker()
    fast = _code_of(lambda: evaluate(script_sig, script_pubkey, fast_checker, P))
    slow = _code_of(
        lambda: run_scripts(
            parse_script.__wrapped__(script_sig, P),
            parse_script.__wrapped__(script_pubkey, P),
            slow_checker,
            P,
        )
    )
    assert fast == slow
    assert fast_checker.calls == slow_checker.calls


def test_p2pkh_shortcut_needs_room_for_four_items() -> None:
    """With a stack limit below P2PKH_STACK_DEPTH the general interpreter runs (and overflows)."""
    tight = replace(P, max_stack_items=P2PKH_STACK_DEPTH - 1)
    script_sig = p2pkh_script_sig(sig(1), key(1))
    script_pubkey = p2pkh_script(script_hash(key(1)))
    with pytest.raises(ScriptStackOverflow):
        evaluate(script_sig, script_pubkey, signed(1), tight)
    evaluate(script_sig, script_pubkey, signed(1), P)


@given(st.binary(max_size=48))
def test_parse_memo_matches_the_readable_parser(script: bytes) -> None:
    assert _code_of(lambda: parse_script(script, P)) == _code_of(lambda: parse_script.__wrapped__(script, P))
    try:
        parsed = parse_script.__wrapped__(script, P)
    except ScriptError:
        return
    assert parse_script(script, P) == parsed
