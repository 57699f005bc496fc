"""Vectors that kill mutants (issue 11 item 1, docs/mutation.md): boundaries and branches that the
flows' own vectors left open, each case named after the rule it pins.

Every case here was added because a mutant of ``spec/`` survived the flow's vectors: a comparison
off by one (``>`` vs ``>=`` exactly at a limit), a loop's ``continue`` turned into ``break``, an
argument dropped. The case description says which boundary it sits on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from conformance.generators import p2p as p2p_generator
from conformance.generators.p2p import _address as p2p_address
from conformance.generators.p2p import node_id as p2p_node_id
from conformance.generators.p2p import node_in_bucket
from conformance.generators.trie import _enc as trie_enc
from conformance.generators.trie import _hp as trie_hp
from conformance.generators.trie import _items as trie_items
from conformance.generators.trie import _items_json as trie_items_json
from conformance.generators.trie import _probe_keys as trie_probe_keys
from conformance.generators.trie import _random_operations as trie_operations
from conformance.handlers.ledger import utxos_to_json
from conformance.handlers.p2p import node_json
from conformance.model import JSON, CaseSpec
from conformance.wallet import Key, key, sign_transaction, spend_p2pkh
from spec.chain.block import Block, BlockHeader, encode_block, transactions_root, votes_root
from spec.encoding import decode
from spec.ledger.snapshot import chunk_codec, chunk_hash, chunk_proof, encode_chunk, make_snapshot
from spec.ledger.state import utxo_state_root
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    TRANSACTION_VERSION,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    coinbase_transaction,
    decode_transaction,
    encode_transaction,
    transaction_size,
    txid,
    wtxid,
)
from spec.ledger.utxo import UtxoEntry, apply_transaction, apply_transactions
from spec.merkle import merkle_root
from spec.presets import Preset
from spec.script import KEY_HASH_BYTES, P2PKH_PREFIX, Opcode, encode_number, encode_push
from spec.trie import RUSTY_TRIE_HASHER, TRIE_HASHERS, Trie, TrieHasher, prove

MTP = 1_700_000_000

NON_FINAL = 0xFFFFFFFE
"""A sequence that is not final but disables the relative lock (bit 31 set)."""


def _hex(tx: Transaction, preset: Preset) -> str:
    return encode_transaction(tx, preset).hex()


def _plain_utxos(owners: Sequence[tuple[Key, int]], height: int = 0) -> dict[OutPoint, UtxoEntry]:
    """Non-coinbase entries (no maturity) of the given values, one per owner, on a fixed txid."""
    source = bytes([0xA5]) * 32
    return {
        OutPoint(source, index): UtxoEntry(TxOutput(value, owner.script_pubkey), height, False)
        for index, (owner, value) in enumerate(owners)
    }


def _spend_script(
    utxos: dict[OutPoint, UtxoEntry],
    outpoints: Sequence[OutPoint],
    signers: Sequence[Key],
    outputs: Sequence[TxOutput],
    preset: Preset,
    lock_time: int = 0,
    sequences: Sequence[int] = (),
) -> Transaction:
    """Like ``spend_p2pkh`` with one sequence per input (the script_sig is the P2PKH pair, which
    also unlocks a ``<n> OP_CHECK*VERIFY OP_DROP`` prefix on a P2PKH script)."""
    seqs = list(sequences) or [SEQUENCE_FINAL] * len(outpoints)
    unsigned = Transaction(
        TRANSACTION_VERSION,
        tuple(TxInput(o, b"", s) for o, s in zip(outpoints, seqs, strict=True)),
        tuple(outputs),
        lock_time,
    )
    return sign_transaction(unsigned, [utxos[o].output for o in outpoints], signers, preset)


def _sized_spend(
    utxos: dict[OutPoint, UtxoEntry],
    coin: OutPoint,
    owner: Key,
    preset: Preset,
    rate: int,
    size: int = 0,
    extra_fee: int = 0,
    sequence: int = SEQUENCE_FINAL,
    payee: Key | None = None,
) -> Transaction:
    """A spend of ``coin`` (signed by ``owner``, paid to ``payee`` or back to ``owner``) with a fee
    of exactly ``rate`` atoms a byte (plus ``extra_fee``), padded with a zero-value OP_RETURN
    output to exactly ``size`` bytes when ``size`` is given."""
    value = utxos[coin].output.value

    def build(pad: int | None, fee: int) -> Transaction:
        outputs = [TxOutput(value - fee, (payee or owner).script_pubkey)]
        if pad is not None:
            outputs.append(TxOutput(0, b"\x6a" + bytes(pad)))
        return _spend_script(utxos, [coin], [owner], outputs, preset, 0, [sequence])

    pad: int | None = None
    if size:
        pad = 0
        for _ in range(8):
            current = transaction_size(build(pad, 0), preset)
            if current == size:
                break
            pad = max(0, pad + size - current)
        if transaction_size(build(pad, 0), preset) != size:
            raise AssertionError(f"cannot pad a spend to exactly {size} bytes")
    actual = transaction_size(build(pad, 0), preset)
    return build(pad, rate * actual + extra_fee)


def trie_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MPT-4/8/10 through a node store: ``store_changes``, ``load_store`` and ``prove_stored``."""
    for hasher in (RUSTY_TRIE_HASHER, TRIE_HASHERS["ethereum"]):
        for size in (1, 2, 5, 33, 100):
            items = trie_items(f"store/{size}", size)
            trie = Trie.from_items(items, hasher)
            yield from _store_cases(f"{hasher.name}_{size}", hasher, items, trie)
    yield from _shared_node_cases()
    yield from _batched_update_cases()
    yield from _broken_store_cases()


def _batched_update_cases() -> Iterator[CaseSpec]:
    """MPT-8's batched update (``Trie.update``, which the handler runs beside the operations and
    must agree): a run of one change before a long run below one branch (the run's end found by
    bisection), changes all below an extension, and the RLP edges of a leaf's value (one byte
    0x80, 256 bytes: the ends of the looked-up prefixes)."""
    value = bytes(range(40))
    spread = {bytes((0x05 + 0x10 * n, 0x01)): value for n in range(16)}
    long_run = [["put", "0a02", "0b"], *(["put", f"{0x10 + n:02x}03", "0c"] for n in range(40))]
    yield CaseSpec(
        "store_changes",
        "batched_long_run_after_a_single",
        "MPT-8: 41 changes below the root branch, a run of one (nibble 0) before 40 others",
        {"hasher": "rusty", "items": trie_items_json(spread), "operations": long_run},
    )
    under_extension = {bytes((0xAB, 0x01, n)): value for n in range(3)}
    yield CaseSpec(
        "store_changes",
        "batched_below_an_extension",
        "MPT-8: every change below the root extension, which stays (its branch rebuilt)",
        {
            "hasher": "rusty",
            "items": trie_items_json(under_extension),
            "operations": [["put", "ab0107", "01"], ["delete", "ab0100"]],
        },
    )
    beside = [["delete", "cd"], ["put", "ab0107", "01"]]
    yield CaseSpec(
        "store_changes",
        "batched_beside_and_below_an_extension",
        "MPT-8: a delete of an absent key leaving the root extension, and a put below it",
        {"hasher": "rusty", "items": trie_items_json(under_extension), "operations": beside},
    )
    yield CaseSpec(
        "store_changes",
        "batched_only_beside_an_extension",
        "MPT-8: only deletes of absent keys leaving the root extension: the trie unchanged",
        {"hasher": "rusty", "items": trie_items_json(under_extension), "operations": beside[:1]},
    )
    edge = {"11ddf19f": "54f4", "11dd4e": "18237588", "11": "70", "20": "0102"}
    yield CaseSpec(
        "store_changes",
        "extension_of_32_bytes",
        "MPT-4: an extension whose RLP is exactly 32 bytes is hashed, not inlined, in its parent",
        {"hasher": "rusty", "items": [], "operations": [["put", k, v] for k, v in edge.items()]},
    )
    yield CaseSpec(
        "store_changes",
        "leaf_value_rlp_edges",
        "MPT-3: leaf values of one byte 0x80 (a string prefix, not itself) and of 256 bytes",
        {
            "hasher": "rusty",
            "items": trie_items_json(spread),
            "operations": [
                ["put", "0a", "80"],
                ["put", "0b", (bytes(range(256))).hex()],
                ["put", "1a", "7f"],
            ],
        },
    )


