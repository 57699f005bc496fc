"""Vectors that pin readings of the docs (issue 11): check order, and the alternative readings a
new implementer could take from the docs and still pass the older vectors.

Each case here fixes one decision an implementation written from ``docs/`` alone could get wrong:
an input that breaks two rules at once (so the error code fixes which rule is checked first), or an
input on which a plausible variant of a rule gives another verdict. The table of readings and the
cases that pin them is ``docs/conformance-strength.md``; keep both in step.

The cases are appended to the flows' own generators (``conformance/generators/__init__.py``), so
the flow generators stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from conformance.generators.script import _spend, key, pairs, script, sig
from conformance.generators.trie import _enc, _hp, _items, _proof_hex
from conformance.handlers.ledger import utxos_to_json
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.wallet import key as wallet_key
from conformance.wallet import spend_p2pkh
from spec.chain.block import Block, BlockHeader, encode_block, transactions_root, votes_root
from spec.encoding import decode
from spec.ledger.snapshot import (
    SnapshotManifest,
    chunk_codec,
    chunk_hash,
    chunk_proof,
    encode_chunk,
    make_snapshot,
)
from spec.ledger.state import utxo_state_root
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    coinbase_transaction,
    encode_transaction,
    txid,
)
from spec.ledger.utxo import UtxoEntry, apply_transaction, apply_transactions
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import Preset
from spec.script import Opcode, multisig_script_sig, null_data_script
from spec.trie import RUSTY_TRIE_HASHER, TRIE_HASHERS, Trie, trie_root

# --------------------------------------------------------------------------------------------
# script
# --------------------------------------------------------------------------------------------


def script_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SCRIPT-2..19 readings: multisig matching, NULLFAIL, encoding checks, evaluation order."""
    params = preset.script
    k33 = key(1) + b"\x33"
    yield CaseSpec(
        "evaluate",
        "multisig_unreached_33_byte_key",
        "1-of-2 whose first key has 33 bytes: matching starts at the top key, which matches, so the "
        "33-byte key is never compared and the spend is valid (a CHECKMULTISIG that checks every "
        "key's length first would reject it: a consensus split)",
        _spend(
            script(0, sig(2)), script(1, k33, key(2), 2, Opcode.OP_CHECKMULTISIG), valid_signatures=pairs(2)
        ),
    )
    yield CaseSpec(
        "evaluate",
        "multisig_reached_33_byte_key",
        "1-of-2 whose top key has 33 bytes: it is compared first, so SCRIPT-15 rejects its length",
        _spend(
            script(0, sig(1)), script(1, key(1), k33, 2, Opcode.OP_CHECKMULTISIG), valid_signatures=pairs(1)
        ),
        expect_error="SCRIPT_PUBKEY_ENCODING",
    )
    keys3 = (key(1), key(2), key(3))
    ms3 = script(2, *keys3, 3, Opcode.OP_CHECKMULTISIG)
    yield CaseSpec(
        "evaluate",
        "multisig_early_exit_before_malformed_key",
        "2-of-3, the top signature matches no key: after two failed comparisons two signatures "
        "remain for one key, so matching stops (false, NULLFAIL) before malformed key 1 is compared",
        _spend(
            multisig_script_sig([sig(2), sig(9)]),
            ms3,
            valid_signatures=pairs(1, 2, 3),
            malformed_public_keys=[key(1).hex()],
        ),
        expect_error="SCRIPT_NULLFAIL",
    )
    ms2 = script(2, key(1), key(2), 2, Opcode.OP_CHECKMULTISIG)
    yield CaseSpec(
        "evaluate",
        "multisig_nullfail_uncompared_signature",
        "2-of-2 with signatures [sig_1, empty]: the empty top signature fails, matching stops, sig_1 "
        "is never compared, yet the result is NULLFAIL because a non-empty signature was given",
        _spend(script(0, sig(1), b""), ms2, valid_signatures=pairs(1, 2)),
        expect_error="SCRIPT_NULLFAIL",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_uncompared_short_signature",
        "2-of-2 whose bottom signature has 63 bytes but is never compared (matching stops after "
        "the top one fails): NULLFAIL, not SCRIPT_SIG_ENCODING",
        _spend(script(0, sig(1)[:63], sig(9)), ms2, valid_signatures=pairs(1, 2)),
        expect_error="SCRIPT_NULLFAIL",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_sig_count_before_dummy",
        "m above n and a non-empty dummy: m is checked when it is popped, before the dummy",
        _spend(
            script(1, sig(1), sig(1)),
            script(2, key(1), 1, Opcode.OP_CHECKMULTISIG),
            valid_signatures=pairs(1),
        ),
        expect_error="SCRIPT_SIG_COUNT",
    )
    yield CaseSpec(
        "evaluate",
        "multisig_key_count_before_keys",
        "n = 3 with only one key element on the stack: n is range-checked, then the keys are "
        "popped, so this is a stack underflow",
        _spend(script(0, sig(1)), script(1, key(1), 3, Opcode.OP_CHECKMULTISIG), valid_signatures=pairs(1)),
        expect_error="SCRIPT_STACK_UNDERFLOW",
    )
    yield CaseSpec(
        "evaluate",
        "checksig_short_signature_and_short_key",
        "a 63-byte signature and a 31-byte key: the signature is checked first",
        _spend(script(sig(1)[:63]), script(key(1)[:31], Opcode.OP_CHECKSIG)),
        expect_error="SCRIPT_SIG_ENCODING",
    )
    yield CaseSpec(
        "evaluate",
        "checksig_empty_signature_short_key",
        "the empty signature with a 31-byte key: the key length is checked even for the empty signature",
        _spend(script(b""), script(key(1)[:31], Opcode.OP_CHECKSIG, Opcode.OP_NOTIF, 1, Opcode.OP_ENDIF)),
        expect_error="SCRIPT_PUBKEY_ENCODING",
    )
    yield CaseSpec(
        "evaluate",
        "checksig_empty_signature_skips_checker",
        "the empty signature with a key the checker would reject: the checker is not asked, the "
        "result is false (NOTIF then leaves OP_1)",
        _spend(
            script(b""),
            script(key(1), Opcode.OP_CHECKSIG, Opcode.OP_NOTIF, 1, Opcode.OP_ELSE, 0, Opcode.OP_ENDIF),
            malformed_public_keys=[key(1).hex()],
        ),
    )
    too_many_sigops = script(*([Opcode.OP_CHECKSIG] * (params.max_sigops_per_tx + 1)))
    yield CaseSpec(
        "evaluate",
        "not_push_only_before_sigop_limit",
        "a script_sig with OP_NOP and a script_pubkey over the sigop limit: SCRIPT-8 comes first",
        _spend(script(Opcode.OP_NOP), too_many_sigops),
        expect_error="SCRIPT_SIG_NOT_PUSH_ONLY",
    )
    yield CaseSpec(
        "evaluate",
        "not_push_only_before_pubkey_parse",
        "a script_sig with OP_NOP and an unparseable script_pubkey: the script_sig is parsed and "
        "checked for push-only before the script_pubkey is parsed",
        _spend(script(Opcode.OP_NOP), "05"),
        expect_error="SCRIPT_SIG_NOT_PUSH_ONLY",
    )
    yield CaseSpec(
        "evaluate",
        "sig_parse_before_push_only",
        "a script_sig OP_NOP then a truncated push: the whole script_sig is parsed (SCRIPT-3) before "
        "push-only is checked",
        _spend(script(Opcode.OP_NOP) + "05", "51"),
        expect_error="SCRIPT_TRUNCATED_PUSH",
    )
    yield CaseSpec(
        "evaluate",
        "pubkey_parse_before_sig_runs",
        "a push-only script_sig that overflows the stack when run, and an unparseable script_pubkey: "
        "both scripts are parsed before either runs",
        _spend(script(*([1] * (params.max_stack_items + 1))), "05"),
        expect_error="SCRIPT_TRUNCATED_PUSH",
    )
    yield CaseSpec(
        "evaluate",
        "sigop_limit_before_sig_runs",
        "a script_sig that overflows the stack when run, and a script_pubkey over the sigop limit: "
        "SCRIPT-9 is checked before anything runs",
        _spend(script(*([1] * (params.max_stack_items + 1))), too_many_sigops),
        expect_error="SCRIPT_SIGOP_LIMIT",
    )
    yield CaseSpec(
        "evaluate",
        "not_taken_branch_skips_minimalif",
        "an IF inside a branch not taken pops nothing, so its non-minimal condition is never read",
        _spend(script(b"\x02", 0), script(Opcode.OP_IF, Opcode.OP_IF, Opcode.OP_ENDIF, Opcode.OP_ENDIF, 1)),
        expect_error="SCRIPT_CLEAN_STACK",
    )
    # Parse order (SCRIPT-2..7): per instruction SCRIPT-2..5, then SCRIPT-6, then SCRIPT-7; an IF
    # still open is reported at the end.
    nops = [Opcode.OP_NOP] * params.max_ops
    parse_cases: list[tuple[str, str, str, str]] = [
        (
            "open_if_and_op_count",
            "an IF never closed and one opcode too many: SCRIPT-6 fails at that opcode, before the end",
            script(Opcode.OP_IF, *nops),
            "SCRIPT_OP_COUNT",
        ),
        (
            "stray_else_before_op_count",
            "an ELSE without IF first, then one opcode too many: the first broken rule in reading order",
            script(Opcode.OP_ELSE, *nops),
            "SCRIPT_UNBALANCED_CONDITIONAL",
        ),
        (
            "op_count_and_stray_endif_same_item",
            "the opcode over the limit is an ENDIF without IF: SCRIPT-6 before SCRIPT-7 on one instruction",
            script(*nops, Opcode.OP_ENDIF),
            "SCRIPT_OP_COUNT",
        ),
        (
            "truncated_and_non_minimal",
            "PUSHDATA1 announcing 5 bytes with 2 left (also non-minimal): SCRIPT-3 before SCRIPT-4",
            "4c050102",
            "SCRIPT_TRUNCATED_PUSH",
        ),
        (
            "non_minimal_and_oversize",
            "PUSHDATA4 of max_element_bytes + 1 bytes (non-minimal and too long): SCRIPT-4 before SCRIPT-5",
            "4e"
            + (params.max_element_bytes + 1).to_bytes(4, "little").hex()
            + "00" * (params.max_element_bytes + 1),
            "SCRIPT_NON_MINIMAL_PUSH",
        ),
        (
            "bad_opcode_after_open_if",
            "an IF never closed, then byte 0x50: SCRIPT-2 fails while reading, before the end",
            "6350",
            "SCRIPT_BAD_OPCODE",
        ),
    ]
    for name, description, hex_script, code in parse_cases:
        yield CaseSpec("parse", name, description, {"script": hex_script}, expect_error=code)
    yield CaseSpec(
        "decode_number",
        "overflow_and_non_minimal",
        "six zero bytes (too long and not minimal): the length is checked first",
        {"element": "00" * 6},
        expect_error="SCRIPT_NUMBER_OVERFLOW",
    )
    # classify: null_data is OP_RETURN followed by any number (zero or more) of pushes.
    classify = {
        "op_return_two_pushes": script(Opcode.OP_RETURN, b"ab", b"cd"),
        "op_return_small_integer": script(Opcode.OP_RETURN, 1),
        "op_return_empty_push": script(Opcode.OP_RETURN, 0),
        "op_return_max_payload": null_data_script(bytes(params.max_element_bytes), params).hex(),
        "op_return_push_then_nop": script(Opcode.OP_RETURN, b"ab", Opcode.OP_NOP),
        "op_return_not_first": script(b"ab", Opcode.OP_RETURN),
        "multisig_m_above_n": script(3, key(1), key(2), 2, Opcode.OP_CHECKMULTISIG),
        "multisig_zero_of_one": script(0, key(1), 1, Opcode.OP_CHECKMULTISIG),
        "multisig_key_one_byte_too_long": script(1, key(1) + b"\x00", 1, Opcode.OP_CHECKMULTISIG),
        "p2pkh_31_byte_hash": "76aa1f" + "00" * 31 + "88ac",
    }
    for name, hex_script in classify.items():
        yield CaseSpec("classify", name, f"template of {name.replace('_', ' ')}", {"script": hex_script})
    for value in (2**39 - 1, -(2**39 - 1), 2**63 - 1, -(2**63 - 1)):
        sign = "minus_" if value < 0 else ""
        yield CaseSpec(
            "encode_number",
            f"range_{sign}{abs(value).bit_length()}_bits",
            f"encode_number of {value}: every 64-bit signed value encodes",
            {"value": value},
        )


