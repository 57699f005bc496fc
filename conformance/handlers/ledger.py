"""Handlers of the ``ledger`` flow (spec/ledger/).

A UTXO set is a JSON list of entries ``{"txid", "index", "value", "script_pubkey", "height",
"is_coinbase"}`` (outputs of handlers list them sorted by outpoint); transactions are their
canonical encoding in hex.
"""

from __future__ import annotations

from conformance.jsonio import (
    field,
    hex_field,
    hex_list_field,
    int_field,
    int_list_field,
    object_list_field,
    to_hex,
)
from conformance.model import JSON, BadInput, Handler
from spec.errors import SpecError
from spec.ledger.mempool import EMPTY_MEMPOOL, Mempool, admit, remove_for_block, select_for_block
from spec.ledger.snapshot import (
    SnapshotChunk,
    SnapshotEntry,
    SnapshotManifest,
    assemble_snapshot,
    chunk_proof,
    encode_chunk,
    make_snapshot,
    verify_chunk,
)
from spec.ledger.state import utxo_state_root
from spec.ledger.state_snapshot import (
    StateSnapshotManifest,
    check_manifest,
    make_state_snapshot,
    state_chunk_proof,
)
from spec.ledger.transaction import (
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    coinbase_transaction,
    decode_transaction,
    encode_transaction,
    signature_hash,
    transaction_size,
    txid,
    wtxid,
)
from spec.ledger.utxo import TxUndo, UtxoEntry, apply_transaction, apply_transactions, undo_transactions
from spec.ledger.validation import LedgerContext, validate_transaction
from spec.presets import Preset


def parse_utxos(data: dict[str, JSON], name: str = "utxos") -> dict[OutPoint, UtxoEntry]:
    """The UTXO set of a JSON list of entries."""
    value = field(data, name)
    if not isinstance(value, list):
        raise BadInput(f"{name} must be a list")
    result: dict[OutPoint, UtxoEntry] = {}
    for item in value:
        if not isinstance(item, dict):
            raise BadInput(f"{name} items must be objects")
        coinbase = item.get("is_coinbase")
        if not isinstance(coinbase, bool):
            raise BadInput("is_coinbase must be a boolean")
        outpoint = OutPoint(hex_field(item, "txid"), int_field(item, "index"))
        output = TxOutput(int_field(item, "value"), hex_field(item, "script_pubkey"))
        result[outpoint] = UtxoEntry(output, int_field(item, "height"), coinbase)
    return result


def utxos_to_json(utxos: dict[OutPoint, UtxoEntry]) -> list[JSON]:
    """A UTXO set as a JSON list sorted by outpoint."""
    return [
        {
            "txid": to_hex(o.txid),
            "index": o.index,
            "value": e.output.value,
            "script_pubkey": to_hex(e.output.script_pubkey),
            "height": e.height,
            "is_coinbase": e.is_coinbase,
        }
        for o, e in sorted(utxos.items(), key=lambda item: (item[0].txid, item[0].index))
    ]


def _context(data: dict[str, JSON]) -> LedgerContext:
    return LedgerContext(int_field(data, "height"), int_field(data, "median_time_past"))


def handle_decode_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """TXF-1..3: ``{"transaction"}`` -> ``{"txid", "wtxid", "size"}`` or a ``DECODE_*`` rejection."""
    tx = decode_transaction(hex_field(data, "transaction"), preset)
    return {
        "txid": to_hex(txid(tx, preset)),
        "wtxid": to_hex(wtxid(tx, preset)),
        "size": transaction_size(tx, preset),
    }


def handle_encode_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """TXF-1..3 from fields: ``{"version", "inputs": [{"txid", "index", "script_sig", "sequence"}],
    "outputs": [{"value", "script_pubkey"}], "lock_time"}`` -> ``{"txid", "wtxid", "transaction"}``,
    or ``ENCODE_OUT_OF_RANGE`` for a transaction that has no encoding.

    The txid is computed first, on the transaction as built (no encoding of it known yet): an
    implementation's txid of a transaction it built itself (a wallet's, a miner's) must be the one
    of its encoding, which ``decode_transaction`` checks only for transactions read from bytes.
    """
    inputs = tuple(
        TxInput(
            OutPoint(hex_field(item, "txid"), int_field(item, "index")),
            hex_field(item, "script_sig"),
            int_field(item, "sequence"),
        )
        for item in object_list_field(data, "inputs")
    )
    outputs = tuple(
        TxOutput(int_field(item, "value"), hex_field(item, "script_pubkey"))
        for item in object_list_field(data, "outputs")
    )
    tx = Transaction(int_field(data, "version"), inputs, outputs, int_field(data, "lock_time"))
    tx_id = txid(tx, preset)
    return {
        "txid": to_hex(tx_id),
        "wtxid": to_hex(wtxid(tx, preset)),
        "transaction": to_hex(encode_transaction(tx, preset)),
    }


