"""The sidechain watcher's hot path against its floors (reference/watcher.py, reference/watch_store.py).

* ``test_bench_watcher_check_checkpoint``: checking one checkpoint, what the watcher does for each
  checkpoint in its window: re-execute the held block of 16 FerrisScript transfers from the
  parent checkpoint's root over the held nodes (SC-DSP-1 ``compute_trace``) and compare its trace
  root and final root with the header's. Floor: ``test_bench_watcher_floor_bare_signatures``, the
  16 bare libsodium ``crypto_sign_open`` calls of the same transactions' signatures (the
  triples the VM's checker verifies, recorded once in setup), the library work a re-execution
  cannot avoid.
* ``test_bench_watcher_tip_persisted``: one tip of the watch service with its store: the block
  applied (its held nodes recorded), the checkpoint read and checked, the pruning, then the
  SQLite transaction saving the block, the headers, the defence and the scanned height (WAL,
  ``synchronous=FULL``, a file under the test's tmp directory). Floor:
  ``test_bench_watcher_tip_in_memory``, the same tip without a store.

``python -m tests.benchmarks.test_bench_watcher --repeats 21`` runs each pair interleaved in one
process (floor, hot path, floor, ...; CPU time for the check, wall time for the persisted tip,
whose ``fsync`` is waiting, not computing) and prints the median of the per-repeat ratios.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import cast

import nacl.bindings
from pytest_benchmark.fixture import BenchmarkFixture

from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from reference.watch_service import Applied, WatchService
from reference.watch_store import WatchStore
from reference.watcher import SidechainWatcher, WatchedBlock
from spec.chain.state import ChainState
from spec.crypto import ed25519
from spec.ledger.transaction import Transaction
from spec.merkle import merkle_root
from spec.presets import DEVNET
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import apply_block_to_sidechains
from spec.vm.interface import VmKind

PRESET = DEVNET
TX_COUNT = 16
PAYEE = b"\x76\xa9\x14" + b"\x42" * 20 + b"\x88\xac"


@cache
def _scenario() -> tuple[gc.Scenario, SidechainsState, tuple[tuple[Transaction, ...], ...]]:
    sc = gc.scenario(TX_COUNT, PRESET)
    state = gc.initial(sc.spec)
    connected = []
    for at, posted in gc.checkpoint_blocks(sc):
        transactions = sb.block(at, *posted)
        state = apply_block_to_sidechains(state, transactions, at, sb.keys(), PRESET).state
        connected.append(tuple(transactions))
    return sc, state, tuple(connected)


def _applied(sc: gc.Scenario) -> Applied:
    block = WatchedBlock(gc.SPEC_G.sidechain_id, 1, sc.block.txs, (), sc.block.nodes)
    return Applied(block, sc.block.header, sc.block.trace[1:], sc.block.trace[0], VmKind.FERRIS)


def _service(store: WatchStore | None) -> WatchService:
    def publish(outputs: object) -> None:
        return None

    state = cast(ChainState, None)
    return WatchService(PRESET, PAYEE, lambda: state, publish, store=store)


@cache
def _watcher() -> SidechainWatcher:
    """A watcher holding the block (its held nodes only, as after a tip) and both headers."""
    sc, state, connected = _scenario()
    watch = _service(None)
    watch.decide(state, gc.CHECKPOINT_1_AT + 1, connected, [_applied(sc)], ())
    assert len(watch.watcher.blocks) == 1 and len(watch.watcher.headers) == 2
    return watch.watcher


def check_checkpoint() -> bool:
    """The hot path: re-execute the checkpointed block and compare (True: it matches)."""
    watcher = _watcher()
    header = watcher.headers[(gc.SPEC_G.sidechain_id, 1)]
    parent = watcher.headers[(gc.SPEC_G.sidechain_id, 0)]
    trace = watcher.honest_trace(header, parent.state_root, VmKind.FERRIS)
    assert trace is not None
    return merkle_root(list(trace)) == header.trace_root and trace[-1] == header.state_root


@contextmanager
def _recording(seen: list[tuple[bytes, bytes, bytes]]) -> Iterator[None]:
    verify = ed25519.verify

    def record(public_key: bytes, message: bytes, signature: bytes) -> bool:
        seen.append((public_key, message, signature))
        return verify(public_key, message, signature)

    ed25519.verify = record  # the module the FerrisScript checker calls (VMF-5)
    try:
        yield
    finally:
        ed25519.verify = verify


@cache
def _signatures() -> tuple[tuple[bytes, bytes, bytes], ...]:
    seen: list[tuple[bytes, bytes, bytes]] = []
    _watcher()  # built before: only the check's own calls are recorded
    with _recording(seen):
        assert check_checkpoint()
    assert len(seen) == TX_COUNT
    return tuple(seen)


def bare_signatures() -> int:
    """The floor: libsodium's ``crypto_sign_open`` of each transaction's signature."""
    for public_key, message, signature in _signatures():
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    return len(_signatures())


def tip(watch: WatchService) -> int:
    """One tip: decide on the checkpoint with the block applied, then save (0 rows without a store)."""
    sc, state, connected = _scenario()
    posts = watch.decide(state, gc.CHECKPOINT_1_AT + 1, connected, [_applied(sc)], ())
    assert posts == []  # the honest checkpoint matches: nothing to post
    return watch.persist()


def test_bench_watcher_floor_bare_signatures(benchmark: BenchmarkFixture) -> None:
    assert benchmark(bare_signatures) == TX_COUNT


def test_bench_watcher_check_checkpoint(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_bench_watcher_floor_bare_signatures"
    assert benchmark(check_checkpoint) is True


def test_bench_watcher_tip_in_memory(benchmark: BenchmarkFixture) -> None:
    result = benchmark.pedantic(tip, setup=lambda: ((_service(None),), {}), rounds=10)  # type: ignore[no-untyped-call]
    assert result == 0


def test_bench_watcher_tip_persisted(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    benchmark.extra_info["floor"] = "test_bench_watcher_tip_in_memory"
    counter = iter(range(10**6))

    def setup() -> tuple[tuple[WatchService], dict[str, object]]:
        db = sqlite3.connect(tmp_path / f"w{next(counter)}.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return (_service(WatchStore(db)),), {}

    written = benchmark.pedantic(tip, setup=setup, rounds=10)  # type: ignore[no-untyped-call]
    # the block, two headers, the defence, the scanned height, and the two signed checkpoints the
    # connected blocks carried (kept as equivocation evidence, SC-DSP-8, stored since issue 16)
    assert written == 7


def _interleaved(
    floor: Callable[[], object], hot: Callable[[], object], repeats: int, clock: Callable[[], float]
) -> list[float]:
    ratios = []
    for _ in range(repeats):
        times = []
        for run in (floor, hot):
            start = clock()
            run()
            times.append(clock() - start)
        ratios.append(times[1] / times[0])
    return ratios


def measure(repeats: int) -> dict[str, float]:
    """Median of per-repeat ratios: the check to its floor, the persisted tip to the in-memory one."""
    check = _interleaved(bare_signatures, check_checkpoint, repeats, time.process_time)
    with tempfile.TemporaryDirectory() as directory:
        paths = iter(Path(directory) / f"w{i}.sqlite" for i in range(10**6))

        def persisted() -> None:
            db = sqlite3.connect(next(paths), isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            watch = _service(WatchStore(db))
            start = time.perf_counter()
            tip(watch)
            timed.append(time.perf_counter() - start)
            db.close()

        def in_memory() -> None:
            watch = _service(None)
            start = time.perf_counter()
            tip(watch)
            timed.append(time.perf_counter() - start)

        timed: list[float] = []
        ratios = []
        for _ in range(repeats):
            timed.clear()
            in_memory()
            persisted()
            ratios.append(timed[1] / timed[0])
    return {
        "check/bare_signatures": statistics.median(check),
        "persisted/in_memory": statistics.median(ratios),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    for name, ratio in measure(args.repeats).items():
        print(f"{name}: {ratio:.2f}x (median of {args.repeats} interleaved repeats)")