# --------------------------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------------------------


def encoding_cases(preset: Preset) -> Iterator[CaseSpec]:
    """ENC-1..3 readings: overlong varints of any length, value errors before trailing bytes,
    maxima taken from the type expression (never the preset)."""
    decode_cases: list[tuple[str, str, str, str, str | None]] = [
        (
            "varint_one_overlong_3_bytes",
            "1 written in three bytes",
            "varint",
            "818000",
            "DECODE_NONCANONICAL_VARINT",
        ),
        (
            "varint_zero_overlong_3_bytes",
            "0 written in three bytes",
            "varint",
            "808000",
            "DECODE_NONCANONICAL_VARINT",
        ),
        (
            "varint_overlong_10_bytes",
            "1 written in ten bytes",
            "varint",
            "81" + "80" * 8 + "00",
            "DECODE_NONCANONICAL_VARINT",
        ),
        (
            "varint_overlong_last_group_nonzero_middle",
            "three bytes whose last group is zero but a middle group is not: still overlong",
            "varint",
            "808100",
            "DECODE_NONCANONICAL_VARINT",
        ),
        (
            "bool_two_then_trailing",
            "a bad bool then a trailing byte: the value error comes first",
            "bool",
            "0200",
            "DECODE_INVALID_BOOL",
        ),
        (
            "option_bad_tag_then_trailing",
            "a bad option tag then a trailing byte: the value error comes first",
            "option(u8)",
            "0200",
            "DECODE_INVALID_TAG",
        ),
        (
            "varint_overlong_then_trailing",
            "an overlong varint then a trailing byte: the value error comes first",
            "varint",
            "810000",
            "DECODE_NONCANONICAL_VARINT",
        ),
        (
            "length_limit_before_truncation",
            "bytes(3) announcing 4 bytes with none present: the limit is checked before reading",
            "bytes(3)",
            "04",
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "list_limit_before_items",
            "list(u8, 2) announcing 3 items with a bad trailing tail: the count limit comes first",
            "list(u8, 2)",
            "03",
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "type_max_below_preset_max",
            "bytes(2) with 3 bytes: the type's maximum applies (the preset's is far larger)",
            "bytes(2)",
            "03aabbcc",
            "DECODE_LENGTH_LIMIT",
        ),
        (
            "whitespace_in_type",
            "a type expression with spaces around its tokens",
            " list ( u8 , 3 ) ",
            "020102",
            None,
        ),
    ]
    above_preset = preset.encoding.max_bytes_field + 1
    if above_preset <= 100_000:  # a megabyte-sized vector would say nothing more
        decode_cases.append(
            (
                "type_max_above_preset_max",
                "bytes above the preset max_bytes_field under a type that allows them: accepted",
                f"bytes({above_preset})",
                _varint(above_preset).hex() + "00" * above_preset,
                None,
            )
        )
    for name, description, type_text, data, code in decode_cases:
        yield CaseSpec("decode", name, description, {"type": type_text, "bytes": data}, expect_error=code)
    yield CaseSpec(
        "encode",
        "u64_minus_one",
        "-1 is outside u64",
        {"type": "u64", "value": -1},
        expect_error="ENCODE_OUT_OF_RANGE",
    )
    yield CaseSpec(
        "encode",
        "u64_2_pow_53_plus_1",
        "an integer beyond 2**53 (a decimal string in JSON)",
        {"type": "u64", "value": 2**53 + 1},
    )


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        group = value & 0x7F
        value >>= 7
        if value:
            out.append(group | 0x80)
        else:
            out.append(group)
            return bytes(out)


