"""Ledger hot paths against their floor: validating a transaction over verifying its signatures.

The floor of transaction validation is libsodium's bare ``crypto_sign_open`` of its input
signatures (two here). ``validate_transaction`` adds decoding-free rule checks, the signature
hashes, and the FerrisScript runs; the printed ratio says how much the rules cost on top of the
cryptography. Each round validates a fresh copy of the transaction (decoded from its bytes: no
memoised encoding or ids) with the script-parse memo emptied.
"""

from __future__ import annotations

from typing import Any

import nacl.bindings
from pytest_benchmark.fixture import BenchmarkFixture

from spec.ledger.transaction import TxOutput, decode_transaction, encode_transaction, signature_hash
from spec.ledger.validation import LedgerContext, validate_transaction
from spec.script import parse_script
from tests.ledger_helpers import PRESET, funded, key, outpoints_of, spend

ALICE, BOB, CAROL = key("alice"), key("bob"), key("carol")
UTXOS, COINBASE = funded([ALICE, BOB], 100_000)
TX = spend(
    UTXOS,
    outpoints_of(COINBASE),
    [ALICE, BOB],
    [TxOutput(150_000, CAROL.script_pubkey), TxOutput(40_000, ALICE.script_pubkey)],
)
CONTEXT = LedgerContext(PRESET.ledger.coinbase_maturity, 1_700_000_000)
SIGNATURES = [
    (
        parse_script(i.script_sig, PRESET.script),
        signature_hash(TX, n, UTXOS[i.previous_output].output, PRESET),
    )
    for n, i in enumerate(TX.inputs)
]
PAIRS = [(ops[1].data, ops[0].data, message) for ops, message in SIGNATURES]  # type: ignore[union-attr]


def test_floor_two_ed25519_verifications(benchmark: BenchmarkFixture) -> None:
    def run() -> bool:
        for public, signature, message in PAIRS:
            nacl.bindings.crypto_sign_open(signature + message, public)  # raises if invalid
        return True

    assert benchmark(run)


def fresh_arguments() -> tuple[tuple[Any, ...], dict[str, Any]]:
    parse_script.cache_clear()
    return (decode_transaction(encode_transaction(TX, PRESET), PRESET), UTXOS, CONTEXT, PRESET), {}


def test_validate_two_input_transaction(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_floor_two_ed25519_verifications"
    fee = benchmark.pedantic(validate_transaction, setup=fresh_arguments, rounds=200)  # type: ignore[no-untyped-call]
    assert fee == 10_000
