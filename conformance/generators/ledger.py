"""Vectors of the ``ledger`` flow: transactions, validation (one case per rule), UTXO transition,
state roots, snapshots and mempool sequences. Every transaction is signed by the deterministic
wallet (conformance/wallet.py), so vectors are the same on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from conformance.handlers.ledger import utxos_to_json
from conformance.model import JSON, CaseSpec
from conformance.wallet import key, sign_input, sign_transaction, spend_p2pkh
from spec.ledger.snapshot import chunk_proof, make_snapshot
from spec.ledger.state import encode_outpoint
from spec.ledger.state_snapshot import StateSnapshotManifest, make_state_snapshot
from spec.ledger.transaction import (
    NULL_OUTPOINT,
    SEQUENCE_FINAL,
    TRANSACTION_VERSION,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    coinbase_transaction,
    encode_transaction,
    txid,
)
from spec.ledger.utxo import apply_transaction
from spec.presets import Preset
from spec.script import Opcode, null_data_script

MTP = 1_700_000_000


def _hex(tx: Transaction, preset: Preset) -> str:
    return encode_transaction(tx, preset).hex()


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """Ledger vectors for one preset."""
    alice, bob, carol = key("alice"), key("bob"), key("carol")
    maturity = preset.ledger.coinbase_maturity
    cb = coinbase_transaction(0, [TxOutput(100_000, k.script_pubkey) for k in (alice, bob, carol)])
    utxos, _ = apply_transaction({}, cb, 0, preset)
    cb_id = txid(cb, preset)
    coins = [OutPoint(cb_id, i) for i in range(3)]
    base_json = utxos_to_json(utxos)
    context: dict[str, JSON] = {"utxos": base_json, "height": maturity, "median_time_past": MTP}

    good = spend_p2pkh(utxos, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset)
    yield from _decode_cases(good, cb, preset)
    yield CaseSpec(
        "signature_hash",
        "p2pkh_input",
        "TXF-5 signature hash of a P2PKH input",
        {
            "transaction": _hex(good, preset),
            "input_index": 0,
            "spent_value": 100_000,
            "spent_script_pubkey": alice.script_pubkey.hex(),
        },
    )

    def validate(
        case: str, description: str, tx: Transaction, error: str | None = None, **extra: JSON
    ) -> CaseSpec:
        return CaseSpec(
            "validate_transaction",
            case,
            description,
            {**context, "transaction": _hex(tx, preset), **extra},
            expect_error=error,
        )

    yield validate("p2pkh_valid", "a valid P2PKH spend paying a 10,000-atom fee", good)
    two_in = spend_p2pkh(
        utxos,
        coins[:2],
        [alice, bob],
        [TxOutput(150_000, carol.script_pubkey), TxOutput(40_000, alice.script_pubkey)],
        preset,
    )
    yield validate("two_inputs_two_outputs", "two signers, two outputs", two_in)
    data_out = spend_p2pkh(
        utxos,
        coins[:1],
        [alice],
        [TxOutput(90_000, bob.script_pubkey), TxOutput(0, null_data_script(b"rusty", preset.script))],
        preset,
    )
    yield validate("with_op_return", "an OP_RETURN data output worth 0", data_out)
    yield validate("version_2", "TX-1", replace(good, version=2), "TX_UNSUPPORTED_VERSION")
    yield validate("no_outputs", "TX-2", replace(good, outputs=()), "TX_EMPTY_INPUTS_OR_OUTPUTS")
    yield validate(
        "too_many_outputs",
        "TX-2",
        replace(good, outputs=(TxOutput(1, b""),) * preset.ledger.max_inputs_plus_outputs),
        "TX_TOO_MANY_INPUTS_OUTPUTS",
    )
    yield validate(
        "output_above_max_money",
        "TX-4",
        replace(good, outputs=(TxOutput(preset.ledger.max_money + 1, b""),)),
        "TX_OUTPUT_VALUE_OUT_OF_RANGE",
    )
    yield validate("duplicate_input", "TX-5", replace(good, inputs=good.inputs * 2), "TX_DUPLICATE_INPUT")
    yield validate(
        "null_outpoint_in_spend",
        "TX-6",
        replace(good, inputs=(*good.inputs, TxInput(NULL_OUTPOINT, b"", 0))),
        "TX_BAD_COINBASE",
    )
    yield validate("coinbase_outside_block", "a coinbase is never valid alone", cb, "TX_UNEXPECTED_COINBASE")
    missing = spend_p2pkh(
        {**utxos, OutPoint(bytes(32), 9): utxos[coins[0]]},
        [OutPoint(bytes(32), 9)],
        [alice],
        [TxOutput(1_000, bob.script_pubkey)],
        preset,
    )
    yield validate("missing_input", "TX-7", missing, "TX_MISSING_INPUT")
    yield validate(
        "immature_coinbase",
        "TX-8: one block too early",
        good,
        "TX_IMMATURE_COINBASE_SPEND",
        height=maturity - 1,
    )
    yield validate(
        "creates_value",
        "TX-9",
        spend_p2pkh(utxos, coins[:1], [alice], [TxOutput(100_001, bob.script_pubkey)], preset),
        "TX_INSUFFICIENT_INPUT_VALUE",
    )
    yield validate(
        "zero_fee",
        "TX-9: outputs equal inputs is valid (fee 0)",
        spend_p2pkh(utxos, coins[:1], [alice], [TxOutput(100_000, bob.script_pubkey)], preset),
    )
    height_locked = spend_p2pkh(
        utxos,
        coins[:1],
        [alice],
        [TxOutput(90_000, bob.script_pubkey)],
        preset,
        lock_time=maturity,
        sequence=0xFFFFFFFE,
    )
    yield validate(
        "lock_time_not_reached", "TX-10: lock_time equal to the height", height_locked, "TX_NOT_FINAL"
    )
    yield validate("lock_time_reached", "TX-10: the next height", height_locked, height=maturity + 1)
    time_locked = spend_p2pkh(
        utxos, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset, lock_time=MTP, sequence=0
    )
    yield validate(
        "time_lock_not_reached", "TX-10: lock_time equal to the median time past", time_locked, "TX_NOT_FINAL"
    )
    yield validate(
        "time_lock_reached", "TX-10: median time past beyond lock_time", time_locked, median_time_past=MTP + 1
    )
    relative = spend_p2pkh(
        utxos, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset, sequence=maturity + 1
    )
    yield validate("relative_lock_not_met", "TX-11", relative, "TX_RELATIVE_LOCK_NOT_MET")
    yield validate("relative_lock_met", "TX-11", relative, height=maturity + 1)
    yield validate(
        "time_relative_lock",
        "TX-11: type flag set",
        spend_p2pkh(
            utxos, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset, sequence=1 << 22
        ),
        "TX_UNSUPPORTED_RELATIVE_LOCK",
    )
    yield validate(
        "signature_for_other_output",
        "TX-12: output value changed after signing",
        replace(good, outputs=(TxOutput(89_999, bob.script_pubkey),)),
        "SCRIPT_NULLFAIL",
    )
    wrong_key = sign_transaction(
        replace(good, inputs=(replace(good.inputs[0], script_sig=b""),)),
        [utxos[coins[0]].output],
        [bob],
        preset,
    )
    yield validate(
        "wrong_key",
        "TX-12: signed by a key whose hash is not in the script",
        wrong_key,
        "SCRIPT_EQUALVERIFY_FAILED",
    )

    budget = preset.script.max_sigops_per_tx
    signers = [key(f"sigop{i}") for i in range(budget + 1)]
    wide_cb = coinbase_transaction(0, [TxOutput(1_000, k.script_pubkey) for k in signers])
    wide, _ = apply_transaction({}, wide_cb, 0, preset)
    wide_coins = [OutPoint(txid(wide_cb, preset), i) for i in range(budget + 1)]
    over_budget = spend_p2pkh(
        wide, wide_coins, signers, [TxOutput((budget + 1) * 1_000, bob.script_pubkey)], preset
    )
    yield CaseSpec(
        "validate_transaction",
        "sigop_budget_exceeded",
        "TX-12: one more P2PKH input than the per-transaction sigop budget",
        {
            "utxos": utxos_to_json(wide),
            "height": maturity,
            "median_time_past": MTP,
            "transaction": _hex(over_budget, preset),
        },
        expect_error="SCRIPT_SIGOP_LIMIT",
    )
    # SCRIPT-9's budget is inclusive, on the path that counts sigops (not every input is P2PKH):
    # budget - 1 P2PKH inputs and one input of a script counting one sigop it never runs.
    counted = bytes([Opcode.OP_0, Opcode.OP_IF, Opcode.OP_CHECKSIG, Opcode.OP_ENDIF, Opcode.OP_1])
    mixed_cb = coinbase_transaction(
        0, [*(TxOutput(1_000, k.script_pubkey) for k in signers[: budget - 1]), TxOutput(1_000, counted)]
    )
    mixed, _ = apply_transaction({}, mixed_cb, 0, preset)
    mixed_spent = [TxOutput(1_000, k.script_pubkey) for k in signers[: budget - 1]]
    unsigned = Transaction(
        TRANSACTION_VERSION,
        tuple(TxInput(OutPoint(txid(mixed_cb, preset), i), b"", SEQUENCE_FINAL) for i in range(budget)),
        (TxOutput(budget * 1_000, bob.script_pubkey),),
        0,
    )
    at_budget = replace(
        unsigned,
        inputs=(
            *(
                replace(
                    tx_input,
                    script_sig=sign_input(unsigned, index, mixed_spent[index], signers[index], preset),
                )
                for index, tx_input in enumerate(unsigned.inputs[: budget - 1])
            ),
            unsigned.inputs[-1],
        ),
    )
    yield CaseSpec(
        "validate_transaction",
        "sigop_budget_exact_counted",
        "TX-12/SCRIPT-9: budget - 1 P2PKH inputs and an input whose script counts one unexecuted "
        "CHECKSIG: exactly the budget is allowed",
        {
            "utxos": utxos_to_json(mixed),
            "height": maturity,
            "median_time_past": MTP,
            "transaction": _hex(at_budget, preset),
        },
    )

    # UTXO transition and state roots.
    child = spend_p2pkh(
        {**utxos, **apply_transaction(utxos, good, 1, preset)[0]},
        [OutPoint(txid(good, preset), 0)],
        [bob],
        [TxOutput(80_000, carol.script_pubkey)],
        preset,
    )
    yield CaseSpec(
        "apply_transactions",
        "chain_in_one_block",
        "a transaction and its child in one block",
        {"utxos": base_json, "transactions": [_hex(good, preset), _hex(child, preset)], "height": 1},
    )
    yield CaseSpec(
        "apply_transactions",
        "op_return_not_stored",
        "OP_RETURN outputs never enter the set",
        {"utxos": base_json, "transactions": [_hex(data_out, preset)], "height": 1},
    )
    yield CaseSpec(
        "apply_transactions",
        "spent_twice",
        "the second spend of an outpoint finds nothing",
        {"utxos": base_json, "transactions": [_hex(good, preset), _hex(good, preset)], "height": 1},
        expect_error="TX_MISSING_INPUT",
    )
    yield CaseSpec("state_root", "empty", "STATE-1 root of the empty set", {"utxos": []})
    yield CaseSpec(
        "state_root", "three_coins", "STATE-1 root of three coinbase outputs", {"utxos": base_json}
    )

    # Snapshots.
    many_cb = coinbase_transaction(
        0, [TxOutput(1_000 + i, key(f"holder{i}").script_pubkey) for i in range(40)]
    )
    many, _ = apply_transaction({}, many_cb, 0, preset)
    yield CaseSpec(
        "make_snapshot",
        "forty_entries",
        "SNAP-1..3 manifest, chunks and proofs",
        {"utxos": utxos_to_json(many), "height": 5},
    )
    manifest, chunks = make_snapshot(many, 5, preset)
    manifest_json: dict[str, JSON] = {
        "height": manifest.height,
        "state_root": manifest.state_root.hex(),
        "entry_count": manifest.entry_count,
        "chunk_count": manifest.chunk_count,
        "chunk_root": manifest.chunk_root.hex(),
    }
    last = len(chunks) - 1
    for index in sorted({0, last}):
        yield CaseSpec(
            "verify_chunk",
            f"chunk_{index}",
            "a chunk and its proof",
            {
                "manifest": manifest_json,
                "index": index,
                "chunk": chunks[index].hex(),
                "proof": [h.hex() for h in chunk_proof(chunks, index)],
            },
        )
    flipped = bytearray(chunks[0])
    flipped[-1] ^= 1
    yield CaseSpec(
        "verify_chunk",
        "tampered_chunk",
        "one bit flipped",
        {
            "manifest": manifest_json,
            "index": 0,
            "chunk": bytes(flipped).hex(),
            "proof": [h.hex() for h in chunk_proof(chunks, 0)],
        },
        expect_error="SNAPSHOT_CHUNK_MISMATCH",
    )
    if last > 0:
        yield CaseSpec(
            "verify_chunk",
            "wrong_position",
            "chunk 0 presented as the last chunk",
            {
                "manifest": manifest_json,
                "index": last,
                "chunk": chunks[0].hex(),
                "proof": [h.hex() for h in chunk_proof(chunks, last)],
            },
            expect_error="SNAPSHOT_CHUNK_MISMATCH",
        )

    # State snapshot manifests against their header (SNAP-6).
    size = preset.snapshot.chunk_entries
    state_items = {b"\x01" + i.to_bytes(4, "big"): b"\x01" for i in range(2 * size + 1)}  # three chunks
    block = bytes(range(32))
    state_manifest, _ = make_state_snapshot(state_items, block, 9, preset)

    def manifest_case(
        name: str, meaning: str, manifest: StateSnapshotManifest, error: str | None
    ) -> CaseSpec:
        header: dict[str, JSON] = {
            "hash": block.hex(),
            "height": 9,
            "state_root": state_manifest.state_root.hex(),
        }
        return CaseSpec(
            "check_state_manifest",
            name,
            meaning,
            {
                "manifest": {
                    "block_hash": manifest.block_hash.hex(),
                    "height": manifest.height,
                    "state_root": manifest.state_root.hex(),
                    "item_count": manifest.item_count,
                    "chunk_count": manifest.chunk_count,
                    "chunk_root": manifest.chunk_root.hex(),
                },
                "header": header,
            },
            expect_error=error,
        )

    yield CaseSpec(
        "make_state_snapshot",
        "three_chunks",
        "SNAP-5/6: items sorted by key into three chunks, the manifest naming the block",
        {
            "items": [[k.hex(), v.hex()] for k, v in sorted(state_items.items())],
            "block_hash": block.hex(),
            "height": 9,
        },
    )
    yield manifest_case(
        "matches_its_header",
        "SNAP-6: three chunks of items, the header's hash, height and root",
        state_manifest,
        None,
    )
    for name, meaning, changed in (
        (
            "one_chunk_too_many",
            "SNAP-6: chunk_count one above what item_count gives",
            replace(state_manifest, chunk_count=4),
        ),
        (
            "one_chunk_too_few",
            "SNAP-6: chunk_count one below what item_count gives",
            replace(state_manifest, chunk_count=2),
        ),
        (
            "one_item_more_fills_no_new_chunk",
            "SNAP-6: item_count one above a full chunk boundary needs the next chunk",
            replace(state_manifest, item_count=3 * size + 1),
        ),
    ):
        yield manifest_case(name, meaning, changed, "SNAPSHOT_CHUNK_SIZE")
    yield manifest_case(
        "one_item_less_same_chunks",
        "SNAP-6: one item less still makes three chunks (the last one shorter)",
        replace(state_manifest, item_count=2 * size + 2),
        None,
    )
    for name, meaning, changed in (
        (
            "other_block",
            "SNAP-6: the manifest names another block",
            replace(state_manifest, block_hash=bytes(32)),
        ),
        ("other_height", "SNAP-6: the manifest names another height", replace(state_manifest, height=10)),
        (
            "other_state_root",
            "SNAP-6: the manifest's state root is not the header's",
            replace(state_manifest, state_root=bytes(32)),
        ),
    ):
        yield manifest_case(name, meaning, changed, "SNAPSHOT_STATE_ROOT_MISMATCH")

    # Mempool sequences.
    original = good
    low_replacement = spend_p2pkh(utxos, coins[:1], [alice], [TxOutput(89_950, carol.script_pubkey)], preset)
    replacement = spend_p2pkh(utxos, coins[:1], [alice], [TxOutput(80_000, carol.script_pubkey)], preset)
    unconfirmed_child = spend_p2pkh(
        apply_transaction(utxos, replacement, 1, preset)[0],
        [OutPoint(txid(replacement, preset), 0)],
        [carol],
        [TxOutput(60_000, alice.script_pubkey)],
        preset,
    )
    other = spend_p2pkh(utxos, coins[1:2], [bob], [TxOutput(99_000, bob.script_pubkey)], preset)
    stingy = spend_p2pkh(utxos, coins[2:3], [carol], [TxOutput(99_990, carol.script_pubkey)], preset)
    yield CaseSpec(
        "mempool_sequence",
        "replacement_and_chain",
        "admit, reject a cheap replacement, accept a paying one, chain a child, reject low fee",
        {
            **context,
            "height": maturity + 1,
            "template_bytes": 100_000,
            "transactions": [
                _hex(t, preset)
                for t in (original, low_replacement, replacement, unconfirmed_child, other, stingy, original)
            ],
        },
    )
    funded = spend_p2pkh(utxos, coins[1:2], [bob], [TxOutput(150_000, bob.script_pubkey)], preset)
    yield CaseSpec(
        "mempool_sequence",
        "escrow_release_counts_as_input",
        "SC-PEG-4 / TX-9: outputs 50,000 above the inputs are refused without a release and admitted "
        "with a release of 51,000 (fee 1,000), as a withdrawal claim's payout is funded by the escrow",
        {
            **context,
            "height": maturity + 1,
            "template_bytes": 100_000,
            "transactions": [_hex(funded, preset), _hex(funded, preset)],
            "released": [0, 51_000],
        },
    )
    yield from _chunk_encoding_cases(preset)


def _chunk_encoding_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SNAP-2: chunk bytes from listed entries, checked against the chunks ``make_snapshot`` cuts."""
    many_cb = coinbase_transaction(
        0, [TxOutput(2_000 + i, key(f"chunk{i}").script_pubkey) for i in range(20)]
    )
    many, _ = apply_transaction({}, many_cb, 3, preset)
    _, chunks = make_snapshot(many, 3, preset)
    ordered = sorted(many, key=lambda o: encode_outpoint(o, preset))  # SNAP-1: by key bytes
    size = preset.snapshot.chunk_entries
    for index in sorted({0, len(chunks) - 1}):
        listed = [utxos_to_json({o: many[o]})[0] for o in ordered[index * size : (index + 1) * size]]
        yield CaseSpec(
            "encode_chunk",
            f"chunk_{index}_of_{len(chunks)}",
            "SNAP-2: index u32, then each entry as encoded outpoint and entry bytes, in SNAP-1 order",
            {"index": index, "utxos": listed},
            known_output={"chunk": chunks[index].hex()},
        )
    yield CaseSpec(
        "encode_chunk",
        "no_entries",
        "SNAP-2: a chunk with no entries is its index and an empty list",
        {"index": 7, "utxos": []},
    )
    first = utxos_to_json({ordered[0]: many[ordered[0]]})[0]
    assert isinstance(first, dict)
    changes: tuple[tuple[str, str, dict[str, JSON]], ...] = (
        ("txid_not_32_bytes", "STATE-1: an outpoint's txid is 32 bytes", {"txid": "00" * 31}),
        ("index_beyond_u32", "STATE-1: an outpoint's index is a u32", {"index": 1 << 32}),
    )
    for name, meaning, changed in changes:
        yield CaseSpec(
            "encode_chunk",
            name,
            f"SNAP-2: {meaning}, so no chunk holds this entry",
            {"index": 0, "utxos": [{**first, **changed}]},
            expect_error="ENCODE_OUT_OF_RANGE",
        )
    yield from _manifest_size_cases(preset)