# --------------------------------------------------------------------------------------------
# trie
# --------------------------------------------------------------------------------------------


def trie_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MPT-7/8/12 readings: field order inside a node, later puts win, verify_claim's order."""
    bad_ref = b"\x01\x02\x03\x04\x05"
    hash_a = seeded_bytes("strength/trie/hash/a", 32)
    decode_cases: list[tuple[str, str, object, str | None]] = [
        (
            "branch_bad_child_and_list_value",
            "a branch whose slot 0 holds a 5-byte reference and whose value is a list: children "
            "(slot 0 to 15) are read before the value",
            [bad_ref, hash_a, *([b""] * 14), [b"x"]],
            "TRIE_DECODE_CHILD_REF",
        ),
        (
            "branch_list_value_one_occupant",
            "a branch with one child and a list value: the value's shape is checked before occupancy",
            [hash_a, *([b""] * 15), [b"x"]],
            "TRIE_DECODE_NODE_SHAPE",
        ),
        (
            "branch_late_bad_child",
            "a branch whose slot 15 holds a 5-byte reference and that has one occupant otherwise: "
            "every child is read before occupancy is counted",
            [hash_a, *([b""] * 14), bad_ref, b""],
            "TRIE_DECODE_CHILD_REF",
        ),
        (
            "extension_empty_path_bad_child",
            "an extension with an empty path and a 5-byte child: the path is checked before the child",
            [_hp([], False), bad_ref],
            "TRIE_DECODE_NONCANONICAL_NODE",
        ),
        (
            "extension_bad_flag_bad_child",
            "a path with flag nibble 4 and a 5-byte child: the hex-prefix is decoded first",
            [b"\x40", bad_ref],
            "TRIE_DECODE_HEX_PREFIX",
        ),
        (
            "leaf_bad_padding_empty_value",
            "a leaf path with a nonzero padding nibble and the empty value: the path comes first",
            [b"\x21", b""],
            "TRIE_DECODE_HEX_PREFIX",
        ),
        (
            "leaf_list_path_empty_value",
            "a two-item node whose path is a list: shape before anything else",
            [[b"\x20"], b""],
            "TRIE_DECODE_NODE_SHAPE",
        ),
    ]
    for name, description, item, code in decode_cases:
        yield CaseSpec("decode_node", name, description, {"bytes": _enc(item).hex()}, expect_error=code)

    for hasher_name, hasher in sorted(TRIE_HASHERS.items()):
        k = b"\x12\x34"
        ops: list[JSON] = [["put", k.hex(), "aa"], ["put", "1235", "bb"], ["put", k.hex(), "cc"]]
        yield CaseSpec(
            "apply",
            f"{hasher_name}_put_same_key_twice",
            "a later put of a key replaces its value (the root is that of the last values)",
            {"hasher": hasher_name, "operations": ops},
            known_output={"root": trie_root({k: b"\xcc", b"\x12\x35": b"\xbb"}, hasher).hex()},
        )

    items = _items("proof", 40)
    trie = Trie.from_items(items, RUSTY_TRIE_HASHER)
    present = sorted(items)[7]
    proof = _proof_hex(trie, present)
    broken = [proof[0][:-2] + ("00" if proof[0][-2:] != "00" else "01"), *proof[1:]]
    base: dict[str, JSON] = {"hasher": "rusty", "root": trie.root_hash.hex(), "key": present.hex()}
    claims: list[tuple[str, str, JSON, list[str], str | None]] = [
        (
            "empty_value_broken_proof",
            "the empty value with a tampered proof: the empty value is rejected before the proof is read",
            "",
            broken,
            "TRIE_EMPTY_VALUE",
        ),
        (
            "wrong_value_broken_proof",
            "a wrong value with a tampered proof: the proof is verified before values are compared",
            (items[present] + b"!").hex(),
            broken,
            "TRIE_PROOF_HASH_MISMATCH",
        ),
        (
            "absence_broken_proof",
            "an absence claim for a present key with a tampered proof: the proof first",
            None,
            broken,
            "TRIE_PROOF_HASH_MISMATCH",
        ),
        (
            "wrong_value_extra_node",
            "a wrong value with one node too many in the proof: TRIE_PROOF_UNUSED_NODE first",
            (items[present] + b"!").hex(),
            [*proof, proof[0]],
            "TRIE_PROOF_UNUSED_NODE",
        ),
    ]
    for name, description, value, nodes, code in claims:
        yield CaseSpec(
            "verify_claim",
            f"rusty_{name}",
            description,
            {**base, "value": value, "proof": list(nodes)},
            expect_error=code,
        )


