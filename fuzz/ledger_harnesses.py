"""Fuzz harnesses of the ledger decoders and validators (spec/ledger/).

Each harness feeds arbitrary bytes to one decoder or validator; a :class:`~spec.errors.SpecError`
is a verdict (swallowed), anything else escapes and is a bug. Decoders are also checked for
ENC-2 (an accepted input re-encodes to itself).

* ``ledger_decode_transaction``: TXF-1 decoding, txid/wtxid computable on anything accepted.
* ``ledger_validate_transaction``: a signed transaction of a fixed scenario with the fuzz input
  XOR-ed over its encoding, then TX-1..12 against the scenario's UTXO set; a mutated transaction
  that still validates must have spent only what the set holds and created no value.
* ``ledger_snapshot_chunk``: SNAP-1..3 on fuzz bytes presented as chunk ``i`` of a real manifest.
* ``ledger_state_snapshot_chunk``: SNAP-5..8 on fuzz bytes presented as chunk ``i`` of a real
  state snapshot's manifest; a chunk that verifies must be the committed one, and the snapshot
  assembled with it must give back the committed items.
* ``ledger_mempool``: MEMPOOL-1..3, admitting the decoded (mutated) transaction into a mempool
  that holds one transaction; the mempool invariants must hold afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from conformance.wallet import key, sign_transaction
from fuzz.xor import xor_over
from spec.errors import SpecError
from spec.ledger.mempool import EMPTY_MEMPOOL, Mempool, admit
from spec.ledger.snapshot import SnapshotManifest, chunk_proof, make_snapshot, verify_chunk
from spec.ledger.state_snapshot import (
    StateSnapshotManifest,
    assemble_state_snapshot,
    make_state_snapshot,
    state_chunk_proof,
    utxo_state_items,
    verify_state_chunk,
)
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    coinbase_transaction,
    decode_transaction,
    encode_transaction,
    txid,
    wtxid,
)
from spec.ledger.utxo import UtxoEntry, apply_transaction
from spec.ledger.validation import LedgerContext, validate_transaction
from spec.presets import DEVNET

PRESET = DEVNET


class LedgerInvariantViolation(AssertionError):
    """A ledger rule was broken without a typed rejection (shaped like fuzz.harnesses.InvariantViolation)."""

    def __init__(self, message: str, known_bug: str | None = None) -> None:
        super().__init__(message)
        self.known_bug = known_bug


@cache
def _scenario() -> tuple[dict[OutPoint, UtxoEntry], Transaction, LedgerContext]:
    alice, bob = key("alice"), key("bob")
    coinbase = coinbase_transaction(
        0, (TxOutput(100_000, alice.script_pubkey), TxOutput(50_000, bob.script_pubkey))
    )
    utxos, _ = apply_transaction({}, coinbase, 0, PRESET)
    coins = [OutPoint(txid(coinbase, PRESET), i) for i in range(2)]
    unsigned = Transaction(
        1,
        tuple(TxInput(c, b"", SEQUENCE_FINAL) for c in coins),
        (TxOutput(140_000, bob.script_pubkey), TxOutput(1_000, alice.script_pubkey)),
        0,
    )
    tx = sign_transaction(unsigned, [utxos[c].output for c in coins], [alice, bob], PRESET)
    return utxos, tx, LedgerContext(PRESET.ledger.coinbase_maturity, 1_700_000_000)


def _mutated(data: bytes) -> bytes:
    _, tx, _ = _scenario()
    return xor_over(encode_transaction(tx, PRESET), data)


def fuzz_decode_transaction(data: bytes) -> None:
    """TXF-1..3: decode; an accepted input re-encodes to itself and has both ids."""
    try:
        tx = decode_transaction(data, PRESET)
    except SpecError:
        return
    if encode_transaction(tx, PRESET) != data:
        raise LedgerInvariantViolation("decode_transaction accepted a non-canonical encoding")
    txid(tx, PRESET)
    wtxid(tx, PRESET)


def fuzz_validate_transaction(data: bytes) -> None:
    """TX-1..12 on a mutated signed transaction: reject with a code, or accept without creating value."""
    utxos, _, context = _scenario()
    try:
        tx = decode_transaction(_mutated(data), PRESET)
        fee = validate_transaction(tx, utxos, context, PRESET)
    except SpecError:
        return
    spent = sum(utxos[i.previous_output].output.value for i in tx.inputs)
    if fee < 0 or fee != spent - sum(o.value for o in tx.outputs):
        raise LedgerInvariantViolation(f"validated transaction with fee {fee} creates value")


@cache
def _snapshot() -> tuple[SnapshotManifest, tuple[bytes, ...]]:
    entries = {
        OutPoint(bytes([i]) * 32, i): UtxoEntry(TxOutput(1_000 + i, bytes([i % 7]) * (i % 5)), i, i % 3 == 0)
        for i in range(40)
    }
    return make_snapshot(entries, 9, PRESET)


def fuzz_snapshot_chunk(data: bytes) -> None:
    """SNAP-1..3: fuzz bytes as chunk ``data[0] % chunks`` of a real manifest, with its genuine proof."""
    manifest, chunks = _snapshot()
    index = data[0] % len(chunks) if data else 0
    chunk = data[1:] if len(data) > 1 else chunks[index]
    try:
        verified = verify_chunk(manifest, index, chunk, chunk_proof(chunks, index), PRESET)
    except SpecError:
        return
    if chunk != chunks[index] or verified.index != index:
        raise LedgerInvariantViolation("a chunk other than the committed one verified")


@cache
def _state_snapshot() -> tuple[dict[bytes, bytes], StateSnapshotManifest, tuple[bytes, ...]]:
    entries = {
        OutPoint(bytes([i]) * 32, i): UtxoEntry(TxOutput(1_000 + i, bytes([i % 7]) * (i % 5)), i, i % 3 == 0)
        for i in range(40)
    }
    items = utxo_state_items(entries, PRESET)
    manifest, chunks = make_state_snapshot(items, bytes(32), 9, PRESET)
    return items, manifest, chunks


def fuzz_state_snapshot_chunk(data: bytes) -> None:
    """SNAP-5..8: fuzz bytes as chunk ``data[0] % chunks`` of a real state snapshot, with its
    genuine proof; what verifies must be the committed chunk and assemble to the committed items."""
    items, manifest, chunks = _state_snapshot()
    index = data[0] % len(chunks) if data else 0
    chunk = data[1:] if len(data) > 1 else chunks[index]
    try:
        verified = verify_state_chunk(manifest, index, chunk, state_chunk_proof(chunks, index), PRESET)
    except SpecError:
        return
    if chunk != chunks[index] or verified.index != index:
        raise LedgerInvariantViolation("a state chunk other than the committed one verified")
    others = [
        verify_state_chunk(manifest, i, c, state_chunk_proof(chunks, i), PRESET) for i, c in enumerate(chunks)
    ]
    others[index] = verified
    if assemble_state_snapshot(manifest, others, PRESET) != items:
        raise LedgerInvariantViolation("the assembled state snapshot differs from the committed items")


def _check_mempool(pool: Mempool) -> None:
    spent: set[OutPoint] = set()
    for entry in pool.entries.values():
        for tx_input in entry.tx.inputs:
            if tx_input.previous_output in spent:
                raise LedgerInvariantViolation("two mempool transactions spend one outpoint")
            spent.add(tx_input.previous_output)
    if pool.total_bytes > PRESET.mempool.max_mempool_bytes:
        raise LedgerInvariantViolation("mempool above its size limit")


@cache
def _genuine_pool() -> Mempool:
    """The mempool holding the scenario's genuine transaction, admitted once (a ``Mempool`` is
    immutable: ``admit`` returns a new one, so no input can change what the next one starts from)."""
    utxos, tx, context = _scenario()
    pool, _ = admit(EMPTY_MEMPOOL, tx, utxos, context, PRESET)
    return pool


def fuzz_mempool(data: bytes) -> None:
    """MEMPOOL-1..3: admit a mutated transaction next to the genuine one; invariants must hold."""
    utxos, _, context = _scenario()
    pool = _genuine_pool()
    try:
        candidate = decode_transaction(_mutated(data), PRESET)
        pool, _ = admit(pool, candidate, utxos, context, PRESET)
    except SpecError:
        return
    _check_mempool(pool)


LEDGER_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "ledger_decode_transaction": fuzz_decode_transaction,
    "ledger_validate_transaction": fuzz_validate_transaction,
    "ledger_snapshot_chunk": fuzz_snapshot_chunk,
    "ledger_state_snapshot_chunk": fuzz_state_snapshot_chunk,
    "ledger_mempool": fuzz_mempool,
}


def ledger_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: the genuine transaction, no mutation, single-byte mutations, a real chunk."""
    _, tx, _ = _scenario()
    raw = encode_transaction(tx, PRESET)
    _, chunks = _snapshot()
    _, _, state_chunks = _state_snapshot()
    mutations = {
        "seed-unchanged": b"",
        "seed-flip-value": bytes(len(raw) - 20) + b"\x01",
        "seed-flip-version": b"\x02",
        "seed-flip-signature": bytes(60) + b"\x80",
    }
    return {
        "ledger_decode_transaction": {"seed-signed": raw, "seed-truncated": raw[:-3]},
        "ledger_validate_transaction": mutations,
        "ledger_snapshot_chunk": {"seed-chunk-0": b"\x00" + chunks[0], "seed-last": bytes([len(chunks) - 1])},
        "ledger_state_snapshot_chunk": {
            "seed-chunk-0": b"\x00" + state_chunks[0],
            "seed-last": bytes([len(state_chunks) - 1]),
        },
        "ledger_mempool": mutations,
    }
