"""Block import into the reference node's store (reference/storage.py) against its floor, ``apply_block``.

The block is the chain benchmark's (tests/benchmarks/test_bench_chain.py): N one-in-one-out P2PKH
spends on a funding state of N coins, so the UTXO set loses N entries and gains N + 1. The floor
is the spec's validation of that block (``apply_block``, which computes the state root from the
whole UTXO set). The hot path is :meth:`ChainStore.import_block` of the same block: the same
validation, plus applying the UTXO difference to the stored trie incrementally (N deletes and
N + 1 inserts), checking its root, and writing the block, the UTXO changes, the undo record and
the trie node changes in one SQLite transaction. The printed ratio is what storing costs on top
of validating.

The store is seeded directly with the funding state (its UTXO rows and trie nodes), as the chain
benchmark builds its funding state directly instead of mining it. N follows test_bench_chain.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from reference.storage import ChainStore
from spec.chain.commitment import attach_commitment
from spec.chain.layout import StateLayout
from spec.chain.state import BlockContext, ChainState, apply_block, initial_state
from spec.ledger.state import encode_entry, encode_outpoint
from spec.trie import Trie
from tests.benchmarks.test_bench_chain import PRESET, Scenario, block_size, scenario


def _seeded_store(path: Path, bench: Scenario) -> ChainStore:
    """A store whose best state is the funding state (written as if it had been connected)."""
    path.unlink(missing_ok=True)
    store = ChainStore(path, PRESET)
    items = {encode_outpoint(o, PRESET): encode_entry(e, PRESET) for o, e in bench.state.utxos.items()}
    trie = Trie.from_items(items)
    store.db.execute("BEGIN IMMEDIATE")
    store._write_state_change(initial_state(PRESET), bench.state, [], list(bench.state.utxos))
    store._write_trie_nodes(Trie(), trie)
    store.db.execute("COMMIT")
    state = replace(bench.state, commitment=attach_commitment(bench.state, StateLayout.UTXO, trie))
    store._state, store._trie = state, trie  # the state carries its trie, as a node's does (STATE-6)
    return store


def test_floor_apply_block(benchmark: BenchmarkFixture) -> None:
    bench = scenario(block_size(benchmark))
    context = BlockContext(bench.block.header.timestamp)
    arguments = (bench.state, bench.block, context, PRESET)
    after: ChainState = benchmark.pedantic(apply_block, arguments, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    assert after.height == bench.state.height + 1


def test_store_import_block(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    bench = scenario(block_size(benchmark))
    benchmark.extra_info["floor"] = "test_floor_apply_block"
    benchmark.extra_info["transactions"] = len(bench.block.transactions) - 1
    context = BlockContext(bench.block.header.timestamp)
    stores: list[ChainStore] = []

    def setup() -> tuple[tuple[ChainStore], dict[str, object]]:
        stores.append(_seeded_store(tmp_path / "bench.sqlite", bench))
        return (stores[-1],), {}

    def run(store: ChainStore) -> ChainState:
        return store.import_block(bench.block, context)

    after: ChainState = benchmark.pedantic(run, setup=setup, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    store = stores[-1]
    assert store.state_root == bench.block.header.state_root
    assert after.height == bench.state.height + 1 and len(after.utxos) == len(bench.state.utxos) + 1
    assert store.db.execute("SELECT COUNT(*) FROM utxos").fetchone()[0] == len(after.utxos)
    store.close()