# --------------------------------------------------------------------------------------------
# ledger
# --------------------------------------------------------------------------------------------

MTP = 1_700_000_000


def _tx_hex(tx: Transaction, preset: Preset) -> str:
    return encode_transaction(tx, preset).hex()


def ledger_cases(preset: Preset) -> Iterator[CaseSpec]:
    """TX-3/TX-8 sizes and value ranges, UTXO-2 undo, SNAP-1..4 assembly, MEMPOOL-1..3 codes, and
    check order where two rules break at once."""
    alice, bob, carol = wallet_key("alice"), wallet_key("bob"), wallet_key("carol")
    maturity = preset.ledger.coinbase_maturity
    max_money = preset.ledger.max_money
    cb = coinbase_transaction(0, [TxOutput(100_000, k.script_pubkey) for k in (alice, bob, carol)])
    utxos, _ = apply_transaction({}, cb, 0, preset)
    coins = [OutPoint(txid(cb, preset), i) for i in range(3)]
    context: dict[str, JSON] = {"utxos": utxos_to_json(utxos), "height": maturity, "median_time_past": MTP}
    good = spend_p2pkh(utxos, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset)

    def validate(case: str, description: str, tx: Transaction, error: str | None, **extra: JSON) -> CaseSpec:
        return CaseSpec(
            "validate_transaction",
            case,
            description,
            {**context, "transaction": _tx_hex(tx, preset), **extra},
            expect_error=error,
        )

    limit = preset.ledger.max_transaction_bytes
    base_size = len(encode_transaction(replace(good, outputs=(TxOutput(1, b""),)), preset))
    filler = limit - base_size + 1
    big_script = b"\x6a" + bytes(filler + 8)  # a few bytes more for the longer length prefix
    too_large = replace(good, outputs=(TxOutput(1, big_script),))
    yield validate("too_large", "TX-3: one byte over max_transaction_bytes", too_large, "TX_TOO_LARGE")
    at_limit_script = big_script[: len(big_script) - (len(encode_transaction(too_large, preset)) - limit)]
    at_limit = spend_p2pkh(utxos, coins[:1], [alice], [TxOutput(90_000, at_limit_script)], preset)
    if len(encode_transaction(at_limit, preset)) == limit:
        yield validate("size_at_limit", "TX-3: exactly max_transaction_bytes is valid", at_limit, None)
    yield validate(
        "too_large_and_output_above_max_money",
        "TX-3 and TX-4 broken at once: the size is checked first",
        replace(too_large, outputs=(TxOutput(max_money + 1, big_script),)),
        "TX_TOO_LARGE",
    )
    count = preset.ledger.max_inputs_plus_outputs
    wide_script = b"\x6a" + bytes(limit // count + 1)
    yield validate(
        "too_many_outputs_and_too_large",
        "TX-2 count and TX-3 size broken at once: the count is checked first",
        replace(good, outputs=(TxOutput(1, wide_script),) * count),
        "TX_TOO_MANY_INPUTS_OUTPUTS",
    )
    yield validate(
        "output_above_max_money_and_duplicate_input",
        "TX-4 and TX-5 broken at once: output values first",
        replace(good, inputs=good.inputs * 2, outputs=(TxOutput(max_money + 1, b""),)),
        "TX_OUTPUT_VALUE_OUT_OF_RANGE",
    )
    yield validate(
        "outputs_sum_above_max_money",
        "TX-4: two outputs each within max_money whose sum is not",
        replace(good, outputs=(TxOutput(max_money, b""), TxOutput(1, b""))),
        "TX_OUTPUT_VALUE_OUT_OF_RANGE",
    )
    rich = {coins[0]: replace(utxos[coins[0]], output=TxOutput(max_money + 1, alice.script_pubkey))}
    rich_spend = spend_p2pkh(rich, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset)
    yield CaseSpec(
        "validate_transaction",
        "input_above_max_money",
        "TX-8: a spent entry worth max_money + 1 (an integer beyond 2**53)",
        {
            "utxos": utxos_to_json(rich),
            "height": maturity,
            "median_time_past": MTP,
            "transaction": _tx_hex(rich_spend, preset),
        },
        expect_error="TX_INPUT_VALUE_OUT_OF_RANGE",
    )
    half = max_money // 2 + 1
    halves = {
        coins[0]: replace(utxos[coins[0]], output=TxOutput(half, alice.script_pubkey)),
        coins[1]: replace(utxos[coins[1]], output=TxOutput(half, bob.script_pubkey)),
    }
    halves_spend = spend_p2pkh(halves, coins[:2], [alice, bob], [TxOutput(90_000, bob.script_pubkey)], preset)
    yield CaseSpec(
        "validate_transaction",
        "inputs_sum_above_max_money",
        "TX-8: two spent entries within max_money whose sum is not",
        {
            "utxos": utxos_to_json(halves),
            "height": maturity,
            "median_time_past": MTP,
            "transaction": _tx_hex(halves_spend, preset),
        },
        expect_error="TX_INPUT_VALUE_OUT_OF_RANGE",
    )
    yield CaseSpec(
        "validate_transaction",
        "immature_before_input_value",
        "an immature coinbase entry worth max_money + 1: maturity is checked per input before its value",
        {
            "utxos": utxos_to_json(rich),
            "height": maturity - 1,
            "median_time_past": MTP,
            "transaction": _tx_hex(rich_spend, preset),
        },
        expect_error="TX_IMMATURE_COINBASE_SPEND",
    )
    yield validate(
        "insufficient_value_and_not_final",
        "TX-9 and TX-10 broken at once: values are checked before lock time",
        spend_p2pkh(
            utxos,
            coins[:1],
            [alice],
            [TxOutput(100_001, bob.script_pubkey)],
            preset,
            lock_time=maturity,
            sequence=0,
        ),
        "TX_INSUFFICIENT_INPUT_VALUE",
    )
    yield validate(
        "not_final_and_bad_signature",
        "TX-10 and TX-12 broken at once: lock time before scripts",
        replace(
            spend_p2pkh(
                utxos,
                coins[:1],
                [alice],
                [TxOutput(90_000, bob.script_pubkey)],
                preset,
                lock_time=maturity,
                sequence=0,
            ),
            outputs=(TxOutput(89_000, bob.script_pubkey),),
        ),
        "TX_NOT_FINAL",
    )

    # UTXO-2: undo.
    after, undos = apply_transactions(utxos, [good], maturity, preset)
    undo_json: list[JSON] = [utxos_to_json(dict(u.spent)) for u in undos]
    undo_base: dict[str, JSON] = {"transactions": [_tx_hex(good, preset)], "height": maturity}
    yield CaseSpec(
        "undo_transactions",
        "one_spend",
        "UTXO-2: undoing a spend restores the set before it",
        {**undo_base, "utxos": utxos_to_json(after), "undo": undo_json},
        known_output={"utxos": utxos_to_json(utxos), "state_root": utxo_state_root(utxos, preset).hex()},
    )
    yield CaseSpec(
        "undo_transactions",
        "created_output_missing",
        "UTXO-2: the set does not hold the output the transaction created",
        {**undo_base, "utxos": utxos_to_json(utxos), "undo": undo_json},
        expect_error="TX_UNDO_MISMATCH",
    )
    yield CaseSpec(
        "undo_transactions",
        "wrong_inputs",
        "UTXO-2: the undo record lists another outpoint than the input",
        {**undo_base, "utxos": utxos_to_json(after), "undo": [utxos_to_json({coins[1]: utxos[coins[1]]})]},
        expect_error="TX_UNDO_MISMATCH",
    )
    yield CaseSpec(
        "undo_transactions",
        "spent_output_present",
        "UTXO-2: the output to restore is already in the set",
        {**undo_base, "utxos": utxos_to_json({**after, coins[0]: utxos[coins[0]]}), "undo": undo_json},
        expect_error="TX_UNDO_MISMATCH",
    )
    yield CaseSpec(
        "undo_transactions",
        "record_count",
        "UTXO-3: one undo record per transaction",
        {**undo_base, "utxos": utxos_to_json(after), "undo": []},
        expect_error="TX_UNDO_MISMATCH",
    )

    yield from _snapshot_cases(preset)
    yield from _mempool_cases(preset, context, utxos, coins, good)


def _manifest_json(manifest: SnapshotManifest) -> dict[str, JSON]:
    return {
        "height": manifest.height,
        "state_root": manifest.state_root.hex(),
        "entry_count": manifest.entry_count,
        "chunk_count": manifest.chunk_count,
        "chunk_root": manifest.chunk_root.hex(),
    }


def _snapshot_cases(preset: Preset) -> Iterator[CaseSpec]:
    size = preset.snapshot.chunk_entries
    if size > 64:  # vectors of thousands of entries would say nothing more: small-chunk presets only
        return
    count = 2 * size + 3  # three chunks, the last one short
    owner = wallet_key("snapshot")
    many_cb = coinbase_transaction(0, [TxOutput(1_000 + i, owner.script_pubkey) for i in range(count)])
    many, _ = apply_transaction({}, many_cb, 0, preset)
    manifest, chunks = make_snapshot(many, 7, preset)

    def parts(order: list[int], encoded: tuple[bytes, ...] = chunks) -> list[JSON]:
        return [
            {"index": i, "chunk": encoded[i].hex(), "proof": [h.hex() for h in chunk_proof(encoded, i)]}
            for i in order
        ]

    every = list(range(manifest.chunk_count))
    yield CaseSpec(
        "assemble_snapshot",
        "all_chunks",
        "SNAP-4: every chunk in order rebuilds the set",
        {"manifest": _manifest_json(manifest), "chunks": parts(every)},
        known_output={"utxos": utxos_to_json(many), "state_root": manifest.state_root.hex()},
    )
    yield CaseSpec(
        "assemble_snapshot",
        "missing_chunk",
        "SNAP-4: the last chunk is missing",
        {"manifest": _manifest_json(manifest), "chunks": parts(every[:-1])},
        expect_error="SNAPSHOT_INCOMPLETE",
    )
    yield CaseSpec(
        "assemble_snapshot",
        "chunks_out_of_order",
        "SNAP-4: chunks 1 and 0 swapped (each verifies alone)",
        {"manifest": _manifest_json(manifest), "chunks": parts([1, 0, *every[2:]])},
        expect_error="SNAPSHOT_INCOMPLETE",
    )
    wrong_root = replace(manifest, state_root=seeded_bytes("strength/snapshot/root", 32))
    yield CaseSpec(
        "assemble_snapshot",
        "state_root_mismatch",
        "SNAP-4: chunks match the chunk root but the manifest's state root is another",
        {"manifest": _manifest_json(wrong_root), "chunks": parts(every)},
        expect_error="SNAPSHOT_STATE_ROOT_MISMATCH",
    )
    wrong_count = replace(manifest, entry_count=manifest.entry_count + 1)
    last = manifest.chunk_count - 1
    yield CaseSpec(
        "verify_chunk",
        "entry_count_off_by_one",
        "SNAP-2: the manifest announces one more entry than the last chunk holds",
        {"manifest": _manifest_json(wrong_count), **parts([last])[0]},  # type: ignore[dict-item]
        expect_error="SNAPSHOT_CHUNK_SIZE",
    )
    # A snapshot maker that wrote chunk 0 in descending order: the manifest commits to it.
    decoded = [decode(chunk_codec(preset), c) for c in chunks]
    reversed_first = replace(decoded[0], entries=tuple(reversed(decoded[0].entries)))
    bad_chunks = (encode_chunk(reversed_first, preset), *chunks[1:])
    bad_manifest = replace(manifest, chunk_root=merkle_root([chunk_hash(c) for c in bad_chunks]))
    yield CaseSpec(
        "verify_chunk",
        "entries_descending",
        "SNAP-2: a committed chunk whose outpoints are not ascending",
        {"manifest": _manifest_json(bad_manifest), **parts([0], bad_chunks)[0]},  # type: ignore[dict-item]
        expect_error="SNAPSHOT_ORDER",
    )
    # Chunks each ascending, but chunk 1 starts below chunk 0's end: caught when assembling.
    swapped = (chunks[0][:4] + chunks[1][4:], chunks[1][:4] + chunks[0][4:], *chunks[2:])
    swapped_manifest = replace(manifest, chunk_root=merkle_root([chunk_hash(c) for c in swapped]))
    yield CaseSpec(
        "assemble_snapshot",
        "order_across_chunks",
        "SNAP-4: chunk 0 holds the second run of entries and chunk 1 the first (each ascending alone)",
        {"manifest": _manifest_json(swapped_manifest), "chunks": parts(every, swapped)},
        expect_error="SNAPSHOT_ORDER",
    )


def _mempool_cases(
    preset: Preset,
    context: dict[str, JSON],
    utxos: dict[OutPoint, UtxoEntry],
    coins: list[OutPoint],
    good: Transaction,
) -> Iterator[CaseSpec]:
    alice, bob = wallet_key("alice"), wallet_key("bob")
    dust = preset.mempool.dust_limit
    dusty = spend_p2pkh(
        utxos,
        coins[:1],
        [alice],
        [TxOutput(90_000, bob.script_pubkey), TxOutput(dust - 1, alice.script_pubkey)],
        preset,
    )
    at_dust = spend_p2pkh(
        utxos,
        coins[1:2],
        [bob],
        [TxOutput(90_000, bob.script_pubkey), TxOutput(dust, alice.script_pubkey)],
        preset,
    )
    data_zero = spend_p2pkh(
        utxos,
        coins[2:3],
        [wallet_key("carol")],
        [TxOutput(90_000, bob.script_pubkey), TxOutput(0, null_data_script(b"ok", preset.script))],
        preset,
    )
    yield CaseSpec(
        "mempool_sequence",
        "duplicate_and_dust",
        "MEMPOOL-1: the same transaction twice (MEMPOOL_DUPLICATE), an output below the dust limit, "
        "one at the limit, and a zero-value null-data output (exempt)",
        {
            **context,
            "template_bytes": 100_000,
            "transactions": [_tx_hex(t, preset) for t in (good, good, dusty, at_dust, data_zero)],
        },
    )
    low_fee_dust = spend_p2pkh(
        utxos,
        coins[:1],
        [alice],
        [TxOutput(100_000 - 1, bob.script_pubkey), TxOutput(1, alice.script_pubkey)],
        preset,
    )
    yield CaseSpec(
        "mempool_sequence",
        "fee_before_dust",
        "MEMPOOL-1: a fee rate too low and a dust output at once: the fee rate is checked first",
        {**context, "template_bytes": 100_000, "transactions": [_tx_hex(low_fee_dust, preset)]},
    )
    yield from _mempool_full_case(preset, context)


def _mempool_full_case(preset: Preset, context: dict[str, JSON]) -> Iterator[CaseSpec]:
    """MEMPOOL-3: a pool filled with large transactions; a newcomer with the lowest fee rate is evicted
    at once (MEMPOOL_FULL). Only under presets whose pool holds a few dozen large transactions."""
    limit = preset.mempool.max_mempool_bytes
    tx_bytes = preset.ledger.max_transaction_bytes - 1_000
    count = limit // tx_bytes + 2
    if count > 20:
        return
    owner = wallet_key("mempool-full")
    coin_value = 10 * tx_bytes
    funding = coinbase_transaction(0, [TxOutput(coin_value, owner.script_pubkey) for _ in range(count)])
    funds, _ = apply_transaction({}, funding, 0, preset)
    funding_id = txid(funding, preset)
    transactions: list[str] = []
    for i in range(count):
        rate = 3 if i < count - 1 else 2
        payload = b"\x6a" + bytes(tx_bytes - 200)
        coin = OutPoint(funding_id, i)
        probe = spend_p2pkh(funds, [coin], [owner], [TxOutput(1, payload)], preset)
        fee = rate * len(encode_transaction(probe, preset))
        tx = spend_p2pkh(funds, [coin], [owner], [TxOutput(coin_value - fee, payload)], preset)
        transactions.append(_tx_hex(tx, preset))
    yield CaseSpec(
        "mempool_sequence",
        "full_pool_evicts_newcomer",
        "MEMPOOL-3: large transactions at 3 atoms/byte fill the pool; the last, at 2 atoms/byte, "
        "would be the first evicted, so it is refused with MEMPOOL_FULL",
        {
            "utxos": utxos_to_json(funds),
            "height": context["height"],
            "median_time_past": MTP,
            "template_bytes": preset.chain.max_block_bytes,
            "transactions": transactions,
        },
    )


# --------------------------------------------------------------------------------------------
# chain
# --------------------------------------------------------------------------------------------


def chain_cases(preset: Preset) -> Iterator[CaseSpec]:
    """BLK-1: a block over max_block_bytes, alone and with a second broken rule.

    Each of these vectors holds a block of more than 4 MB (8 MB of hex), so they are written for
    devnet only; ``max_block_bytes`` is the same on every preset.
    """
    if preset.name != "devnet":
        return
    owner = wallet_key("big-block")
    filler = b"\x6a" + bytes(preset.ledger.max_transaction_bytes - 1_000)
    big = Transaction(1, (TxInput(OutPoint(bytes(32), 0), b"", SEQUENCE_FINAL),), (TxOutput(1, filler),), 0)
    count = preset.chain.max_block_bytes // len(encode_transaction(big, preset)) + 1
    cb = coinbase_transaction(0, [TxOutput(1, owner.script_pubkey)])
    transactions = (cb, *(replace(big, lock_time=i) for i in range(count)))
    header = BlockHeader(
        version=1,
        height=0,
        previous_block_hash=bytes(32),
        merkle_root=transactions_root(transactions, preset),
        votes_root=votes_root((), preset),
        state_root=bytes(32),
        timestamp=preset.chain.genesis_timestamp,
        bits=preset.chain.pow_limit_bits,
        nonce=0,
    )
    block = Block(header, (), transactions)
    yield CaseSpec(
        "apply_blocks",
        "block_too_large",
        "BLK-1: a block one transaction over max_block_bytes (checked before the coinbase and PoW)",
        {"blocks": [encode_block(block, preset).hex()]},
        expect_error="BLK_TOO_LARGE",
    )
    no_coinbase = Block(header, (), transactions[1:] + transactions[1:2])
    yield CaseSpec(
        "apply_blocks",
        "too_large_without_coinbase",
        "BLK-1 size and BLK-2 coinbase broken at once: the size is checked first",
        {"blocks": [encode_block(no_coinbase, preset).hex()]},
        expect_error="BLK_TOO_LARGE",
    )
    yield CaseSpec(
        "apply_blocks",
        "version_before_size",
        "HDR-1 version and BLK-1 size broken at once: the header version is checked first",
        {"blocks": [encode_block(replace(block, header=replace(header, version=2)), preset).hex()]},
        expect_error="HDR_UNSUPPORTED_VERSION",
    )


def ticket_price_cases(preset: Preset) -> Iterator[CaseSpec]:
    """POS-5: ``//`` is floor division (toward minus infinity), also for a negative numerator."""
    params = preset.tickets
    target = params.target_pool_size
    price = params.initial_ticket_price + 7
    for live, name in ((target - 1, "floor_one_below_target"), (0, "floor_empty_pool")):
        numerator = price * (live - target)
        floor = price + numerator // (20 * target)
        truncated = price + int(numerator / (20 * target)) if numerator % (20 * target) else floor
        if floor == truncated:
            continue
        expected = max(params.min_ticket_price, min(params.max_ticket_price, floor))
        yield CaseSpec(
            "ticket_price",
            name,
            f"POS-5 with live = {live} below the target: price * (live - target) is negative and is "
            f"divided rounding down ({floor}), not toward zero ({truncated})",
            {"height": params.price_interval, "price": price, "live_count": live},
            known_output={"price": expected},
        )


# --------------------------------------------------------------------------------------------
# merkle
# --------------------------------------------------------------------------------------------


def merkle_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MERKLE-4's order: empty tree, index range, proof length, then the root; two broken at once."""
    leaves = [seeded_bytes(f"strength/merkle/leaf/{i}", 5) for i in range(5)]
    root = merkle_root(leaves).hex()
    proof = [h.hex() for h in inclusion_proof(leaves, 4)]
    wrong_root = seeded_bytes("strength/merkle/root", 32).hex()
    cases: list[tuple[str, str, dict[str, JSON], str]] = [
        (
            "zero_count_and_index",
            "count 0 and index 0 (not below the count): the empty tree is reported first",
            {"leaf": leaves[0].hex(), "index": 0, "count": 0, "proof": [], "root": root},
            "MERKLE_EMPTY_TREE",
        ),
        (
            "index_past_end_and_long_proof",
            "index 5 of 5 and a proof of the wrong length: the index first",
            {"leaf": leaves[4].hex(), "index": 5, "count": 5, "proof": proof * 3, "root": root},
            "MERKLE_INDEX_OUT_OF_RANGE",
        ),
        (
            "length_before_root",
            "leaf 4 of 5 (one sibling) given two siblings and a wrong root: the length first",
            {"leaf": leaves[4].hex(), "index": 4, "count": 5, "proof": proof * 2, "root": wrong_root},
            "MERKLE_PROOF_LENGTH",
        ),
        (
            "right_edge_short_proof",
            "leaf 4 of 5 has a proof of one hash (not ceil(log2 5) = 3): the right proof, wrong root",
            {"leaf": leaves[4].hex(), "index": 4, "count": 5, "proof": proof, "root": wrong_root},
            "MERKLE_ROOT_MISMATCH",
        ),
    ]
    for name, description, data, code in cases:
        yield CaseSpec("verify_proof", name, description, data, expect_error=code)
    yield CaseSpec(
        "proof",
        "right_edge_leaf",
        "the proof of leaf 4 of 5: one sibling hash (the root of leaves 0..3)",
        {"leaves": [leaf.hex() for leaf in leaves], "index": 4},
        known_output={"proof": [merkle_root(leaves[:4]).hex()]},
    )