def handle_signature_hash(preset: Preset, data: dict[str, JSON]) -> JSON:
    """TXF-5: ``{"transaction", "input_index", "spent_value", "spent_script_pubkey"}`` -> ``{"hash"}``."""
    tx = decode_transaction(hex_field(data, "transaction"), preset)
    spent = TxOutput(int_field(data, "spent_value"), hex_field(data, "spent_script_pubkey"))
    return {"hash": to_hex(signature_hash(tx, int_field(data, "input_index"), spent, preset))}


def handle_validate_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """TX-1..12: ``{"utxos", "transaction", "height", "median_time_past"}`` -> ``{"fee"}`` or a rejection."""
    tx = decode_transaction(hex_field(data, "transaction"), preset)
    return {"fee": validate_transaction(tx, parse_utxos(data), _context(data), preset)}


def handle_apply_transactions(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UTXO-1..3: ``{"utxos", "transactions", "height"}`` -> ``{"utxos", "state_root", "undo"}`` (no
    validation); ``undo`` holds one record per transaction: the entries it spent, in input order
    (the ``undo`` input of ``undo_transactions``)."""
    transactions = [decode_transaction(raw, preset) for raw in hex_list_field(data, "transactions")]
    after, undos = apply_transactions(parse_utxos(data), transactions, int_field(data, "height"), preset)
    return {
        "utxos": utxos_to_json(after),
        "state_root": to_hex(utxo_state_root(after, preset)),
        "undo": [_spent_json(undo) for undo in undos],
    }


def handle_apply_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UTXO-1/2 for one transaction: ``{"utxos", "transaction", "height"}`` ->
    ``{"utxos", "state_root", "undo"}`` (no validation; ``undo`` is the entries it spent, in input
    order); ``TX_MISSING_INPUT`` if an input is not in the set, or is spent twice."""
    tx = decode_transaction(hex_field(data, "transaction"), preset)
    after, undo = apply_transaction(parse_utxos(data), tx, int_field(data, "height"), preset)
    return {
        "utxos": utxos_to_json(after),
        "state_root": to_hex(utxo_state_root(after, preset)),
        "undo": _spent_json(undo),
    }


def _spent_json(undo: TxUndo) -> list[JSON]:
    """One undo record: the spent entries in input order (not sorted, unlike a UTXO set)."""
    return [utxos_to_json({outpoint: entry})[0] for outpoint, entry in undo.spent]


def handle_coinbase_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """TXF-4: ``{"height", "outputs": [{"value", "script_pubkey"}]}`` -> ``{"transaction", "txid"}``,
    the canonical coinbase of that height paying those outputs."""
    raw = field(data, "outputs")
    if not isinstance(raw, list):
        raise BadInput("outputs must be a list")
    outputs = []
    for item in raw:
        if not isinstance(item, dict):
            raise BadInput("outputs items must be objects")
        outputs.append(TxOutput(int_field(item, "value"), hex_field(item, "script_pubkey")))
    tx = coinbase_transaction(int_field(data, "height"), outputs)
    return {"transaction": to_hex(encode_transaction(tx, preset)), "txid": to_hex(txid(tx, preset))}


def handle_state_root(preset: Preset, data: dict[str, JSON]) -> JSON:
    """STATE-1: ``{"utxos"}`` -> ``{"state_root"}``."""
    return {"state_root": to_hex(utxo_state_root(parse_utxos(data), preset))}


def _manifest_json(manifest: SnapshotManifest) -> dict[str, JSON]:
    return {
        "height": manifest.height,
        "state_root": to_hex(manifest.state_root),
        "entry_count": manifest.entry_count,
        "chunk_count": manifest.chunk_count,
        "chunk_root": to_hex(manifest.chunk_root),
    }


def handle_make_snapshot(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-1..3: ``{"utxos", "height"}`` -> ``{"manifest", "chunks", "proofs"}``."""
    manifest, chunks = make_snapshot(parse_utxos(data), int_field(data, "height"), preset)
    return {
        "manifest": _manifest_json(manifest),
        "chunks": [to_hex(c) for c in chunks],
        "proofs": [[to_hex(h) for h in chunk_proof(chunks, i)] for i in range(len(chunks))],
    }


def handle_encode_chunk(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-2: ``{"index", "utxos"}`` -> ``{"chunk"}``: the bytes of chunk ``index`` holding the
    entries in the order listed (a snapshot maker lists them in SNAP-1 order; encoding checks no
    order or size, which ``verify_chunk`` does)."""
    entries = tuple(SnapshotEntry(o, e) for o, e in parse_utxos(data).items())
    return {"chunk": to_hex(encode_chunk(SnapshotChunk(int_field(data, "index"), entries), preset))}


def _manifest_field(data: dict[str, JSON]) -> SnapshotManifest:
    raw = field(data, "manifest")
    if not isinstance(raw, dict):
        raise BadInput("manifest must be an object")
    return SnapshotManifest(
        int_field(raw, "height"),
        hex_field(raw, "state_root"),
        int_field(raw, "entry_count"),
        int_field(raw, "chunk_count"),
        hex_field(raw, "chunk_root"),
    )


def handle_verify_chunk(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-1..3: ``{"manifest", "index", "chunk", "proof"}`` -> ``{"entries"}`` (count) or a rejection."""
    manifest = _manifest_field(data)
    chunk = verify_chunk(
        manifest, int_field(data, "index"), hex_field(data, "chunk"), hex_list_field(data, "proof"), preset
    )
    return {"entries": len(chunk.entries)}


def handle_assemble_snapshot(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-1..4: ``{"manifest", "chunks": [{"index", "chunk", "proof"}]}`` -> ``{"utxos", "state_root"}``.

    Each chunk is checked with ``verify_chunk`` in the order given (SNAP-1..3), then the set is
    assembled from them in that order (SNAP-4).
    """
    manifest = _manifest_field(data)
    raw_chunks = field(data, "chunks")
    if not isinstance(raw_chunks, list):
        raise BadInput("chunks must be a list")
    chunks = []
    for item in raw_chunks:
        if not isinstance(item, dict):
            raise BadInput("chunks items must be objects")
        chunks.append(
            verify_chunk(
                manifest,
                int_field(item, "index"),
                hex_field(item, "chunk"),
                hex_list_field(item, "proof"),
                preset,
            )
        )
    utxos = assemble_snapshot(manifest, chunks, preset)
    return {"utxos": utxos_to_json(utxos), "state_root": to_hex(utxo_state_root(utxos, preset))}


def handle_make_state_snapshot(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-5/6: ``{"items": [[key, value]], "block_hash", "height"}`` -> manifest, chunks, proofs."""
    raw = field(data, "items")
    if not isinstance(raw, list):
        raise BadInput("items must be a list of [key, value] pairs")
    items: dict[bytes, bytes] = {}
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise BadInput("items must be a list of [key, value] pairs")
        try:
            items[bytes.fromhex(str(pair[0]))] = bytes.fromhex(str(pair[1]))
        except ValueError:
            raise BadInput("items must be hex strings") from None
    manifest, chunks = make_state_snapshot(
        items, hex_field(data, "block_hash"), int_field(data, "height"), preset
    )
    return {
        "manifest": {
            "block_hash": to_hex(manifest.block_hash),
            "height": manifest.height,
            "state_root": to_hex(manifest.state_root),
            "item_count": manifest.item_count,
            "chunk_count": manifest.chunk_count,
            "chunk_root": to_hex(manifest.chunk_root),
        },
        "chunks": [to_hex(c) for c in chunks],
        "proofs": [[to_hex(h) for h in state_chunk_proof(chunks, i)] for i in range(len(chunks))],
    }


def handle_check_state_manifest(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-6: ``{"manifest": {block_hash, height, state_root, item_count, chunk_count, chunk_root},
    "header": {"hash", "height", "state_root"}}`` -> ``{"chunk_count"}`` or a rejection."""
    raw, header = field(data, "manifest"), field(data, "header")
    if not isinstance(raw, dict) or not isinstance(header, dict):
        raise BadInput("manifest and header must be objects")
    manifest = StateSnapshotManifest(
        hex_field(raw, "block_hash"),
        int_field(raw, "height"),
        hex_field(raw, "state_root"),
        int_field(raw, "item_count"),
        int_field(raw, "chunk_count"),
        hex_field(raw, "chunk_root"),
    )
    check_manifest(
        manifest,
        hex_field(header, "hash"),
        int_field(header, "height"),
        hex_field(header, "state_root"),
        preset,
    )
    return {"chunk_count": manifest.chunk_count}


def handle_undo_transactions(preset: Preset, data: dict[str, JSON]) -> JSON:
    """UTXO-2/3: ``{"utxos", "transactions", "undo", "height"}`` -> ``{"utxos", "state_root"}``.

    ``utxos`` is the set after the block's ``transactions``; ``undo`` holds one record per
    transaction, each the list of entries it spent in input order (UTXO entry objects). The
    transactions are undone in reverse order.
    """
    transactions = [decode_transaction(raw, preset) for raw in hex_list_field(data, "transactions")]
    raw_undo = field(data, "undo")
    if not isinstance(raw_undo, list):
        raise BadInput("undo must be a list")
    undos: list[TxUndo] = []
    for index, record in enumerate(raw_undo):
        if not isinstance(record, list):
            raise BadInput(f"undo[{index}] must be a list of entries")
        spent = parse_utxos({"spent": record}, "spent")
        undos.append(TxUndo(tuple(spent.items())))
    before = undo_transactions(parse_utxos(data), transactions, undos, int_field(data, "height"), preset)
    return {"utxos": utxos_to_json(before), "state_root": to_hex(utxo_state_root(before, preset))}


def handle_mempool_sequence(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MEMPOOL-1..4: offer ``transactions`` in order; report each verdict, the final pool and a template.

    ``{"utxos", "height", "median_time_past", "transactions", "template_bytes"}`` (and optionally
    ``"released"``: per offered transaction, the escrow value its sidechain claims release, SC-PEG-4;
    default 0 each) ->
    ``{"verdicts": [{"accepted": bool, "code": str|null, "removed": [txid]}], "mempool": [txid],
    "template": [txid]}``.
    """
    utxos = parse_utxos(data)
    context = _context(data)
    pool = EMPTY_MEMPOOL
    verdicts: list[JSON] = []
    offered = hex_list_field(data, "transactions")
    released = int_list_field(data, "released") if "released" in data else [0] * len(offered)
    if len(released) != len(offered):
        raise BadInput("released must have one amount per transaction")
    for raw, freed in zip(offered, released, strict=True):
        try:
            tx = decode_transaction(raw, preset)
            pool, removed = admit(pool, tx, utxos, context, preset, freed)
        except SpecError as exc:
            verdicts.append({"accepted": False, "code": exc.code, "removed": []})
            continue
        verdicts.append({"accepted": True, "code": None, "removed": sorted(to_hex(t) for t in removed)})
    template = select_for_block(pool, int_field(data, "template_bytes"))
    return {
        "verdicts": verdicts,
        "mempool": sorted(to_hex(t) for t in pool.entries),
        "template": [to_hex(txid(tx, preset)) for tx in template],
    }


def _admit_all(preset: Preset, data: dict[str, JSON]) -> Mempool:
    """The mempool after offering ``transactions`` in order (as ``mempool_sequence``, verdicts dropped)."""
    utxos = parse_utxos(data)
    context = _context(data)
    pool = EMPTY_MEMPOOL
    for raw in hex_list_field(data, "transactions"):
        try:
            pool, _ = admit(pool, decode_transaction(raw, preset), utxos, context, preset)
        except SpecError:
            continue
    return pool


def handle_mempool_remove_for_block(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MEMPOOL-5: ``{"utxos", "height", "median_time_past", "transactions", "block"}`` ->
    ``{"before": [txid], "after": [txid]}``.

    ``transactions`` are offered in order as in ``mempool_sequence`` (refused ones are dropped);
    then the block's transactions (``block``, hex, coinbase first) are connected: the mempool
    transactions the block includes leave, and those spending an outpoint the block spends leave
    with their descendants. Both lists are sorted.
    """
    pool = _admit_all(preset, data)
    block = [decode_transaction(raw, preset) for raw in hex_list_field(data, "block")]
    after = remove_for_block(pool, block, preset)
    return {
        "before": sorted(to_hex(t) for t in pool.entries),
        "after": sorted(to_hex(t) for t in after.entries),
    }


HANDLERS: dict[str, Handler] = {
    "decode_transaction": handle_decode_transaction,
    "encode_transaction": handle_encode_transaction,
    "signature_hash": handle_signature_hash,
    "validate_transaction": handle_validate_transaction,
    "apply_transactions": handle_apply_transactions,
    "state_root": handle_state_root,
    "make_snapshot": handle_make_snapshot,
    "verify_chunk": handle_verify_chunk,
    "mempool_sequence": handle_mempool_sequence,
    "assemble_snapshot": handle_assemble_snapshot,
    "check_state_manifest": handle_check_state_manifest,
    "make_state_snapshot": handle_make_state_snapshot,
    "undo_transactions": handle_undo_transactions,
    "mempool_remove_for_block": handle_mempool_remove_for_block,
    "coinbase_transaction": handle_coinbase_transaction,
    "apply_transaction": handle_apply_transaction,
    "encode_chunk": handle_encode_chunk,
}
