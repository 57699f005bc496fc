"""Vectors of the ``script`` flow: templates, spends, lock times, limits at their boundaries, and
at least one invalid case per SCRIPT_* error code.

Keys and signatures are opaque seeded bytes: the table checker of ``conformance/handlers/script.py``
decides which (signature, key) pairs are valid, so no vector depends on Ed25519 or a sighash.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from spec.presets import Preset, ScriptParams
from spec.script import (
    MAX_SMALL_INTEGER,
    Op,
    Opcode,
    Push,
    ScriptOp,
    encode_number,
    encode_push,
    multisig_script,
    multisig_script_sig,
    null_data_script,
    p2pkh_script,
    p2pkh_script_sig,
    script_hash,
    serialize_script,
)

Part = Opcode | bytes | int
"""A script part: an opcode, pushed bytes, or a number pushed in its minimal encoding."""


def _ops(parts: Sequence[Part]) -> list[ScriptOp]:
    ops: list[ScriptOp] = []
    for part in parts:
        if isinstance(part, Opcode):
            ops.append(Op(part))
        elif isinstance(part, bytes):
            ops.append(Push(part))
        else:
            ops.append(Push(encode_number(part)))
    return ops


def script(*parts: Part) -> str:
    """Hex of the script made of ``parts``."""
    return serialize_script(_ops(parts)).hex()


def key(index: int) -> bytes:
    """A 32-byte test public key."""
    return seeded_bytes(f"script/key/{index}", 32)


def sig(index: int) -> bytes:
    """A 64-byte test signature; the table checker accepts ``(sig(i), key(i))``."""
    return seeded_bytes(f"script/signature/{index}", 64)


def pairs(*indices: int) -> list[JSON]:
    """``valid_signatures`` listing ``(sig(i), key(i))`` for each index."""
    return [[sig(i).hex(), key(i).hex()] for i in indices]


def _hex(value: str | bytes) -> str:
    return value.hex() if isinstance(value, bytes) else value


def _spend(script_sig: str | bytes, script_pubkey: str | bytes, **checker: JSON) -> dict[str, JSON]:
    return {"script_sig": _hex(script_sig), "script_pubkey": _hex(script_pubkey), **checker}


def _true_script_of_size(size: int, params: ScriptParams) -> bytes:
    """A script of exactly ``size`` bytes (size >= 1) that leaves one true element: ``OP_1``, then
    the longest pushes of zero bytes that fit, each dropped, then NOPs for the last few bytes."""
    ops: list[ScriptOp] = [Push(b"\x01")]
    remaining = size - 1
    cost = {n: len(encode_push(bytes(n))) + 1 for n in range(params.max_element_bytes + 1)}
    while remaining > 2:
        length = max(n for n, c in cost.items() if c <= remaining)
        ops += [Push(bytes(length)), Op(Opcode.OP_DROP)]
        remaining -= cost[length]
    ops += [Op(Opcode.OP_NOP)] * remaining
    built = serialize_script(ops)
    if len(built) != size:
        raise AssertionError(f"padding built {len(built)} bytes, wanted {size}")
    return built


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """SCRIPT-1..19 vectors."""
    params = preset.script
    yield from _parse_cases(params)
    yield from _number_cases()
    yield from _template_cases(params)
    yield from _sigop_cases(params)
    yield from _spend_cases()
    yield from _lock_cases()
    yield from _limit_cases(params)
    yield from _error_cases()
    yield from _boundary_cases_from_mutation(params)


def _parse_cases(params: ScriptParams) -> Iterator[CaseSpec]:
    p2pkh = p2pkh_script(script_hash(key(1))).hex()
    yield CaseSpec("parse", "empty", "the empty script has no instructions", {"script": ""})
    yield CaseSpec("parse", "p2pkh", "the P2PKH template", {"script": p2pkh})
    yield CaseSpec(
        "parse",
        "small_pushes",
        "OP_0, OP_1..OP_16, and single bytes 00, 11 and 81 (direct pushes: no OP_1NEGATE in v1)",
        {"script": "00" + "".join(f"{op:02x}" for op in range(0x51, 0x61)) + "0100" + "0111" + "0181"},
    )
    for size in (2, 75, 76, 255, 256, params.max_element_bytes):
        yield CaseSpec(
            "parse",
            f"push_{size}_bytes",
            f"minimal push of {size} bytes",
            {"script": serialize_script([Push(seeded_bytes(f"script/push/{size}", size))]).hex()},
        )
    every = [
        op
        for op in Opcode
        if op not in (Opcode.OP_0, Opcode.OP_PUSHDATA1, Opcode.OP_PUSHDATA2, Opcode.OP_PUSHDATA4)
    ]
    every = [op for op in every if not Opcode.OP_1 <= op <= Opcode.OP_16]
    ifs = {Opcode.OP_IF, Opcode.OP_NOTIF, Opcode.OP_ELSE, Opcode.OP_ENDIF}
    body = bytes(op for op in every if op not in ifs)
    yield CaseSpec(
        "parse",
        "every_opcode",
        "every non-push opcode once (conditionals in order)",
        {
            "script": (
                bytes(
                    [
                        Opcode.OP_IF,
                        Opcode.OP_NOTIF,
                        Opcode.OP_ELSE,
                        Opcode.OP_ENDIF,
                        Opcode.OP_ELSE,
                        Opcode.OP_ENDIF,
                    ]
                )
                + body
            ).hex()
        },
    )
    yield CaseSpec(
        "parse",
        "bad_opcode_inside_untaken_branch",
        "SCRIPT-2 applies to the bytes, executed or not",
        {"script": "0063a968"},
        expect_error="SCRIPT_BAD_OPCODE",
    )
    for byte, name in (
        (0xA9, "hash160"),
        (0x4F, "1negate"),
        (0x50, "reserved"),
        (0xFF, "ff"),
        (0xAF, "cmsv"),
    ):
        yield CaseSpec(
            "parse",
            f"bad_opcode_{name}",
            f"0x{byte:02x} is not an opcode of FerrisScript v1",
            {"script": f"51{byte:02x}"},
            expect_error="SCRIPT_BAD_OPCODE",
        )
    truncated = {
        "direct": ("050102", "direct push of 5 with 2 bytes left"),
        "pushdata1_no_length": ("4c", "PUSHDATA1 without its length byte"),
        "pushdata2_short_length": ("4d01", "PUSHDATA2 with one of its two length bytes"),
        "pushdata4_huge": ("4effffffff", "PUSHDATA4 announcing 4 GiB (rejected before allocating)"),
        "pushdata2_short_data": ("4d0001" + "00" * 255, "PUSHDATA2 of 256 with 255 bytes"),
    }
    for name, (hex_script, description) in truncated.items():
        yield CaseSpec(
            "parse",
            f"truncated_{name}",
            description,
            {"script": hex_script},
            expect_error="SCRIPT_TRUNCATED_PUSH",
        )
    non_minimal = {
        "empty_pushdata1": ("4c00", "empty data with PUSHDATA1 instead of OP_0"),
        "small_int_direct": ("0105", "05 with a direct push instead of OP_5"),
        "sixteen_direct": ("0110", "10 with a direct push instead of OP_16"),
        "pushdata1_short": ("4c03010203", "3 bytes with PUSHDATA1"),
        "pushdata2_short": ("4d4c00" + "00" * 76, "76 bytes with PUSHDATA2"),
        "pushdata4_short": ("4e4c000000" + "00" * 76, "76 bytes with PUSHDATA4"),
    }
    for name, (hex_script, description) in non_minimal.items():
        yield CaseSpec(
            "parse",
            f"non_minimal_{name}",
            description,
            {"script": hex_script},
            expect_error="SCRIPT_NON_MINIMAL_PUSH",
        )
    yield CaseSpec(
        "parse",
        "push_too_large",
        f"a minimal push of {params.max_element_bytes + 1} bytes",
        {"script": serialize_script([Push(bytes(params.max_element_bytes + 1))]).hex()},
        expect_error="SCRIPT_PUSH_SIZE",
    )
    unbalanced = {
        "endif_alone": ("68", "ENDIF without IF"),
        "else_alone": ("67", "ELSE without IF"),
        "if_unclosed": ("5163", "IF never closed"),
        "two_elses": ("51636767" + "68", "two ELSEs in one IF"),
        "endif_then_else": ("00636867", "ELSE after its IF was closed"),
    }
    for name, (hex_script, description) in unbalanced.items():
        yield CaseSpec(
            "parse",
            f"unbalanced_{name}",
            description,
            {"script": hex_script},
            expect_error="SCRIPT_UNBALANCED_CONDITIONAL",
        )
    yield CaseSpec(
        "parse",
        "reading_order",
        "an opcode error before a truncated push: the first broken rule in reading order wins",
        {"script": "a905"},
        expect_error="SCRIPT_BAD_OPCODE",
    )


def _number_cases() -> Iterator[CaseSpec]:
    values = (
        0,
        1,
        -1,
        16,
        127,
        -127,
        128,
        -128,
        255,
        256,
        -256,
        32767,
        32768,
        2**31 - 1,
        -(2**31),
        2**39 - 1,
    )
    for value in values:
        name = f"{'minus_' if value < 0 else ''}{abs(value)}"
        yield CaseSpec("encode_number", name, f"encoding of {value}", {"value": value})
        yield CaseSpec("decode_number", name, f"decoding of {value}", {"element": encode_number(value).hex()})
    yield CaseSpec("encode_number", "two_pow_40", "numbers longer than 5 bytes encode", {"value": 2**40})
    invalid = {
        "zero_byte": ("00", "SCRIPT_NON_MINIMAL_NUMBER", "00 is a non-minimal zero"),
        "negative_zero": ("80", "SCRIPT_NON_MINIMAL_NUMBER", "80 is negative zero"),
        "padded_one": ("0100", "SCRIPT_NON_MINIMAL_NUMBER", "01 00: the 00 byte is redundant"),
        "padded_minus_one": ("0180", "SCRIPT_NON_MINIMAL_NUMBER", "01 80: -1 with a redundant sign byte"),
        "six_bytes": ("010203040506", "SCRIPT_NUMBER_OVERFLOW", "longer than 5 bytes"),
        "six_bytes_non_minimal": ("000000000000", "SCRIPT_NUMBER_OVERFLOW", "length is checked first"),
    }
    for name, (element, code, description) in invalid.items():
        yield CaseSpec("decode_number", name, description, {"element": element}, expect_error=code)
    for name, element in (
        ("sign_byte_needed", "8000"),
        ("sign_byte_negative", "8080"),
        ("max_5", "ffffffff7f"),
    ):
        yield CaseSpec("decode_number", name, "minimal with a sign byte", {"element": element})


def _template_cases(params: ScriptParams) -> Iterator[CaseSpec]:
    yield CaseSpec("p2pkh_script", "key_1", "P2PKH of key 1", {"key_hash": script_hash(key(1)).hex()})
    yield CaseSpec(
        "p2pkh_script",
        "short_hash",
        "a 20-byte (HASH160-sized) key hash",
        {"key_hash": "00" * 20},
        expect_error="SCRIPT_BAD_TEMPLATE",
    )
    signature = seeded_bytes("script/template/signature", 64)
    other_signature = seeded_bytes("script/template/signature/2", 64)
    for name, description, sig, public_key, code in (
        ("key_1", "a 64-byte signature and key 1", signature, key(1), None),
        ("short_signature", "a 63-byte signature", signature[:63], key(1), "SCRIPT_BAD_TEMPLATE"),
        (
            "long_key",
            "a 33-byte public key",
            signature,
            key(1) + b"\x00",
            "SCRIPT_BAD_TEMPLATE",
        ),
    ):
        yield CaseSpec(
            "p2pkh_script_sig",
            name,
            f"SCRIPT-19: {description}",
            {"signature": sig.hex(), "public_key": public_key.hex()},
            expect_error=code,
        )
    for name, description, signatures, code in (
        ("two", "OP_0 then two signatures in key order", [signature, other_signature], None),
        ("none", "no signature: the dummy OP_0 alone", [], None),
        (
            "short_second",
            "the second signature is 63 bytes",
            [signature, other_signature[:63]],
            "SCRIPT_BAD_TEMPLATE",
        ),
    ):
        yield CaseSpec(
            "multisig_script_sig",
            name,
            f"SCRIPT-19: {description}",
            {"signatures": [s.hex() for s in signatures]},
            expect_error=code,
        )
    keys3 = [key(i).hex() for i in (1, 2, 3)]
    yield CaseSpec("multisig_script", "two_of_three", "2-of-3", {"required": 2, "public_keys": keys3})
    yield CaseSpec(
        "multisig_script",
        "sixteen_of_sixteen",
        "16-of-16, the largest the template builds",
        {"required": 16, "public_keys": [key(i).hex() for i in range(16)]},
    )
    bad = {
        "zero_required": (0, keys3, "m = 0"),
        "more_required_than_keys": (4, keys3, "m > n"),
        "seventeen_keys": (1, [key(i).hex() for i in range(17)], "n = 17 has no OP_n"),
        "short_key": (1, ["00" * 33], "a 33-byte key"),
    }
    for name, (required, keys, description) in bad.items():
        yield CaseSpec(
            "multisig_script",
            name,
            description,
            {"required": required, "public_keys": keys},
            expect_error="SCRIPT_BAD_TEMPLATE",
        )
    yield CaseSpec("null_data_script", "empty", "bare OP_RETURN", {"payload": ""})
    yield CaseSpec("null_data_script", "short", "OP_RETURN and 32 bytes", {"payload": key(9).hex()})
    yield CaseSpec(
        "null_data_script",
        "too_long",
        "payload above max_element_bytes",
        {"payload": "00" * (params.max_element_bytes + 1)},
        expect_error="SCRIPT_BAD_TEMPLATE",
    )
    classify = {
        "p2pkh": p2pkh_script(script_hash(key(1))).hex(),
        "multisig": multisig_script(2, [key(1), key(2), key(3)], params).hex(),
        "null_data": null_data_script(b"hello", params).hex(),
        "bare_op_return": "6a",
        "op_return_then_opcode": "6a51ac",
        "op_return_unparseable": "6a05",
        "unparseable": "05",
        "hash160_p2pkh": "76a914" + "00" * 20 + "88ac",
        "anyone_can_spend": "51",
        "p2pkh_with_trailing_nop": p2pkh_script(script_hash(key(1))).hex() + "61",
        "multisig_counts_mismatch": script(2, key(1), key(2), 3, Opcode.OP_CHECKMULTISIG),
        "empty": "",
    }
    for name, hex_script in classify.items():
        yield CaseSpec("classify", name, f"template of {name.replace('_', ' ')}", {"script": hex_script})


def _sigop_cases(params: ScriptParams) -> Iterator[CaseSpec]:
    cases = {
        "p2pkh": (p2pkh_script(script_hash(key(1))).hex(), "1 CHECKSIG"),
        "multisig_2_of_3": (multisig_script(2, [key(1), key(2), key(3)], params).hex(), "OP_3 before it"),
        "bare_checkmultisig": (
            script(Opcode.OP_CHECKMULTISIG),
            "no OP_n before it: max_pubkeys_per_multisig",
        ),
        "op0_checkmultisig": (script(0, Opcode.OP_CHECKMULTISIG), "OP_0 is not OP_1..OP_16"),
        "direct_17_checkmultisig": (script(17, Opcode.OP_CHECKMULTISIG), "a direct push of 17 is not OP_n"),
        "untaken_branch_counts": (
            script(0, Opcode.OP_IF, Opcode.OP_CHECKSIG, Opcode.OP_ENDIF),
            "branches are not followed",
        ),
        "checksigverify": (script(Opcode.OP_CHECKSIGVERIFY, Opcode.OP_CHECKSIG), "VERIFY form counts too"),
        "empty": ("", "no sigops"),
    }
    for name, (hex_script, description) in cases.items():
        yield CaseSpec("count_sigops", name, description, {"script": hex_script})
    yield CaseSpec(
        "count_sigops",
        "unparseable",
        "a script that does not parse has no count",
        {"script": "4c"},
        expect_error="SCRIPT_TRUNCATED_PUSH",
    )


def _spend_cases() -> Iterator[CaseSpec]:
    p2pkh = p2pkh_script(script_hash(key(1))).hex()
    good_sig = p2pkh_script_sig(sig(1), key(1)).hex()
    yield CaseSpec(
        "evaluate", "p2pkh_valid", "P2PKH spent by key 1", _spend(good_sig, p2pkh, valid_signatures=pairs(1))
    )
    yield CaseSpec(
        "evaluate",
        "p2pkh_wrong_key",
        "key 2 presented for key 1's hash",
        _spend(p2pkh_script_sig(sig(2), key(2)).hex(), p2pkh, valid_signatures=pairs(1, 2)),
        expect_error="SCRIPT_EQUALVERIFY_FAILED",
    )
    yield CaseSpec(
        "evaluate",
        "p2pkh_bad_signature",
        "a 64-byte signature the checker rejects (NULLFAIL)",
        _spend(p2pkh_script_sig(sig(2), key(1)).hex(), p2pkh, valid_signatures=pairs(1)),
        expect_error="SCRIPT_NULLFAIL",
    )
    yield CaseSpec(
        "evaluate",
        "p2pkh_empty_signature",
        "an empty signature is false without a checker call (SCRIPT-15)",
        _spend(script(b"", key(1)), p2pkh, valid_signatures=pairs(1)),
        expect_error="SCRIPT_FALSE_RESULT",
    )
    yield CaseSpec(
        "evaluate",
        "p2pkh_extra_element",
        "an extra element under the signature (clean stack)",
        _spend(script(5, sig(1), key(1)), p2pkh, valid_signatures=pairs(1)),
        expect_error="SCRIPT_CLEAN_STACK",
    )
    yield CaseSpec(
        "evaluate",
        "p2pkh_malformed_key",
        "the checker rejects the key's encoding; its code is the verdict",
        _spend(good_sig, p2pkh, malformed_public_keys=[key(1).hex()]),
        expect_error="ED25519_INVALID_PUBLIC_KEY",
    )
    yield from _multisig_cases()
    yield from _flow_cases()


def _multisig_cases() -> Iterator[CaseSpec]:
    keys = (key(1), key(2), key(3))
    ms = script(2, *keys, 3, Opcode.OP_CHECKMULTISIG)
    ok = pairs(1, 2, 3)
    for a, b in ((1, 2), (1, 3), (2, 3)):
        yield CaseSpec(
            "evaluate",
            f"multisig_2_of_3_keys_{a}_{b}",
            f"2-of-3 signed by keys {a} and {b}",
            _spend(multisig_script_sig([sig(a), sig(b)]), ms, valid_signatures=ok),
        )
    yield CaseSpec(
        "evaluate",
        "multisig_wrong_order",
        "signatures must follow key order",
        _spend(multisig_script_sig([sig(3), sig(1)]), ms, valid_signatures=ok),
        expect_error="SCRIPT_NULLFAIL",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_same_signature_twice",
        "one key cannot count twice",
        _spend(multisig_script_sig([sig(1), sig(1)]), ms, valid_signatures=ok),
        expect_error="SCRIPT_NULLFAIL",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_empty_signatures",
        "two empty signatures: false, and no NULLFAIL since all are empty",
        _spend(script(0, b"", b""), ms, valid_signatures=ok),
        expect_error="SCRIPT_FALSE_RESULT",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_nulldummy",
        "dummy element 01 instead of empty",
        _spend(script(1, sig(1), sig(2)), ms, valid_signatures=ok),
        expect_error="SCRIPT_NULLDUMMY",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_dummy_checked_before_signatures",
        "a bad dummy is reported even though a key is malformed (SCRIPT-16 order)",
        _spend(script(1, sig(1), sig(2)), ms, valid_signatures=ok, malformed_public_keys=[key(2).hex()]),
        expect_error="SCRIPT_NULLDUMMY",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_unreached_malformed_key",
        "key 1 is malformed but never compared: sigs 2, 3 match keys 2, 3 from the top",
        _spend(
            multisig_script_sig([sig(2), sig(3)]),
            ms,
            valid_signatures=ok,
            malformed_public_keys=[key(1).hex()],
        ),
    )
    yield CaseSpec(
        "evaluate",
        "multisig_reached_malformed_key",
        "key 2 is compared (top-down matching) and the checker rejects it",
        _spend(
            multisig_script_sig([sig(1), sig(3)]),
            ms,
            valid_signatures=ok,
            malformed_public_keys=[key(2).hex()],
        ),
        expect_error="ED25519_INVALID_PUBLIC_KEY",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_zero_of_zero",
        "0-of-0 is true",
        _spend(script(0), script(0, 0, Opcode.OP_CHECKMULTISIG)),
    )
    yield CaseSpec(
        "evaluate",
        "multisig_key_count_21",
        "n = 21 exceeds max_pubkeys_per_multisig",
        _spend(script(0, 0), script(21, Opcode.OP_CHECKMULTISIG)),
        expect_error="SCRIPT_PUBKEY_COUNT",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_key_count_negative",
        "n = -1",
        _spend(script(0, 0), script(-1, Opcode.OP_CHECKMULTISIG)),
        expect_error="SCRIPT_PUBKEY_COUNT",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_sig_count_above_keys",
        "m = 2 with n = 1",
        _spend(script(0, sig(1), sig(1)), script(2, key(1), 1, Opcode.OP_CHECKMULTISIG), valid_signatures=ok),
        expect_error="SCRIPT_SIG_COUNT",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_missing_dummy",
        "no element left for the dummy",
        _spend(script(sig(1), sig(2)), ms, valid_signatures=ok),
        expect_error="SCRIPT_STACK_UNDERFLOW",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_short_signature",
        "a 63-byte signature compared",
        _spend(script(0, sig(1)[:63]), script(1, key(1), 1, Opcode.OP_CHECKMULTISIG), valid_signatures=ok),
        expect_error="SCRIPT_SIG_ENCODING",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_count_non_minimal",
        "n given as 01 00",
        _spend(
            script(0, sig(1)), script(1, key(1), b"\x01\x00", Opcode.OP_CHECKMULTISIG), valid_signatures=ok
        ),
        expect_error="SCRIPT_NON_MINIMAL_NUMBER",
    )


def _flow_cases() -> Iterator[CaseSpec]:
    htlc = script(
        Opcode.OP_IF,
        Opcode.OP_BLAKE3,
        script_hash(b"preimage"),
        Opcode.OP_EQUALVERIFY,
        key(1),
        Opcode.OP_ELSE,
        100,
        Opcode.OP_CHECKLOCKTIMEVERIFY,
        Opcode.OP_DROP,
        key(2),
        Opcode.OP_ENDIF,
        Opcode.OP_CHECKSIG,
    )
    yield CaseSpec(
        "evaluate",
        "htlc_hash_branch",
        "hash-time-locked contract, hash branch",
        _spend(script(sig(1), b"preimage", 1), htlc, valid_signatures=pairs(1, 2)),
    )
    yield CaseSpec(
        "evaluate",
        "htlc_timeout_branch",
        "hash-time-locked contract, timeout branch after the lock time",
        _spend(script(sig(2), 0), htlc, valid_signatures=pairs(1, 2), max_lock_time=100),
    )
    yield CaseSpec(
        "evaluate",
        "htlc_timeout_branch_early",
        "timeout branch before the lock time",
        _spend(script(sig(2), 0), htlc, valid_signatures=pairs(1, 2), max_lock_time=99),
        expect_error="SCRIPT_UNSATISFIED_LOCKTIME",
    )
    yield CaseSpec(
        "evaluate",
        "htlc_wrong_preimage",
        "hash branch with the wrong preimage",
        _spend(script(sig(1), b"guess", 1), htlc, valid_signatures=pairs(1, 2)),
        expect_error="SCRIPT_EQUALVERIFY_FAILED",
    )
    yield CaseSpec(
        "evaluate",
        "minimalif_two",
        "IF condition 02",
        _spend(script(sig(1), b"preimage", 2), htlc, valid_signatures=pairs(1)),
        expect_error="SCRIPT_MINIMALIF",
    )
    yield CaseSpec(
        "evaluate",
        "minimalif_zero_byte",
        "IF condition 00 (false, but not the empty element)",
        _spend(script(sig(2), b"\x00"), htlc, valid_signatures=pairs(2), max_lock_time=100),
        expect_error="SCRIPT_MINIMALIF",
    )
    yield CaseSpec(
        "evaluate",
        "notif_else",
        "NOTIF takes its first branch on the empty condition",
        _spend(script(0), script(Opcode.OP_NOTIF, 1, Opcode.OP_ELSE, 0, Opcode.OP_ENDIF)),
    )
    yield CaseSpec(
        "evaluate",
        "nested_untaken_if_skips_condition",
        "an IF inside an untaken branch pops nothing",
        _spend(
            script(0),
            script(
                Opcode.OP_IF,
                Opcode.OP_IF,
                Opcode.OP_RETURN,
                Opcode.OP_ENDIF,
                Opcode.OP_ELSE,
                1,
                Opcode.OP_ENDIF,
            ),
        ),
    )
    yield CaseSpec(
        "evaluate",
        "op_return_untaken",
        "OP_RETURN in an untaken branch does nothing",
        _spend("", script(0, Opcode.OP_IF, Opcode.OP_RETURN, Opcode.OP_ENDIF, 1)),
    )
    yield CaseSpec(
        "evaluate",
        "op_return_output",
        "a null-data output cannot be spent",
        _spend(script(1), script(Opcode.OP_RETURN, b"data")),
        expect_error="SCRIPT_RETURN",
    )
    yield CaseSpec(
        "evaluate",
        "size_equal",
        "SIZE of a 32-byte element, compared",
        _spend(script(key(5)), script(Opcode.OP_SIZE, 32, Opcode.OP_EQUALVERIFY, Opcode.OP_DROP, 1)),
    )
    yield CaseSpec(
        "evaluate",
        "swap_nop_equal",
        "SWAP then NOP then EQUAL",
        _spend(
            script(2, 3), script(Opcode.OP_SWAP, Opcode.OP_NOP, 2, Opcode.OP_EQUALVERIFY, 3, Opcode.OP_EQUAL)
        ),
    )
    yield CaseSpec(
        "evaluate",
        "checksigverify_then_true",
        "CHECKSIGVERIFY consumes its result",
        _spend(script(sig(1)), script(key(1), Opcode.OP_CHECKSIGVERIFY, 1), valid_signatures=pairs(1)),
    )
    yield CaseSpec(
        "evaluate",
        "checksigverify_empty_signature",
        "CHECKSIGVERIFY with an empty signature",
        _spend(script(0), script(key(1), Opcode.OP_CHECKSIGVERIFY, 1), valid_signatures=pairs(1)),
        expect_error="SCRIPT_CHECKSIGVERIFY_FAILED",
    )
    yield CaseSpec(
        "evaluate",
        "not_checksig_empty_signature",
        "NOTIF over CHECKSIG of an empty signature: the non-malleable 'no signature' path",
        _spend(
            script(0),
            script(key(1), Opcode.OP_CHECKSIG, Opcode.OP_NOTIF, 1, Opcode.OP_ELSE, 0, Opcode.OP_ENDIF),
        ),
    )
    yield CaseSpec(
        "evaluate",
        "negative_zero_is_false",
        "the final element 80 is false",
        _spend(script(b"\x80"), ""),
        expect_error="SCRIPT_FALSE_RESULT",
    )
    yield CaseSpec(
        "evaluate", "true_0002", "the final element 00 02 is true", _spend(script(b"\x00\x02"), "")
    )


def _lock_cases() -> Iterator[CaseSpec]:
    cltv = script(1000, Opcode.OP_CHECKLOCKTIMEVERIFY, Opcode.OP_DROP, 1)
    csv = script(10, Opcode.OP_CHECKSEQUENCEVERIFY, Opcode.OP_DROP, 1)
    yield CaseSpec(
        "evaluate", "cltv_equal", "lock time exactly reached", _spend("", cltv, max_lock_time=1000)
    )
    yield CaseSpec("evaluate", "cltv_later", "lock time passed", _spend("", cltv, max_lock_time=5000))
    yield CaseSpec(
        "evaluate",
        "cltv_early",
        "one below the operand",
        _spend("", cltv, max_lock_time=999),
        expect_error="SCRIPT_UNSATISFIED_LOCKTIME",
    )
    yield CaseSpec(
        "evaluate",
        "cltv_no_lock_time",
        "a checker that accepts no lock time",
        _spend("", cltv),
        expect_error="SCRIPT_UNSATISFIED_LOCKTIME",
    )
    yield CaseSpec(
        "evaluate",
        "cltv_leaves_operand",
        "CLTV leaves its operand: here it is the one (true) element left",
        _spend("", script(1000, Opcode.OP_CHECKLOCKTIMEVERIFY), max_lock_time=1000),
    )
    yield CaseSpec(
        "evaluate",
        "cltv_five_byte_operand",
        "the largest operand, 2**39 - 1",
        _spend("", script(2**39 - 1, Opcode.OP_CHECKLOCKTIMEVERIFY), max_lock_time=2**39 - 1),
    )
    yield CaseSpec(
        "evaluate",
        "cltv_six_byte_operand",
        "an operand of 6 bytes",
        _spend("", script(2**40, Opcode.OP_CHECKLOCKTIMEVERIFY), max_lock_time=2**41),
        expect_error="SCRIPT_NUMBER_OVERFLOW",
    )
    yield CaseSpec(
        "evaluate",
        "cltv_negative",
        "operand -1",
        _spend("", script(-1, Opcode.OP_CHECKLOCKTIMEVERIFY), max_lock_time=1000),
        expect_error="SCRIPT_NEGATIVE_LOCKTIME",
    )
    yield CaseSpec(
        "evaluate",
        "cltv_non_minimal",
        "operand 0a 00",
        _spend("", script(b"\x0a\x00", Opcode.OP_CHECKLOCKTIMEVERIFY), max_lock_time=1000),
        expect_error="SCRIPT_NON_MINIMAL_NUMBER",
    )
    yield CaseSpec(
        "evaluate",
        "cltv_empty_stack",
        "no operand",
        _spend("", script(Opcode.OP_CHECKLOCKTIMEVERIFY), max_lock_time=1000),
        expect_error="SCRIPT_STACK_UNDERFLOW",
    )
    yield CaseSpec("evaluate", "csv_equal", "sequence exactly reached", _spend("", csv, max_sequence=10))
    yield CaseSpec(
        "evaluate",
        "csv_early",
        "sequence one below",
        _spend("", csv, max_sequence=9),
        expect_error="SCRIPT_UNSATISFIED_SEQUENCE",
    )
    yield CaseSpec(
        "evaluate",
        "csv_negative",
        "operand -5",
        _spend("", script(-5, Opcode.OP_CHECKSEQUENCEVERIFY), max_sequence=10),
        expect_error="SCRIPT_NEGATIVE_LOCKTIME",
    )
    yield CaseSpec(
        "evaluate",
        "csv_ignores_lock_time",
        "CSV asks the sequence, not the lock time",
        _spend("", csv, max_lock_time=100),
        expect_error="SCRIPT_UNSATISFIED_SEQUENCE",
    )


def _limit_cases(params: ScriptParams) -> Iterator[CaseSpec]:
    size = params.max_script_bytes
    yield CaseSpec(
        "evaluate",
        "script_at_size_limit",
        f"a script_pubkey of exactly {size} bytes",
        _spend("", _true_script_of_size(size, params).hex()),
    )
    yield CaseSpec(
        "evaluate",
        "script_over_size_limit",
        f"a script_pubkey of {size + 1} bytes",
        _spend("", _true_script_of_size(size + 1, params).hex()),
        expect_error="SCRIPT_TOO_LARGE",
    )
    yield CaseSpec(
        "evaluate",
        "script_sig_over_size_limit",
        f"a script_sig of {size + 1} bytes",
        _spend(_true_script_of_size(size + 1, params).hex(), "51"),
        expect_error="SCRIPT_TOO_LARGE",
    )
    ops = params.max_ops
    yield CaseSpec("evaluate", "ops_at_limit", f"{ops} NOPs", _spend("", script(1, *[Opcode.OP_NOP] * ops)))
    yield CaseSpec(
        "evaluate",
        "ops_over_limit",
        f"{ops + 1} NOPs",
        _spend("", script(1, *[Opcode.OP_NOP] * (ops + 1))),
        expect_error="SCRIPT_OP_COUNT",
    )
    yield CaseSpec(
        "evaluate",
        "push_ops_not_counted",
        f"{ops} NOPs and many pushes (pushes are not ops)",
        _spend("", script(*[1] * 50, *[Opcode.OP_DROP] * 50, 1, *[Opcode.OP_NOP] * (ops - 50))),
    )
    depth = params.max_stack_items
    yield CaseSpec(
        "evaluate",
        "stack_at_limit",
        f"{depth} elements, then all but one dropped",
        _spend(script(*[1] * depth), script(*[Opcode.OP_DROP] * (depth - 1))),
    )
    yield CaseSpec(
        "evaluate",
        "stack_over_limit_in_script_sig",
        f"{depth + 1} pushes in the script_sig",
        _spend(script(*[1] * (depth + 1)), script(*[Opcode.OP_DROP] * depth)),
        expect_error="SCRIPT_STACK_OVERFLOW",
    )
    yield CaseSpec(
        "evaluate",
        "stack_over_limit_by_dup",
        f"DUP on a full stack of {depth}",
        _spend(script(*[1] * depth), script(Opcode.OP_DUP)),
        expect_error="SCRIPT_STACK_OVERFLOW",
    )
    element = params.max_element_bytes
    yield CaseSpec(
        "evaluate",
        "element_at_limit",
        f"a {element}-byte element",
        _spend(
            script(bytes(element)), script(Opcode.OP_SIZE, element, Opcode.OP_EQUALVERIFY, Opcode.OP_DROP, 1)
        ),
    )
    yield CaseSpec(
        "evaluate",
        "element_over_limit",
        f"a {element + 1}-byte element",
        _spend(script(bytes(element + 1)), "51"),
        expect_error="SCRIPT_PUSH_SIZE",
    )
    sigops = params.max_sigops_per_tx
    yield CaseSpec(
        "evaluate",
        "sigops_at_limit",
        f"{sigops} counted sigops (bare CHECKMULTISIG counts {params.max_pubkeys_per_multisig})",
        _spend(
            script(0, 0),
            script(
                0,
                Opcode.OP_IF,
                *[Opcode.OP_CHECKSIG] * (sigops - params.max_pubkeys_per_multisig),
                Opcode.OP_ENDIF,
                0,
                Opcode.OP_CHECKMULTISIG,
            ),
        ),
    )
    yield CaseSpec(
        "evaluate",
        "sigops_over_limit",
        f"{sigops + 1} CHECKSIGs, never executed",
        _spend("", script(0, Opcode.OP_IF, *[Opcode.OP_CHECKSIG] * (sigops + 1), Opcode.OP_ENDIF, 1)),
        expect_error="SCRIPT_SIGOP_LIMIT",
    )


def _error_cases() -> Iterator[CaseSpec]:
    yield CaseSpec(
        "evaluate",
        "script_sig_not_push_only",
        "a NOP in the script_sig",
        _spend(script(1, Opcode.OP_NOP), "51"),
        expect_error="SCRIPT_SIG_NOT_PUSH_ONLY",
    )
    yield CaseSpec(
        "evaluate",
        "script_sig_parsed_first",
        "both scripts broken: the script_sig's error is reported",
        _spend("4c", "a9"),
        expect_error="SCRIPT_TRUNCATED_PUSH",
    )
    yield CaseSpec(
        "evaluate",
        "script_pubkey_bad_opcode",
        "HASH160 (0xa9) in the script_pubkey",
        _spend("", "76a914" + "00" * 20 + "88ac"),
        expect_error="SCRIPT_BAD_OPCODE",
    )
    yield CaseSpec(
        "evaluate",
        "non_minimal_push_in_script_sig",
        "script_sig pushes 01 with a direct push",
        _spend("0101", ""),
        expect_error="SCRIPT_NON_MINIMAL_PUSH",
    )
    yield CaseSpec(
        "evaluate",
        "unbalanced_across_scripts",
        "an IF cannot span script_sig and script_pubkey",
        _spend("", script(1, Opcode.OP_IF)),
        expect_error="SCRIPT_UNBALANCED_CONDITIONAL",
    )
    yield CaseSpec(
        "evaluate",
        "underflow_dup",
        "DUP on the empty stack",
        _spend("", script(Opcode.OP_DUP)),
        expect_error="SCRIPT_STACK_UNDERFLOW",
    )
    yield CaseSpec(
        "evaluate",
        "underflow_if",
        "IF on the empty stack",
        _spend("", script(Opcode.OP_IF, Opcode.OP_ENDIF, 1)),
        expect_error="SCRIPT_STACK_UNDERFLOW",
    )
    yield CaseSpec(
        "evaluate",
        "verify_false",
        "VERIFY of the empty element",
        _spend(script(0), script(Opcode.OP_VERIFY, 1)),
        expect_error="SCRIPT_VERIFY_FAILED",
    )
    yield CaseSpec(
        "evaluate", "verify_true", "VERIFY of 01 pops it", _spend(script(1), script(Opcode.OP_VERIFY, 1))
    )
    yield CaseSpec(
        "evaluate",
        "pubkey_encoding",
        "a 33-byte public key",
        _spend(script(sig(1)), script(b"\x02" + key(1), Opcode.OP_CHECKSIG)),
        expect_error="SCRIPT_PUBKEY_ENCODING",
    )
    yield CaseSpec(
        "evaluate",
        "pubkey_encoding_empty_signature",
        "key length is checked even for an empty signature",
        _spend(
            script(0),
            script(key(1)[:31], Opcode.OP_CHECKSIG, Opcode.OP_NOTIF, 1, Opcode.OP_ELSE, 0, Opcode.OP_ENDIF),
        ),
        expect_error="SCRIPT_PUBKEY_ENCODING",
    )
    yield CaseSpec(
        "evaluate",
        "sig_encoding",
        "a 65-byte signature (a sighash byte appended, as Bitcoin does)",
        _spend(script(sig(1) + b"\x01"), script(key(1), Opcode.OP_CHECKSIG), valid_signatures=pairs(1)),
        expect_error="SCRIPT_SIG_ENCODING",
    )
    yield CaseSpec(
        "evaluate",
        "false_result_empty_stack",
        "nothing left",
        _spend("", ""),
        expect_error="SCRIPT_FALSE_RESULT",
    )
    yield CaseSpec(
        "evaluate",
        "false_result_zero",
        "OP_0 left",
        _spend("", script(0)),
        expect_error="SCRIPT_FALSE_RESULT",
    )
    yield CaseSpec(
        "evaluate",
        "false_result_before_clean_stack",
        "two elements with a false top: SCRIPT_FALSE_RESULT is checked first",
        _spend(script(1, 0), ""),
        expect_error="SCRIPT_FALSE_RESULT",
    )
    yield CaseSpec(
        "evaluate",
        "clean_stack",
        "two true elements",
        _spend(script(1, 1), ""),
        expect_error="SCRIPT_CLEAN_STACK",
    )


def _boundary_cases_from_mutation(params: ScriptParams) -> Iterator[CaseSpec]:
    """Boundaries that no other vector pinned, found by mutation testing (docs/mutation.md)."""
    most = params.max_pubkeys_per_multisig
    keys = [key(i) for i in range(1, most + 1)]
    yield CaseSpec(
        "evaluate",
        "multisig_key_count_at_maximum",
        f"1-of-{most}: a CHECKMULTISIG with exactly max_pubkeys_per_multisig keys is allowed",
        _spend(
            multisig_script_sig([sig(1)]),
            script(1, *keys, most, Opcode.OP_CHECKMULTISIG),
            valid_signatures=pairs(1),
        ),
    )
    yield CaseSpec(
        "evaluate",
        "nested_else_keeps_outer_block",
        "ELSE flips only the innermost block: the outer IF still needs its own ENDIF",
        _spend(
            "",
            script(1, Opcode.OP_IF, 0, Opcode.OP_IF, Opcode.OP_ELSE, Opcode.OP_ENDIF, Opcode.OP_ENDIF, 1),
        ),
    )
    for opcode, checker in (
        (Opcode.OP_CHECKLOCKTIMEVERIFY, {"max_lock_time": 0}),
        (Opcode.OP_CHECKSEQUENCEVERIFY, {"max_sequence": 0}),
    ):
        yield CaseSpec(
            "evaluate",
            f"{opcode.name.lower()}_zero_operand",
            f"{opcode.name} with operand 0 (the empty element): zero is not negative",
            _spend("", script(0, opcode, Opcode.OP_DROP, 1), **checker),
        )
    for count in (1, MAX_SMALL_INTEGER):
        multisig = script(count, *keys[:count], count, Opcode.OP_CHECKMULTISIG)
        yield CaseSpec(
            "count_sigops",
            f"multisig_{count}_of_{count}_counts_{count}",
            f"OP_{count} before CHECKMULTISIG counts {count} sigops, not the maximum",
            {"script": multisig},
        )
        yield CaseSpec(
            "classify",
            f"multisig_{count}_of_{count}",
            f"OP_{count} is a small integer of the multisig template",
            {"script": multisig},
        )
    yield CaseSpec(
        "multisig_script",
        "one_of_one",
        "1-of-1, the smallest the template builds",
        {"required": 1, "public_keys": [key(1).hex()]},
    )
    yield CaseSpec(
        "null_data_script",
        "payload_at_maximum",
        "a payload of exactly max_element_bytes",
        {"payload": bytes(params.max_element_bytes).hex()},
    )
    yield CaseSpec("encode_number", "minus_2", "-2: the sign bit is or-ed into the last byte", {"value": -2})
    for name, description, parts in (
        (
            "return_then_opcode",
            "OP_RETURN then a non-push opcode is not null data",
            (Opcode.OP_RETURN, Opcode.OP_DUP),
        ),
        (
            "multisig_opcode_among_keys",
            "an opcode where a key should be: not a multisig template",
            (1, key(1), Opcode.OP_DUP, 1, Opcode.OP_CHECKMULTISIG),
        ),
        (
            "multisig_33_byte_key",
            "a 33-byte push where a 32-byte key should be: not a multisig template",
            (1, bytes(33), 1, Opcode.OP_CHECKMULTISIG),
        ),
        (
            "multisig_required_not_small_integer",
            "a key where OP_m should be: not a multisig template",
            (key(1), key(1), 1, Opcode.OP_CHECKMULTISIG),
        ),
    ):
        yield CaseSpec("classify", name, description, {"script": script(*parts)})
    p2pkh = bytes.fromhex(
        script(Opcode.OP_DUP, Opcode.OP_BLAKE3, bytes(32), Opcode.OP_EQUALVERIFY, Opcode.OP_CHECKSIG)
    )
    yield CaseSpec(
        "classify",
        "p2pkh_prefix_wrong_suffix",
        "the P2PKH prefix and length, but OP_NOP in place of OP_CHECKSIG: not P2PKH",
        {"script": (p2pkh[:-1] + bytes([Opcode.OP_NOP])).hex()},
    )
    yield CaseSpec(
        "count_sigops",
        "checksig_then_multisig_adds_up",
        "a CHECKSIG (1) then a 1-of-1 CHECKMULTISIG (1): the counts add up to 2",
        {"script": script(key(1), Opcode.OP_CHECKSIG, Opcode.OP_DROP, 1, key(1), 1, Opcode.OP_CHECKMULTISIG)},
    )