def _manifest_size_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SNAP-5/6: chunk counts of item counts that fill their chunks exactly (none, and two full)."""
    size = preset.snapshot.chunk_entries
    block = bytes(range(1, 33))
    for name, count in (("no_items", 0), ("two_full_chunks", 2 * size)):
        items = {b"\x01" + i.to_bytes(4, "big"): b"\x02" for i in range(count)}
        manifest, _ = make_state_snapshot(items, block, 4, preset)
        yield CaseSpec(
            "check_state_manifest",
            name,
            f"SNAP-5/6: {count} items make {manifest.chunk_count} chunks, none partly filled",
            {
                "manifest": {
                    "block_hash": block.hex(),
                    "height": 4,
                    "state_root": manifest.state_root.hex(),
                    "item_count": manifest.item_count,
                    "chunk_count": manifest.chunk_count,
                    "chunk_root": manifest.chunk_root.hex(),
                },
                "header": {"hash": block.hex(), "height": 4, "state_root": manifest.state_root.hex()},
            },
            known_output={"chunk_count": count // size},
        )


def _decode_cases(good: Transaction, cb: Transaction, preset: Preset) -> Iterator[CaseSpec]:
    raw = encode_transaction(good, preset)
    yield CaseSpec(
        "decode_transaction", "p2pkh_spend", "a signed one-input transaction", {"transaction": raw.hex()}
    )
    yield CaseSpec("decode_transaction", "coinbase", "a coinbase", {"transaction": _hex(cb, preset)})
    yield CaseSpec(
        "decode_transaction",
        "truncated",
        "last byte missing",
        {"transaction": raw[:-1].hex()},
        expect_error="DECODE_TRUNCATED",
    )
    yield CaseSpec(
        "decode_transaction",
        "trailing_byte",
        "one byte too many",
        {"transaction": (raw + b"\x00").hex()},
        expect_error="DECODE_TRAILING_BYTES",
    )
    noncanonical = raw[:4] + b"\x81\x00" + raw[5:]
    yield CaseSpec(
        "decode_transaction",
        "noncanonical_input_count",
        "input count 1 written in two bytes",
        {"transaction": noncanonical.hex()},
        expect_error="DECODE_NONCANONICAL_VARINT",
    )
    huge = raw[:4] + b"\xff\xff\xff\xff\x0f"
    yield CaseSpec(
        "decode_transaction",
        "input_count_above_limit",
        "input count above the preset limit",
        {"transaction": huge.hex()},
        expect_error="DECODE_LENGTH_LIMIT",
    )
