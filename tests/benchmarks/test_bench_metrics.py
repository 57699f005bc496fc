"""What the node metrics (reference/metrics.py) cost, each against the call it wraps.

* **block import**: :meth:`ChainStore.import_block` of a block of ``IMPORT_TXS`` one-in-one-out
  P2PKH spends (the storage benchmark's block, smaller: a devnet-sized block, where a fixed
  per-block cost shows most) on a store instrumented by :class:`NodeMetrics`, against the same
  import on a bare store. The difference is the timer, the histogram, the block counter, the
  ``block connected`` log record (dropped at WARNING here, as with no handler) and the DKG scan.
* **scrape**: ``generate_latest`` of a node's registry (the gauges read from the node: a SQLite
  count of the pending table, the finalized height, the DKG sessions) against the bare library
  call, ``generate_latest`` of a registry holding the same metric families already collected.
* **RPC**: one ``getblockcount`` request through :meth:`RpcServer.answer` with the method timed,
  against the same server without the timer.

Timed over several rounds each; under ``--benchmark-disable`` (CI smoke mode) each body runs once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from pytest_benchmark.fixture import BenchmarkFixture

from reference.metrics import NodeMetrics
from reference.node import Node
from reference.rpc import RpcServer
from reference.storage import ChainStore
from spec.chain.state import BlockContext, ChainState
from tests.benchmarks.test_bench_chain import Scenario, scenario
from tests.benchmarks.test_bench_storage import _seeded_store

IMPORT_TXS = 200
REQUEST = b'{"jsonrpc": "2.0", "id": 1, "method": "getblockcount"}'


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("rusty")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def _import(benchmark: BenchmarkFixture, tmp_path: Path, instrumented: bool) -> None:
    bench: Scenario = scenario(IMPORT_TXS)
    context = BlockContext(bench.block.header.timestamp)
    node = Node.init(tmp_path / "node", "devnet")  # the metrics' gauges read a node; its store is unused
    stores: list[ChainStore] = []

    def setup() -> tuple[tuple[ChainStore], dict[str, object]]:
        if stores:
            stores[-1].close()
        store = _seeded_store(tmp_path / "bench.sqlite", bench)
        if instrumented:
            NodeMetrics(node).instrument_store(store)
        stores.append(store)
        return (store,), {}

    def run(store: ChainStore) -> ChainState:
        return store.import_block(bench.block, context)

    after: ChainState = benchmark.pedantic(run, setup=setup, rounds=5, iterations=1)  # type: ignore[no-untyped-call]
    assert after.height == bench.state.height + 1
    stores[-1].close()
    node.close()


def test_floor_import_block_bare(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    _import(benchmark, tmp_path, instrumented=False)


def test_import_block_with_metrics(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    benchmark.extra_info["floor"] = "test_floor_import_block_bare"
    _import(benchmark, tmp_path, instrumented=True)


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def _mined_node(path: Path) -> tuple[Node, NodeMetrics]:
    node = Node.init(path, "devnet")
    metrics = NodeMetrics(node)
    metrics.instrument_store(node.store)
    clock = 1_900_000_000
    for _ in range(10):
        clock += 2
        node.mine_block(clock)
    node.send(node.wallet.key_hash, 10_000, 1_000)
    return node, metrics


def test_floor_exposition(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    node, metrics = _mined_node(tmp_path / "node")
    registry = CollectorRegistry()
    registry.register(_Fixed(list(metrics.registry.collect())))
    text = benchmark(generate_latest, registry)
    assert b"rusty_height 9.0" in text
    node.close()


def test_scrape(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    benchmark.extra_info["floor"] = "test_floor_exposition"
    node, metrics = _mined_node(tmp_path / "node")
    text = benchmark(generate_latest, metrics.registry)
    assert b"rusty_height 9.0" in text and b"rusty_mempool_transactions 1.0" in text
    node.close()


def _rpc(benchmark: BenchmarkFixture, tmp_path: Path, instrumented: bool) -> None:
    node = Node.init(tmp_path / "node", "devnet")
    server = RpcServer(node)
    if instrumented:
        NodeMetrics(node).instrument_rpc(server)
    loop = asyncio.new_event_loop()
    try:
        answer = benchmark(lambda: loop.run_until_complete(server.answer(REQUEST)))
    finally:
        loop.close()
        node.close()
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": -1}


def test_floor_rpc_bare(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    _rpc(benchmark, tmp_path, instrumented=False)


def test_rpc_with_metrics(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    benchmark.extra_info["floor"] = "test_floor_rpc_bare"
    _rpc(benchmark, tmp_path, instrumented=True)