def _pairs_json_known(pairs: tuple[tuple[bytes, bytes], ...]) -> list[JSON]:
    return [[k.hex(), v.hex()] for k, v in pairs]


def _store_json(store: Mapping[bytes, bytes]) -> list[JSON]:
    return [[h.hex(), n.hex()] for h, n in sorted(store.items())]


def _store_cases(label: str, hasher: TrieHasher, items: dict[bytes, bytes], trie: Trie) -> Iterator[CaseSpec]:
    name = hasher.name
    yield CaseSpec(
        "store_changes",
        f"from_empty_{label}",
        f"MPT-4/8: every stored node of a trie of {len(items)} keys, with its count",
        {"hasher": name, "items": [], "operations": [["put", k.hex(), v.hex()] for k, v in items.items()]},
    )
    yield CaseSpec(
        "store_changes",
        f"after_operations_{label}",
        f"MPT-8: the stored nodes that change when 12 operations run on a trie of {len(items)} keys",
        {
            "hasher": name,
            "items": trie_items_json(items),
            "operations": trie_operations(f"store/{label}", 12),
        },
    )
    present = sorted(items)
    yield CaseSpec(
        "store_changes",
        f"delete_everything_{label}",
        f"MPT-8: deleting every key of a trie of {len(items)} removes every stored node",
        {
            "hasher": name,
            "items": trie_items_json(items),
            "operations": [["delete", k.hex()] for k in present],
        },
    )
    store = _store_json(trie.node_store)
    probes = list({name: k for name, k in trie_probe_keys(items)}.items())
    for handler, description in (
        ("load_store", f"MPT-8: a trie of {len(items)} keys read back from its stored nodes, and lookups"),
        (
            "load_store_lazy",
            f"MPT-13: lookups and operations on a lazy trie of {len(items)} keys over its stored nodes",
        ),
    ):
        yield CaseSpec(
            handler,
            f"read_back_{label}",
            description,
            {
                "hasher": name,
                "root": trie.root_hash.hex(),
                "store": store,
                "keys": [k.hex() for _, k in probes],
                "operations": trie_operations(f"load/{label}", 8),
            },
        )
    yield CaseSpec(
        "load_store_lazy",
        f"delete_everything_{label}",
        f"MPT-13: deleting every key of a lazy trie of {len(items)} keys (collapses read the siblings)",
        {
            "hasher": name,
            "root": trie.root_hash.hex(),
            "store": store,
            "keys": [],
            "operations": [["delete", k.hex()] for k in sorted(items)],
        },
    )
    yield CaseSpec(
        "lazy_items",
        f"read_whole_{label}",
        f"MPT-13: every pair of a lazy trie of {len(items)} keys (each hash stub loaded on the walk)",
        {"hasher": name, "root": trie.root_hash.hex(), "store": store},
        known_output={"items": _pairs_json_known(trie.items()), "count": len(items)},
    )
    hashed = sorted(h for h in trie.node_store if h != trie.root_hash)
    if hashed:
        missing = hashed[len(hashed) // 2]
        yield CaseSpec(
            "lazy_items",
            f"missing_node_{label}",
            f"MPT-13: a lazy trie of {len(items)} keys read whole from a store that lacks one of its "
            "hashed nodes",
            {
                "hasher": name,
                "root": trie.root_hash.hex(),
                "store": _store_json({h: n for h, n in trie.node_store.items() if h != missing}),
            },
            expect_error="VM_WITNESS_INCOMPLETE",
        )
    for probe, key_bytes in probes:
        yield CaseSpec(
            "prove_stored",
            f"{label}_{probe}",
            f"MPT-10: the proof of a key ({probe}) read from the stored nodes of {len(items)} keys",
            {"hasher": name, "root": trie.root_hash.hex(), "store": store, "key": key_bytes.hex()},
        )


def _shared_node_cases() -> Iterator[CaseSpec]:
    """MPT-4: two places holding the same hashed node (equal key suffixes and values) count twice."""
    value = bytes(range(40))
    items = {b"\x10\xaa\xbb": value, b"\x20\xaa\xbb": value, b"\x30": b"\x01"}
    cases: tuple[tuple[str, str, list[JSON], list[JSON]], ...] = (
        (
            "shared_leaf_from_empty",
            "MPT-4: one leaf node stored under two keys' branch slots counts 2",
            [],
            [["put", k.hex(), v.hex()] for k, v in items.items()],
        ),
        (
            "shared_leaf_one_deleted",
            "MPT-4: deleting one of the two keys lowers the shared leaf's count by one",
            trie_items_json(items),
            [["delete", "10aabb"]],
        ),
        (
            "put_then_delete",
            "MPT-8: a key put then deleted gives back an equal trie (same root): unchanged, no node change",
            trie_items_json(items),
            [["put", "77", "01"], ["delete", "77"]],
        ),
        (
            "shared_leaf_value_changed",
            "MPT-4: a put that leaves the trie unchanged changes no stored node",
            trie_items_json(items),
            [["put", "30", "01"]],
        ),
    )
    for case, description, start, operations in cases:
        yield CaseSpec(
            "store_changes", case, description, {"hasher": "rusty", "items": start, "operations": operations}
        )


def _stored_trie_handlers(key: bytes) -> tuple[tuple[str, dict[str, JSON]], ...]:
    """The three readers of a node store and their inputs besides the store: a full load (no
    lookups), the proof of ``key`` and a lazy load looking ``key`` up."""
    return (
        ("load_store", {"keys": [], "operations": []}),
        ("prove_stored", {"key": key.hex()}),
        ("load_store_lazy", {"keys": [key.hex()], "operations": []}),
    )


def _broken_store_cases() -> Iterator[CaseSpec]:
    """MPT-8 stores that do not hold a canonical trie under the root: the MPT-11 codes."""
    items = trie_items("store/33", 33)
    trie = Trie.from_items(items, RUSTY_TRIE_HASHER)
    root = trie.root_hash
    store = dict(trie.node_store)
    key = sorted(items)[len(items) // 2]
    path = prove(trie, key)
    deep = path[-1]
    deep_hash = RUSTY_TRIE_HASHER.digest(deep)
    missing = {h: n for h, n in store.items() if h != deep_hash}
    swapped = {**store, deep_hash: path[-2]}
    broken: list[tuple[str, str, dict[bytes, bytes], bytes, str]] = [
        ("missing_node", "a node on the path is not in the store", missing, root, "TRIE_PROOF_MISSING_NODE"),
        ("missing_root", "the root is not in the store", missing, bytes(32), "TRIE_PROOF_MISSING_NODE"),
        ("wrong_node", "a hash maps to another node", swapped, root, "TRIE_PROOF_HASH_MISMATCH"),
    ]
    for case, description, nodes, at, error in broken:
        for handler, extra in _stored_trie_handlers(key):
            lazy_error = "VM_WITNESS_INCOMPLETE" if error == "TRIE_PROOF_MISSING_NODE" else error
            yield CaseSpec(
                handler,
                case,
                f"MPT-{'13' if handler == 'load_store_lazy' else '8/11'}: {description}",
                {"hasher": "rusty", "root": at.hex(), "store": _store_json(nodes), **extra},
                expect_error=lazy_error if handler == "load_store_lazy" else error,
            )
    yield CaseSpec(
        "load_store_lazy",
        "missing_node_not_needed",
        "MPT-13: a node no lookup or operation needs may be missing from the store",
        {
            "hasher": "rusty",
            "root": root.hex(),
            "store": _store_json(missing),
            "keys": [sorted(items)[0].hex()],
            "operations": [["put", sorted(items)[0].hex(), "07"]],
        },
    )
    hasher = RUSTY_TRIE_HASHER
    leaf = trie_enc([trie_hp([1, 2], True), bytes(range(40))])
    extension = trie_enc([trie_hp([10], False), hasher.digest(leaf)])
    short = trie_enc([trie_hp([3], True), b"\x01"])
    other = trie_enc([trie_hp([4], True), bytes(range(40))])
    branch = trie_enc([b"", hasher.digest(short), hasher.digest(other), *([b""] * 13), b""])
    crafted: list[tuple[str, str, bytes, list[bytes], bytes]] = [
        (
            "extension_over_leaf",
            "an extension whose hashed child is a leaf",
            extension,
            [extension, leaf],
            b"\xa1",
        ),
        (
            "short_hashed_child",
            "a node of fewer than 32 bytes stored by hash",
            branch,
            [branch, short, other],
            b"\x13",
        ),
    ]
    for case, description, top, stored, probe in crafted:
        store_nodes = {hasher.digest(n): n for n in stored}
        for handler, extra in _stored_trie_handlers(probe):
            yield CaseSpec(
                handler,
                case,
                f"MPT-8/11: {description}",
                {
                    "hasher": "rusty",
                    "root": hasher.digest(top).hex(),
                    "store": _store_json(store_nodes),
                    **extra,
                },
                expect_error="TRIE_PROOF_INVALID_NODE",
            )
    small = {b"\x01": b"\x02"}
    small_trie = Trie.from_items(small, hasher)
    yield CaseSpec(
        "load_store",
        "short_root_then_grow",
        "MPT-4/8: a root shorter than 32 bytes is stored by its hash too; inserts on the loaded trie",
        {
            "hasher": "rusty",
            "root": small_trie.root_hash.hex(),
            "store": _store_json(small_trie.node_store),
            "keys": ["01"],
            "operations": [["put", "0102", bytes(range(40)).hex()], ["put", "11", "aa"]],
        },
    )
    yield CaseSpec(
        "load_store_lazy",
        "short_root_then_grow",
        "MPT-13: a lazy trie whose root is shorter than 32 bytes; inserts on it",
        {
            "hasher": "rusty",
            "root": small_trie.root_hash.hex(),
            "store": _store_json(small_trie.node_store),
            "keys": ["01", "02"],
            "operations": [["put", "0102", bytes(range(40)).hex()], ["put", "11", "aa"], ["delete", "01"]],
        },
    )
    inline = Trie.from_items({b"\x10": b"\x01", b"\x11": b"\x02", b"\x12": b"\x03"}, hasher)
    yield CaseSpec(
        "load_store_lazy",
        "extension_over_inline_branch",
        "MPT-13: a root extension whose branch is inline (shorter than 32 bytes)",
        {
            "hasher": "rusty",
            "root": inline.root_hash.hex(),
            "store": _store_json(inline.node_store),
            "keys": ["10", "12", "13"],
            "operations": [["put", "13", "04"], ["delete", "10"]],
        },
    )
    inline_leaf = [trie_hp([], True), b"\x01"]
    tiny_branch = trie_enc([b"", inline_leaf, inline_leaf, *([b""] * 13), b""])
    over_short = trie_enc([trie_hp([10], False), hasher.digest(tiny_branch)])
    for handler in ("load_store", "load_store_lazy"):
        yield CaseSpec(
            handler,
            "extension_over_short_branch",
            "MPT-8/11/13: an extension whose branch, shorter than 32 bytes, is stored by hash",
            {
                "hasher": "rusty",
                "root": hasher.digest(over_short).hex(),
                "store": _store_json({hasher.digest(n): n for n in (over_short, tiny_branch)}),
                "keys": ["a1"],
                "operations": [],
            },
            expect_error="TRIE_PROOF_INVALID_NODE",
        )
    empty = RUSTY_TRIE_HASHER.empty_root.hex()
    lookups: dict[str, JSON] = {"keys": ["00"], "operations": [["put", "00", "01"]]}
    readers: tuple[tuple[str, str, dict[str, JSON]], ...] = (
        ("load_store_lazy", "MPT-13: the empty root reads no node", lookups),
        ("load_store", "MPT-8: the empty root needs no stored node", lookups),
        ("prove_stored", "MPT-10: the empty trie's proof is empty", {"key": "00"}),
    )
    for handler, description, extra in readers:
        yield CaseSpec(
            handler, "empty_root", description, {"hasher": "rusty", "root": empty, "store": [], **extra}
        )


def p2p_cases(preset: Preset) -> Iterator[CaseSpec]:
    """P2P-1/2 re-encoding of every valid frame, P2P-KAD-3 removal from the replacement cache,
    P2P-KAD-4 lookups."""
    for spec in p2p_generator.generate(preset):
        if spec.handler == "decode_frame":
            yield CaseSpec(
                "encode_frame",
                spec.case,
                f"P2P-1/2: decode and encode again ({spec.description})",
                spec.input,
                expect_error=spec.expect_error,
            )
    own = p2p_node_id("own")
    k = preset.network.kademlia_k
    far = [p2p_address(node_in_bucket(own, 0, f"adequacy/far/{i}"), i) for i in range(k + 2)]
    operations: list[JSON] = [{"insert": node_json(n), "head_alive": True} for n in far]
    operations.append({"remove": far[k].node_id.hex()})
    yield CaseSpec(
        "kademlia_sequence",
        "remove_from_replacements",
        "P2P-KAD-3: removing a node that is only in the replacement cache leaves the bucket's nodes",
        {"own_id": own.hex(), "operations": operations},
    )
    evict: list[JSON] = [{"insert": node_json(n), "head_alive": True} for n in far[: k + 1]]
    evict.append({"insert": node_json(far[k]), "head_alive": False})
    yield CaseSpec(
        "kademlia_sequence",
        "cached_node_replaces_dead_head",
        "P2P-KAD-2: a node waiting in the replacement cache is seen again while the head is dead: it "
        "takes a bucket place and leaves the cache",
        {"own_id": own.hex(), "operations": evict},
    )
    yield from _lookup_cases(preset, own)


def _lookup_cases(preset: Preset, own: bytes) -> Iterator[CaseSpec]:
    k, alpha = preset.network.kademlia_k, preset.network.kademlia_alpha
    known = [p2p_address(node_in_bucket(own, b, f"adequacy/known/{b}"), b) for b in range(0, 24, 2)]
    target = p2p_node_id("adequacy/target")
    heard = [p2p_address(p2p_node_id(f"adequacy/heard/{i}"), 100 + i) for i in range(k + 3)]
    table = known[: k + 1]
    events: list[JSON] = [{"query": 0}]
    # The first answer: new nodes, one already known, our own id (never kept).
    first_answer = [*heard[: k // 2], table[0], p2p_address(own, 0)]
    events.append({"answer": table[0].node_id.hex(), "nodes": [node_json(n) for n in first_answer]})
    events.append({"failure": heard[0].node_id.hex()})
    events.append({"query": alpha - 1})
    # A later answer repeats the failed node (it stays out) and brings more.
    events.append(
        {"answer": heard[1].node_id.hex(), "nodes": [node_json(n) for n in [heard[0], *heard[k // 2 :]]]}
    )
    for _ in range(2 * k):
        events.append({"query": 0})
    yield CaseSpec(
        "kademlia_lookup",
        "answers_and_failures",
        "P2P-KAD-4: a lookup seeded from the table, answers merged (own id and failed nodes left "
        "out), a failure, queries until every shortlist node was queried",
        {
            "own_id": own.hex(),
            "nodes": [node_json(n) for n in table],
            "target": target.hex(),
            "events": events,
        },
    )
    yield CaseSpec(
        "kademlia_lookup",
        "empty_table",
        "P2P-KAD-4: a lookup from an empty table has nothing to query and is done at once",
        {"own_id": own.hex(), "nodes": [], "target": target.hex(), "events": [{"query": 0}]},
    )
    yield CaseSpec(
        "kademlia_lookup",
        "no_room_in_flight",
        "P2P-KAD-4: with alpha (and more) requests in flight a query event chooses nobody; with none "
        "in flight it chooses alpha nodes",
        {
            "own_id": own.hex(),
            "nodes": [node_json(n) for n in table],
            "target": target.hex(),
            "events": [{"query": alpha}, {"query": alpha + 3}, {"query": 0}],
        },
    )


def chain_cases(preset: Preset) -> Iterator[CaseSpec]:
    """POW-1 with a four-byte target, RWD-2 without voters."""
    yield CaseSpec(
        "encode_compact",
        "four_byte_target",
        "POW-1: a target of exactly four bytes keeps its top three (exponent 4)",
        {"target": f"{0x12345678:064x}"},
    )
    yield CaseSpec(
        "encode_compact",
        "three_byte_target",
        "POW-1: a target of exactly three bytes is its own mantissa (exponent 3)",
        {"target": f"{0x123456:064x}"},
    )
    for due in (False, True):
        yield CaseSpec(
            "split_reward",
            f"no_voters_masternode_{str(due).lower()}",
            "RWD-2: no voters, so the stakers' share goes to the miner",
            {"reward": 1_234_567_891, "voters": 0, "masternode_due": due},
        )
    yield CaseSpec(
        "split_reward",
        "one_voter",
        "RWD-2: a single voter takes the whole stakers' share",
        {"reward": 1_234_567_891, "voters": 1, "masternode_due": False},
    )
    yield from _block_at_size_limit(preset)


def _block_at_size_limit(preset: Preset) -> Iterator[CaseSpec]:
    """BLK-1: a block of exactly max_block_bytes is not too large (devnet only: 8 MB of hex)."""
    if preset.name != "devnet":
        return
    limit = preset.chain.max_block_bytes
    half = preset.ledger.max_transaction_bytes // 2
    filler = b"\x6a" + bytes(half - 1_000)
    big = Transaction(1, (TxInput(OutPoint(bytes(32), 0), b"", SEQUENCE_FINAL),), (TxOutput(1, filler),), 0)
    cb = coinbase_transaction(0, [TxOutput(1, key("big-block").script_pubkey)])

    def block(count: int, last_pad: int) -> Block:
        last = replace(big, lock_time=count, outputs=(TxOutput(1, b"\x6a" + bytes(last_pad)),))
        transactions = (cb, *(replace(big, lock_time=i) for i in range(count)), last)
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
        return Block(header, (), transactions)

    count = (limit - half) // len(encode_transaction(big, preset))
    pad = half
    for _ in range(8):
        size = len(encode_block(block(count, pad), preset))
        if size == limit:
            break
        pad += limit - size
    exact = block(count, pad)
    if len(encode_block(exact, preset)) != limit:
        raise AssertionError("cannot build a block of exactly max_block_bytes")
    yield CaseSpec(
        "apply_blocks",
        "block_exactly_max_bytes",
        "BLK-1: a block of exactly max_block_bytes passes the size check (its made-up inputs fail later)",
        {"blocks": [encode_block(exact, preset).hex()]},
        expect_error="TX_MISSING_INPUT",
    )


def ledger_cases(preset: Preset) -> Iterator[CaseSpec]:
    """TX-2..TX-11 boundaries, CHECKLOCKTIMEVERIFY and CHECKSEQUENCEVERIFY through the transaction
    checker, MEMPOOL-1/2/4 boundaries, SNAP-2 on every chunk."""
    yield from _transaction_cases(preset)
    yield from _lock_script_cases(preset)
    yield from _mempool_cases(preset)
    yield from _snapshot_cases(preset)
    yield from _coinbase_and_undo_cases(preset)
    yield from _fast_path_cases(preset)
    yield from _built_transaction_cases(preset)


def _transaction_fields(tx: Transaction) -> dict[str, JSON]:
    """The input of ``encode_transaction``: ``tx`` field by field."""
    return {
        "version": tx.version,
        "inputs": [
            {
                "txid": i.previous_output.txid.hex(),
                "index": i.previous_output.index,
                "script_sig": i.script_sig.hex(),
                "sequence": i.sequence,
            }
            for i in tx.inputs
        ],
        "outputs": [
            {
                "value": o.value if o.value <= 2**53 - 1 else str(o.value),
                "script_pubkey": o.script_pubkey.hex(),
            }
            for o in tx.outputs
        ],
        "lock_time": tx.lock_time,
    }


def _built_transaction_cases(preset: Preset) -> Iterator[CaseSpec]:
    """TXF-1/2 on both sides of the memo of issue 14: a transaction built from fields (its txid
    computed before any encoding of it is known: ``fast_transaction_bytes(strip=True)``), and a
    decoded one whose script_sig's length prefix takes two bytes (``strip_encoded_scripts`` at the
    0x80 boundary)."""
    alice, bob = key("built-alice"), key("built-bob")
    utxos = _plain_utxos([(alice, 500_000), (bob, 300_000)])
    spend = spend_p2pkh(utxos, sorted(utxos), [alice, bob], [TxOutput(700_000, bob.script_pubkey)], preset)
    long_sig = replace(spend, inputs=(replace(spend.inputs[0], script_sig=b"\x51" * 128), spend.inputs[1]))
    for name, description, tx in (
        ("p2pkh_spend", "a signed two-input P2PKH spend", spend),
        ("script_sig_of_128_bytes", "a first script_sig of 128 bytes (a two-byte length prefix)", long_sig),
    ):
        raw = encode_transaction(tx, preset)
        decoded = decode_transaction(raw, preset)  # ids through the decoded bytes' memo
        yield CaseSpec(
            "encode_transaction",
            name,
            f"TXF-1..3: {description} given field by field; its txid is the one of its encoding",
            _transaction_fields(tx),
            known_output={
                "txid": txid(decoded, preset).hex(),
                "wtxid": wtxid(decoded, preset).hex(),
                "transaction": raw.hex(),
            },
        )
    yield CaseSpec(
        "decode_transaction",
        "script_sig_of_128_bytes",
        "TXF-2: the txid of a decoded transaction whose first script_sig has 128 bytes (its length "
        "prefix takes two bytes, and is cut with the script)",
        {"transaction": encode_transaction(long_sig, preset).hex()},
    )
    for name, description, tx in (
        (
            "output_value_2_pow_64",
            "an output value of 2^64 (above u64)",
            replace(spend, outputs=(TxOutput(1 << 64, b"\x51"),)),
        ),
        ("version_2_pow_32", "a version of 2^32 (above u32)", replace(spend, version=1 << 32)),
    ):
        yield CaseSpec(
            "encode_transaction",
            name,
            f"TXF-1/2: a transaction with {description} has no encoding, so no txid",
            _transaction_fields(tx),
            expect_error="ENCODE_OUT_OF_RANGE",
        )


def _fast_path_cases(preset: Preset) -> Iterator[CaseSpec]:
    """Inputs just outside the written-out fast paths of issue 14 (``plain_p2pkh_fee``,
    ``fast_transaction_bytes``, ``encode_entry``): the readable rules must decide them, with the
    same result or error code as everywhere else."""
    alice, bob = key("lookalike-alice"), key("lookalike-bob")
    utxos = _plain_utxos([(alice, 1_000_000)])
    (coin,) = utxos
    spend = _sized_spend(utxos, coin, alice, preset, 2, payee=bob)
    signature_only = replace(
        spend, inputs=(replace(spend.inputs[0], script_sig=spend.inputs[0].script_sig[:65]),)
    )
    yield _validate(
        "p2pkh_script_sig_without_key",
        "TX-12: a P2PKH spend whose script_sig pushes only the 64-byte signature (65 bytes, not the "
        "98-byte template): the script runs, OP_DUP OP_BLAKE3 hashes the signature",
        utxos,
        signature_only,
        preset,
        "SCRIPT_EQUALVERIFY_FAILED",
    )
    script = alice.script_pubkey
    lookalike = script[: len(P2PKH_PREFIX) + KEY_HASH_BYTES] + bytes([Opcode.OP_RETURN]) + script[-2:]
    wrong_suffix = script[: len(P2PKH_PREFIX) + KEY_HASH_BYTES] + bytes(
        [Opcode.OP_RETURN, Opcode.OP_CHECKSIG]
    )
    for case, description, spent in (
        (
            "p2pkh_lookalike_script",
            "TX-12: a spent script with the P2PKH prefix, key hash and suffix but one more byte "
            "(OP_RETURN) between them is no P2PKH script: it runs, and fails",
            lookalike,
        ),
        (
            "p2pkh_lookalike_suffix",
            "TX-12: a 37-byte spent script with the P2PKH prefix and key hash but another suffix "
            "(OP_RETURN OP_CHECKSIG) is no P2PKH script: it runs, and fails",
            wrong_suffix,
        ),
    ):
        odd = {coin: UtxoEntry(TxOutput(1_000_000, spent), 0, False)}
        yield _validate(
            case,
            description,
            odd,
            _sized_spend(odd, coin, alice, preset, 2, payee=bob),
            preset,
            "SCRIPT_RETURN",
        )
    # Relative locks not disabled (sequence 0): the written-out P2PKH path declines these and the
    # readable checks decide.
    rich = {coin: UtxoEntry(TxOutput(preset.ledger.max_money, alice.script_pubkey), 0, False)}
    yield _validate(
        "input_of_max_money_with_relative_lock",
        "TX-7: one input of exactly max_money (a P2PKH spend with a relative lock of 0 blocks) is valid",
        rich,
        _sized_spend(rich, coin, alice, preset, 2, sequence=0),
        preset,
    )
    funded = _spend_script(utxos, [coin], [alice], [TxOutput(1_050_000, bob.script_pubkey)], preset, 0, [0])
    yield CaseSpec(
        "mempool_sequence",
        "escrow_release_with_relative_lock",
        "SC-PEG-4 / TX-9: outputs 50,000 above the input (a spend with a relative lock of 0 blocks) "
        "are refused without a release and admitted with a release of 60,000",
        {
            "utxos": utxos_to_json(utxos),
            "height": 1_000,
            "median_time_past": MTP,
            "template_bytes": 100_000,
            "transactions": [_hex(funded, preset), _hex(funded, preset)],
            "released": [0, 60_000],
        },
    )
    for name, script_pubkey, height, description, error in (
        ("script_of_128_bytes", b"\x51" * 128, 5, "a 128-byte script: a two-byte length prefix", None),
        ("height_2_pow_32", b"\x51", 1 << 32, "a height above u32", "ENCODE_OUT_OF_RANGE"),
    ):
        entries = {coin: UtxoEntry(TxOutput(7, script_pubkey), height, False)}
        yield CaseSpec(
            "state_root",
            name,
            f"STATE-1: a UTXO entry with {description}",
            {"utxos": utxos_to_json(entries)},
            expect_error=error,
        )
    sighash_inputs: tuple[tuple[str, int, JSON, bytes, str], ...] = (
        ("input_index_2_pow_32", 1 << 32, 1_000_000, script, "an input index of 2^32 (above u32)"),
        ("spent_value_2_pow_64", 0, str(1 << 64), script, "a spent value of 2^64 (above u64)"),
        (
            "spent_script_above_max_transaction_bytes",
            0,
            1_000_000,
            b"\x51" * (preset.ledger.max_transaction_bytes + 1),
            "a spent script of max_transaction_bytes + 1 bytes",
        ),
    )
    for name, index, value, spent_script, description in sighash_inputs:
        yield CaseSpec(
            "signature_hash",
            name,
            f"TXF-5: a signature hash preimage with {description} has no encoding",
            {
                "transaction": _hex(spend, preset),
                "input_index": index,
                "spent_value": value,
                "spent_script_pubkey": spent_script.hex(),
            },
            expect_error="ENCODE_OUT_OF_RANGE",
        )
    yield CaseSpec(
        "coinbase_transaction",
        "outputs_above_max_inputs_plus_outputs",
        "TXF-1/4: a coinbase of max_inputs_plus_outputs + 1 outputs has no encoding",
        {
            "height": 5,
            "outputs": [{"value": 1, "script_pubkey": "51"}] * (preset.ledger.max_inputs_plus_outputs + 1),
        },
        expect_error="ENCODE_OUT_OF_RANGE",
    )
    yield CaseSpec(
        "coinbase_transaction",
        "height_2_pow_32",
        "TXF-1/4: the coinbase of height 2^32 has no encoding (its lock_time is a u32)",
        {"height": 1 << 32, "outputs": [{"value": 1, "script_pubkey": "51"}]},
        expect_error="ENCODE_OUT_OF_RANGE",
    )
    coinbase_outputs: tuple[tuple[str, JSON, str, str], ...] = (
        ("value_2_pow_64", str(1 << 64), "51", "an output value of 2^64 (above u64)"),
        (
            "script_above_max_transaction_bytes",
            1,
            "51" * (preset.ledger.max_transaction_bytes + 1),
            "an output script of max_transaction_bytes + 1 bytes",
        ),
    )
    for name, value, script_hex, description in coinbase_outputs:
        yield CaseSpec(
            "coinbase_transaction",
            name,
            f"TXF-1/4: a coinbase paying {description} has no encoding",
            {"height": 5, "outputs": [{"value": value, "script_pubkey": script_hex}]},
            expect_error="ENCODE_OUT_OF_RANGE",
        )


def _coinbase_and_undo_cases(preset: Preset) -> Iterator[CaseSpec]:
    """TXF-4 coinbases, UTXO-2 undo of a block that starts with its coinbase."""
    alice, bob = key("alice"), key("bob")
    for height, outputs in ((0, [alice]), (7, [alice, bob, alice]), (2**31 + 5, [bob])):
        yield CaseSpec(
            "coinbase_transaction",
            f"height_{height}_{len(outputs)}_outputs",
            f"TXF-4: the coinbase of height {height} paying {len(outputs)} outputs",
            {
                "height": height,
                "outputs": [
                    {"value": 1_000 + i, "script_pubkey": k.script_pubkey.hex()}
                    for i, k in enumerate(outputs)
                ],
            },
        )
    utxos = _plain_utxos([(alice, 100_000)])
    spend = spend_p2pkh(utxos, sorted(utxos), [alice], [TxOutput(90_000, bob.script_pubkey)], preset)
    block = [coinbase_transaction(12, [TxOutput(5_000, bob.script_pubkey)]), spend]
    after, undos = apply_transactions(utxos, block, 12, preset)
    yield CaseSpec(
        "undo_transactions",
        "block_with_coinbase",
        "UTXO-2/3: undoing a block's coinbase (it spent nothing) and a spend, in reverse order",
        {
            "utxos": utxos_to_json(after),
            "transactions": [_hex(t, preset) for t in block],
            "undo": [[utxos_to_json({o: e})[0] for o, e in u.spent] for u in undos],
            "height": 12,
        },
        known_output={"utxos": utxos_to_json(utxos), "state_root": utxo_state_root(utxos, preset).hex()},
    )
    for name, description, tx in (
        ("spend", "a P2PKH spend: its input leaves, its output enters", spend),
        ("coinbase", "a coinbase spends nothing", block[0]),
        (
            "spend_twice_in_one",
            "one input listed twice: the second finds nothing",
            replace(spend, inputs=spend.inputs * 2),
        ),
    ):
        yield CaseSpec(
            "apply_transaction",
            name,
            f"UTXO-1/2: {description}",
            {"utxos": utxos_to_json(utxos), "transaction": _hex(tx, preset), "height": 12},
            expect_error="TX_MISSING_INPUT" if name == "spend_twice_in_one" else None,
        )
    yield CaseSpec(
        "apply_transaction",
        "missing_input",
        "UTXO-1: an input that is not in the set",
        {"utxos": [], "transaction": _hex(spend, preset), "height": 12},
        expect_error="TX_MISSING_INPUT",
    )
    yield CaseSpec(
        "apply_transactions",
        "block_with_coinbase",
        "UTXO-1..3: a coinbase and a spend; the undo data lists nothing for the coinbase",
        {"utxos": utxos_to_json(utxos), "transactions": [_hex(t, preset) for t in block], "height": 12},
    )


def _validate(
    case: str,
    description: str,
    utxos: dict[OutPoint, UtxoEntry],
    tx: Transaction,
    preset: Preset,
    error: str | None = None,
    height: int = 1_000,
    median_time_past: int = MTP,
) -> CaseSpec:
    return CaseSpec(
        "validate_transaction",
        case,
        description,
        {
            "utxos": utxos_to_json(utxos),
            "height": height,
            "median_time_past": median_time_past,
            "transaction": _hex(tx, preset),
        },
        expect_error=error,
    )


def _transaction_cases(preset: Preset) -> Iterator[CaseSpec]:
    alice, bob = key("alice"), key("bob")
    ledger = preset.ledger
    max_money = ledger.max_money
    plain = _plain_utxos([(alice, 100_000), (bob, 100_000)])
    coins = sorted(plain)
    yield _validate(
        "output_exactly_max_money",
        "TX-4: an output of exactly max_money is in range (then TX-9 refuses it: inputs are 100,000)",
        plain,
        spend_p2pkh(plain, coins[:1], [alice], [TxOutput(max_money, bob.script_pubkey)], preset),
        preset,
        "TX_INSUFFICIENT_INPUT_VALUE",
    )
    yield _validate(
        "outputs_one_then_max_money",
        "TX-4: outputs 1 and max_money, each in range, sum to max_money + 1",
        plain,
        spend_p2pkh(
            plain, coins[:1], [alice], [TxOutput(1, bob.script_pubkey), TxOutput(max_money, b"\x51")], preset
        ),
        preset,
        "TX_OUTPUT_VALUE_OUT_OF_RANGE",
    )
    count = ledger.max_inputs_plus_outputs
    yield _validate(
        "inputs_plus_outputs_at_limit",
        f"TX-2: one input and {count - 1} outputs, exactly max_inputs_plus_outputs, is valid",
        plain,
        spend_p2pkh(plain, coins[:1], [alice], [TxOutput(1, bob.script_pubkey)] * (count - 1), preset),
        preset,
    )
    rich = _plain_utxos([(alice, max_money), (bob, 1)])
    rich_coins = sorted(rich)
    yield _validate(
        "input_exactly_max_money",
        "TX-8: a spent entry of exactly max_money is in range",
        rich,
        spend_p2pkh(rich, rich_coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset),
        preset,
    )
    yield _validate(
        "inputs_max_money_plus_one",
        "TX-8: entries of max_money and 1, each in range, sum to max_money + 1",
        rich,
        spend_p2pkh(rich, rich_coins, [alice, bob], [TxOutput(90_000, bob.script_pubkey)], preset),
        preset,
        "TX_INPUT_VALUE_OUT_OF_RANGE",
    )
    # TX-8 maturity counts from the coinbase's own height (not from 0).
    maturity = ledger.coinbase_maturity
    cb = coinbase_transaction(7, [TxOutput(100_000, alice.script_pubkey)])
    late, _ = apply_transaction({}, cb, 7, preset)
    late_spend = spend_p2pkh(late, sorted(late), [alice], [TxOutput(90_000, bob.script_pubkey)], preset)
    yield _validate(
        "immature_coinbase_from_height_7",
        "TX-8: a coinbase of height 7 spent at 7 + maturity - 1",
        late,
        late_spend,
        preset,
        "TX_IMMATURE_COINBASE_SPEND",
        height=7 + maturity - 1,
    )
    yield _validate(
        "mature_coinbase_from_height_7",
        "TX-8: a coinbase of height 7 spent at 7 + maturity",
        late,
        late_spend,
        preset,
        height=7 + maturity,
    )
    # SCRIPT-9 through TX-12: exactly the per-transaction sigop budget is allowed.
    budget = preset.script.max_sigops_per_tx
    signers = [key(f"sigop{i}") for i in range(budget)]
    wide = _plain_utxos([(k, 1_000) for k in signers])
    yield _validate(
        "sigop_budget_exactly",
        f"TX-12: {budget} P2PKH inputs, exactly max_sigops_per_tx",
        wide,
        spend_p2pkh(wide, sorted(wide), signers, [TxOutput(budget * 1_000, bob.script_pubkey)], preset),
        preset,
    )
    # TX-10.
    zero_lock = _spend_script(
        plain, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset, 0, [NON_FINAL]
    )
    yield _validate(
        "lock_time_zero_at_height_zero",
        "TX-10: lock_time 0 is final even at height 0 with a non-final sequence",
        plain,
        zero_lock,
        preset,
        height=0,
    )
    threshold = ledger.lock_time_threshold
    at_threshold = _spend_script(
        plain, coins[:1], [alice], [TxOutput(90_000, bob.script_pubkey)], preset, threshold, [NON_FINAL]
    )
    yield _validate(
        "lock_time_exactly_threshold",
        "TX-10: lock_time equal to lock_time_threshold is a time (compared with the median time past)",
        plain,
        at_threshold,
        preset,
    )
    # TX-11: an input without a relative lock does not end the check of the next input.
    two = _spend_script(
        plain,
        coins,
        [alice, bob],
        [TxOutput(190_000, bob.script_pubkey)],
        preset,
        0,
        [SEQUENCE_FINAL, 10],
    )
    yield _validate(
        "relative_lock_second_input",
        "TX-11: the first input has no relative lock, the second's is 10 blocks (coin height 5, at 14)",
        _plain_utxos([(alice, 100_000), (bob, 100_000)], height=5),
        two,
        preset,
        "TX_RELATIVE_LOCK_NOT_MET",
        height=14,
    )


def _lock_script(opcode: Opcode, operand: int, owner: Key) -> bytes:
    return encode_push(encode_number(operand)) + bytes([opcode, Opcode.OP_DROP]) + owner.script_pubkey


def _lock_script_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SCRIPT-17 through the ledger's checker (TX-12): ``<n> OP_CHECKLOCKTIMEVERIFY OP_DROP`` and
    ``<n> OP_CHECKSEQUENCEVERIFY OP_DROP`` in front of a P2PKH script."""
    alice, bob = key("alice"), key("bob")
    threshold = preset.ledger.lock_time_threshold
    pay = [TxOutput(90_000, bob.script_pubkey)]
    cltv: list[tuple[str, str, int, int, int, str | None]] = [
        # (case, description, script operand, tx lock_time, input sequence, error)
        ("cltv_equal", "operand equal to the tx lock_time", 10, 10, NON_FINAL, None),
        ("cltv_above", "operand above the tx lock_time", 11, 10, NON_FINAL, "SCRIPT_UNSATISFIED_LOCKTIME"),
        ("cltv_zero", "operand 0 and lock_time 0 (a height)", 0, 0, NON_FINAL, None),
        (
            "cltv_final_input",
            "the spending input is final",
            10,
            10,
            SEQUENCE_FINAL,
            "SCRIPT_UNSATISFIED_LOCKTIME",
        ),
        (
            "cltv_height_vs_time",
            "a height operand against a time lock_time",
            10,
            threshold,
            NON_FINAL,
            "SCRIPT_UNSATISFIED_LOCKTIME",
        ),
        (
            "cltv_time_vs_height",
            "a time operand (the threshold itself) against a height lock_time",
            threshold,
            10,
            NON_FINAL,
            "SCRIPT_UNSATISFIED_LOCKTIME",
        ),
        (
            "cltv_threshold",
            "operand and lock_time both exactly the threshold (times)",
            threshold,
            threshold,
            NON_FINAL,
            None,
        ),
    ]
    for case, description, operand, lock_time, sequence, error in cltv:
        utxos = {
            OutPoint(bytes([0xC1]) * 32, 0): UtxoEntry(
                TxOutput(100_000, _lock_script(Opcode.OP_CHECKLOCKTIMEVERIFY, operand, alice)), 0, False
            )
        }
        tx = _spend_script(utxos, sorted(utxos), [alice], pay, preset, lock_time, [sequence])
        yield _validate(case, f"SCRIPT-17 CHECKLOCKTIMEVERIFY: {description}", utxos, tx, preset, error)
    disable, type_flag = 1 << 31, 1 << 22
    csv: list[tuple[str, str, int, int, str | None]] = [
        # (case, description, script operand, input sequence, error)
        ("csv_equal", "operand equal to the input's relative lock", 5, 5, None),
        ("csv_above", "operand one above the input's relative lock", 5, 4, "SCRIPT_UNSATISFIED_SEQUENCE"),
        ("csv_zero", "operand 0 against a relative lock of 0", 0, 0, None),
        ("csv_operand_disabled", "operand with the disable flag: no check", disable | 5, 4, None),
        (
            "csv_input_disabled",
            "the input's sequence disables its relative lock",
            5,
            NON_FINAL,
            "SCRIPT_UNSATISFIED_SEQUENCE",
        ),
        (
            "csv_operand_time",
            "operand with the type flag (time)",
            type_flag | 5,
            5,
            "SCRIPT_UNSATISFIED_SEQUENCE",
        ),
        (
            "csv_input_disabled_only",
            "the input's sequence has only the disable flag (0x80000005): the relative lock is off",
            5,
            disable | 5,
            "SCRIPT_UNSATISFIED_SEQUENCE",
        ),
        ("csv_masked", "operand 0x10005 compares its low 16 bits (5) with the input's 6", 0x10005, 6, None),
    ]
    for case, description, operand, sequence, error in csv:
        utxos = {
            OutPoint(bytes([0xC5]) * 32, 0): UtxoEntry(
                TxOutput(100_000, _lock_script(Opcode.OP_CHECKSEQUENCEVERIFY, operand, alice)), 0, False
            )
        }
        tx = _spend_script(utxos, sorted(utxos), [alice], pay, preset, 0, [sequence])
        yield _validate(case, f"SCRIPT-17 CHECKSEQUENCEVERIFY: {description}", utxos, tx, preset, error)


def _sequence(
    case: str,
    description: str,
    utxos: dict[OutPoint, UtxoEntry],
    transactions: Sequence[Transaction],
    preset: Preset,
    template_bytes: int = 100_000,
) -> CaseSpec:
    return CaseSpec(
        "mempool_sequence",
        case,
        description,
        {
            "utxos": utxos_to_json(utxos),
            "height": 1_000,
            "median_time_past": MTP,
            "template_bytes": template_bytes,
            "transactions": [_hex(t, preset) for t in transactions],
        },
    )


def _mempool_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MEMPOOL-1/2 exactly at the fee limits, MEMPOOL-4 templates at their byte budget."""
    names = ["alice", "bob", "carol", "dave", "erin", "frank"]
    owners = [key(n) for n in names]
    utxos = _plain_utxos([(o, 1_000_000) for o in owners])
    coins = sorted(utxos)
    policy = preset.mempool
    exact = _sized_spend(utxos, coins[0], owners[0], preset, policy.min_fee_rate)
    under = _sized_spend(utxos, coins[0], owners[0], preset, policy.min_fee_rate, extra_fee=-1)
    # A child of an unconfirmed parent with an enabled relative lock of 0 blocks: the parent's
    # outputs count as created at the next block's height (MEMPOOL-1).
    view = {**utxos, **apply_transaction(utxos, exact, 1_000, preset)[0]}
    child = _sized_spend(view, OutPoint(txid(exact, preset), 0), owners[0], preset, 5, sequence=0)
    yield _sequence(
        "fee_rate_at_minimum",
        "MEMPOOL-1: a fee of min_fee_rate x size less one atom is refused, exactly it is admitted; "
        "a child spends the unconfirmed output with a relative lock of 0 blocks",
        utxos,
        [under, exact, child],
        preset,
    )
    incremental = policy.incremental_fee_rate
    size = transaction_size(exact, preset)
    # MEMPOOL-2 (c): the replacement's fee is exactly the replaced fee plus incremental x its size.
    replacement = _sized_spend(
        utxos, coins[0], owners[0], preset, incremental, extra_fee=policy.min_fee_rate * size, payee=owners[1]
    )
    short = _sized_spend(
        utxos,
        coins[0],
        owners[0],
        preset,
        incremental,
        extra_fee=policy.min_fee_rate * size - 1,
        payee=owners[1],
    )
    yield _sequence(
        "replacement_fee_exact",
        "MEMPOOL-2 (c): a replacement paying one atom less than the replaced fee plus "
        "incremental_fee_rate x its size is refused; exactly that is admitted",
        utxos,
        [exact, short, replacement],
        preset,
    )
    # MEMPOOL-2 (b): the same fee rate as the conflict is not enough, even when (c) holds.
    small = _sized_spend(utxos, coins[1], owners[1], preset, 2)
    large = _sized_spend(
        utxos, coins[1], owners[1], preset, 2, size=3 * transaction_size(small, preset), payee=owners[2]
    )
    yield _sequence(
        "replacement_same_fee_rate",
        "MEMPOOL-2 (b): a replacement three times larger at the same fee rate (2 atoms/byte) pays "
        "for its bandwidth but is refused: its fee rate must be strictly higher",
        utxos,
        [small, large],
        preset,
    )
    # MEMPOOL-4: three independent transactions and a parent with a richer child.
    top = _sized_spend(utxos, coins[2], owners[2], preset, 10, size=1_000)
    middle = _sized_spend(utxos, coins[3], owners[3], preset, 5)
    low = _sized_spend(utxos, coins[4], owners[4], preset, 3)
    parent = _sized_spend(utxos, coins[5], owners[5], preset, 1)
    parent_view = {**utxos, **apply_transaction(utxos, parent, 1_000, preset)[0]}
    rich_child = _sized_spend(parent_view, OutPoint(txid(parent, preset), 0), owners[5], preset, 20)
    pool = [top, middle, low, parent, rich_child]
    sizes = [transaction_size(t, preset) for t in pool]
    budgets = [
        ("all", sum(sizes), "every transaction; the child (20 atoms/byte) after its parent (1)"),
        ("two_exactly", sizes[0] + sizes[1], "exactly the two best: nothing else fits"),
        ("skip_large", sizes[0] - 1, "one byte less than the best: it is skipped, the smaller ones follow"),
    ]
    for name, budget, description in budgets:
        yield _sequence(
            f"template_{name}",
            f"MEMPOOL-4: a template of {budget} bytes, {description}",
            utxos,
            pool,
            preset,
            template_bytes=budget,
        )
    yield from _trim_cases(preset)
    yield from _block_removal_cases(preset)


def _block_removal_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MEMPOOL-5: included transactions leave (their children stay), conflicting ones leave with
    their descendants; the coinbase is skipped, not the end of the block."""
    names = ["alice", "bob", "carol", "dave"]
    owners = [key(n) for n in names]
    utxos = _plain_utxos([(o, 1_000_000) for o in owners])
    coins = sorted(utxos)
    spends = [_sized_spend(utxos, coins[i], owners[i], preset, 2) for i in range(4)]
    a, b, c, d = spends

    def child_of(parent: Transaction, owner: Key) -> Transaction:
        view = {**utxos, **apply_transaction(utxos, parent, 1_000, preset)[0]}
        return _sized_spend(view, OutPoint(txid(parent, preset), 0), owner, preset, 3)

    a_child, b_child = child_of(a, owners[0]), child_of(b, owners[1])
    b_conflict = _sized_spend(utxos, coins[1], owners[1], preset, 2, payee=owners[3])
    coinbase = coinbase_transaction(1_000, [TxOutput(1, owners[2].script_pubkey)])
    pool = [a, a_child, b, b_child, c, d]

    def case(name: str, description: str, block: Sequence[Transaction]) -> CaseSpec:
        return CaseSpec(
            "mempool_remove_for_block",
            name,
            f"MEMPOOL-5: {description}",
            {
                "utxos": utxos_to_json(utxos),
                "height": 1_000,
                "median_time_past": MTP,
                "transactions": [_hex(t, preset) for t in pool],
                "block": [_hex(t, preset) for t in block],
            },
        )

    yield case(
        "included_and_conflicting",
        "the block includes A and C and spends B's input in another transaction: A and C leave "
        "(A's child stays), B leaves with its child, D stays",
        [coinbase, a, b_conflict, c],
    )
    yield case("coinbase_only", "a block with only its coinbase changes nothing", [coinbase])
    yield _two_diamonds_case(preset)


def _two_diamonds_case(preset: Preset) -> CaseSpec:
    """MEMPOOL-5 over a descendant graph that reaches two transactions twice: A pays four outputs,
    each spent by one of B1, C1, B2, C2; D1 spends B1 and C1, D2 spends B2 and C2. Whatever order
    the walk over A's descendants takes, it meets D1 or D2 a second time while one of A's children
    is still waiting: a walk that stopped there (instead of skipping the repeat) would keep it."""
    alice, bob = key("diamond-alice"), key("diamond-bob")
    utxos = _plain_utxos([(alice, 1_000_000), (bob, 1_000_000)])
    coin, bob_coin = sorted(utxos)

    def spend(view: dict[OutPoint, UtxoEntry], spent: list[OutPoint], count: int) -> Transaction:
        total = sum(view[o].output.value for o in spent)

        def build(fee: int) -> Transaction:
            share = (total - fee) // count
            values = [total - fee - share * (count - 1)] + [share] * (count - 1)
            outputs = [TxOutput(v, alice.script_pubkey) for v in values]
            return _spend_script(view, spent, [alice] * len(spent), outputs, preset)

        return build(2 * transaction_size(build(0), preset))

    view: dict[OutPoint, UtxoEntry] = dict(utxos)
    pool: list[Transaction] = []

    def add(tx: Transaction) -> bytes:
        view.update(apply_transaction(view, tx, 1_000, preset)[0])
        pool.append(tx)
        return txid(tx, preset)

    a = add(spend(view, [coin], 4))
    middle = [add(spend(view, [OutPoint(a, i)], 1)) for i in range(4)]
    for first, second in ((middle[0], middle[1]), (middle[2], middle[3])):
        add(spend(view, [OutPoint(first, 0), OutPoint(second, 0)], 1))
    # One atom below the minimum fee: refused (no escrow release unless one is given, SC-PEG-4).
    pool.append(_sized_spend(utxos, bob_coin, bob, preset, preset.mempool.min_fee_rate, extra_fee=-1))
    conflict = _sized_spend(utxos, coin, alice, preset, 2, payee=bob)
    coinbase = coinbase_transaction(1_000, [TxOutput(1, bob.script_pubkey)])
    return CaseSpec(
        "mempool_remove_for_block",
        "conflict_two_diamonds",
        "MEMPOOL-5: the block spends A's input in another transaction: A leaves with every "
        "descendant, though D1 and D2 are each reached twice (through B and C); a spend one atom "
        "below the minimum fee was never admitted (MEMPOOL-1)",
        {
            "utxos": utxos_to_json(utxos),
            "height": 1_000,
            "median_time_past": MTP,
            "transactions": [_hex(t, preset) for t in pool],
            "block": [_hex(t, preset) for t in (coinbase, conflict)],
        },
    )


def _trim_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MEMPOOL-3 evicting pool entries (with descendants, ties by highest txid), for presets whose
    pool holds exactly ten largest transactions (devnet)."""
    limit = preset.mempool.max_mempool_bytes
    big = preset.ledger.max_transaction_bytes
    if limit != 10 * big:
        return
    owners = [key(f"trim{i}") for i in range(16)]
    utxos = _plain_utxos([(o, 3_000_000) for o in owners])
    coins = sorted(utxos)
    parent = _sized_spend(utxos, coins[0], owners[0], preset, 2, size=big // 2)
    view = {**utxos, **apply_transaction(utxos, parent, 1_000, preset)[0]}
    child = _sized_spend(view, OutPoint(txid(parent, preset), 0), owners[0], preset, 3)
    next_lowest = _sized_spend(utxos, coins[1], owners[1], preset, 4, size=big)
    fillers = [_sized_spend(utxos, coins[2 + i], owners[2 + i], preset, 6 + i, size=big) for i in range(8)]
    used = big // 2 + transaction_size(child, preset) + 9 * big
    tie_a = _sized_spend(utxos, coins[10], owners[10], preset, 5, size=(limit - used) // 2)
    tie_b = _sized_spend(utxos, coins[11], owners[11], preset, 5, size=limit - used - (limit - used) // 2)
    newcomer = _sized_spend(utxos, coins[12], owners[12], preset, 20, size=big)
    late = _sized_spend(utxos, coins[13], owners[13], preset, 7, size=big * 3 // 5)
    final = _sized_spend(utxos, coins[14], owners[14], preset, 25, size=big)
    yield _sequence(
        "trim_evicts_pool_entries",
        "MEMPOOL-3: the pool fills to exactly max_mempool_bytes (no eviction); a newcomer evicts the "
        "lowest fee rate with its child, skips the child, then the next lowest; a later one evicts "
        "one of two entries of equal fee rate (the higher txid); the last evicts the other one and "
        "then the next lowest, unrelated entry",
        utxos,
        [parent, child, next_lowest, *fillers, tie_a, tie_b, newcomer, late, final],
        preset,
        template_bytes=preset.chain.max_block_bytes,
    )


def _snapshot_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SNAP-2: every chunk of a three-chunk snapshot verifies (the middle one is full)."""
    size = preset.snapshot.chunk_entries
    if size > 64:
        return
    owner = key("adequacy-snapshot")
    cb = coinbase_transaction(0, [TxOutput(1_000 + i, owner.script_pubkey) for i in range(2 * size + 3)])
    many, _ = apply_transaction({}, cb, 0, preset)
    manifest, chunks = make_snapshot(many, 9, preset)
    manifest_json: dict[str, JSON] = {
        "height": manifest.height,
        "state_root": manifest.state_root.hex(),
        "entry_count": manifest.entry_count,
        "chunk_count": manifest.chunk_count,
        "chunk_root": manifest.chunk_root.hex(),
    }
    decoded = decode(chunk_codec(preset), chunks[0])
    doubled = replace(decoded, entries=(decoded.entries[0], *decoded.entries[:-1]))
    bad = (encode_chunk(doubled, preset), *chunks[1:])
    bad_manifest = {**manifest_json, "chunk_root": merkle_root([chunk_hash(c) for c in bad]).hex()}
    yield CaseSpec(
        "verify_chunk",
        "repeated_entry",
        "SNAP-2: a committed chunk that lists its first outpoint twice (not strictly ascending)",
        {
            "manifest": bad_manifest,
            "index": 0,
            "chunk": bad[0].hex(),
            "proof": [h.hex() for h in chunk_proof(bad, 0)],
        },
        expect_error="SNAPSHOT_ORDER",
    )
    for index in range(len(chunks)):
        yield CaseSpec(
            "verify_chunk",
            f"every_chunk_{index}",
            f"SNAP-2: chunk {index} of {len(chunks)} ({size} entries a chunk, the last one short)",
            {
                "manifest": manifest_json,
                "index": index,
                "chunk": chunks[index].hex(),
                "proof": [h.hex() for h in chunk_proof(chunks, index)],
            },
        )
