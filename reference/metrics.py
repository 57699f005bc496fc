"""Prometheus metrics of one running node (prometheus-client), served on 127.0.0.1.

Each :class:`NodeMetrics` owns its own ``CollectorRegistry`` (never the library's global one), so
several nodes can run in one process (the in-process tests do). State that the node already keeps
(height, finalized height, peers, bans, pending transactions, DKG sessions) is read when Prometheus
scrapes; events (block imports and their time, reorganisations, DKG outcomes, bans, RPC calls) are
counted as they happen through the hooks :meth:`NodeMetrics.instrument_store`,
:meth:`NodeMetrics.instrument_rpc` and :meth:`NodeMetrics.watch_quorums` install. The metric names
are listed in docs/node.md ("Monitoring").

``rusty node DATADIR --metrics-port PORT`` serves ``GET /metrics`` on ``127.0.0.1:PORT`` (``0``
picks a free port) and writes the bound port to ``DATADIR/metrics.port``; without the option no
metrics endpoint is opened.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from reference.rpc import REJECTED, RpcError, RpcServer
from spec.errors import SpecError

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from reference.node import Node
    from reference.p2p import P2PService
    from reference.storage import Accepted, ChainStore
    from reference.watch_service import WatchService
    from spec.chain.block import Block
    from spec.chain.state import ChainState

log = logging.getLogger("rusty.chain")
p2p_log = logging.getLogger("rusty.p2p")
quorum_log = logging.getLogger("rusty.quorum")

IMPORT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Block import time histogram buckets (seconds): a devnet block takes a few ms, a mainnet one more."""
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class _StateCollector(Collector):
    """Gauges read from the node at scrape time."""

    def __init__(self, metrics: NodeMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        node, p2p = self.metrics.node, self.metrics.p2p
        state = node.store.state
        yield GaugeMetricFamily(
            "rusty_height", "Height of the best chain's tip (-1 before genesis).", state.height
        )
        finalized = node.quorum.finalized_height()
        yield GaugeMetricFamily(
            "rusty_finalized_height",
            "Height of the newest finalized block (FORK-3); -1 before any.",
            -1 if finalized is None else finalized,
        )
        yield GaugeMetricFamily("rusty_peers", "Connected P2P peers.", 0 if p2p is None else len(p2p.peers))
        yield GaugeMetricFamily(
            "rusty_banned_peers",
            "Peer keys refused now (P2P-SCORE ban).",
            0 if p2p is None else len(p2p.banned),
        )
        count, size = node.store.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM pending"
        ).fetchone()
        yield GaugeMetricFamily("rusty_mempool_transactions", "Pending transactions.", int(count))
        yield GaugeMetricFamily("rusty_mempool_bytes", "Encoded size of the pending transactions.", int(size))
        sessions = GaugeMetricFamily(
            "rusty_dkg_sessions",
            "DKG sessions this node follows, by quorum kind and phase.",
            labels=["kind", "phase"],
        )
        by_phase: dict[tuple[str, str], int] = {}
        for record in node.quorum.sessions.values():
            phase = "FAILED" if record.failed else record.state.phase.name
            key = (record.kind.name.lower(), phase)
            by_phase[key] = by_phase.get(key, 0) + 1
        for (kind, phase), number in sorted(by_phase.items()):
            sessions.add_metric([kind, phase], number)
        yield sessions
        self.metrics.note_dkg_outcomes()


class NodeMetrics:
    """The metrics of one node, in their own registry."""

    def __init__(self, node: Node, p2p: P2PService | None = None) -> None:
        self.node = node
        self.p2p = p2p
        self.registry = CollectorRegistry()
        self.registry.register(_StateCollector(self))
        self.blocks = Counter(
            "rusty_blocks_imported",
            "Blocks connected to the best chain (mined here, relayed, or reconnected in a reorganisation).",
            registry=self.registry,
        )
        self.import_seconds = Histogram(
            "rusty_block_import_seconds",
            "Time to import one block (validation, storage, fork choice), by outcome.",
            ["outcome"],
            buckets=IMPORT_BUCKETS,
            registry=self.registry,
        )
        self.reorganisations = Counter(
            "rusty_reorganisations", "Reorganisations of the best chain (FORK-1/2).", registry=self.registry
        )
        self.dkg_outcomes = Counter(
            "rusty_dkg_outcomes",
            "DKG sessions that ended, by quorum kind and outcome (qualified or failed).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.bans = Counter(
            "rusty_bans", "Peers banned for misbehaviour (P2P-SCORE).", registry=self.registry
        )
        self.rpc_seconds = Histogram(
            "rusty_rpc_seconds",
            "JSON-RPC call latency by method and result (ok or the JSON-RPC error code).",
            ["method", "result"],
            buckets=RPC_BUCKETS,
            registry=self.registry,
        )
        self.watcher_events = Counter(
            "rusty_watcher_events",
            "What the sidechain watcher did and saw (--watch-sidechains), by event: opening_posted, "
            "move_posted, claim_posted, proof_posted, game_opened, game_won, game_lost, checkpoint_reverted, "
            "checkpoint_reverted_by_proof, bond_claimed, store_corrupt.",
            ["event"],
            registry=self.registry,
        )
        self._ended: set[bytes] = set()  # DKG session ids whose outcome was counted
        self._depth = 0  # nested store calls (accept_block calls import_block): only the outermost is timed

    # ------------------------------------------------------------------------- hooks

    def instrument_store(self, store: ChainStore) -> None:
        """Time ``accept_block`` / ``import_block`` and count reorganisations and connected blocks."""
        accept, import_ = store.accept_block, store.import_block

        @functools.wraps(accept)
        def timed_accept(*args: Any, **kwargs: Any) -> Accepted:
            started = time.perf_counter()
            self._depth += 1
            try:
                accepted = accept(*args, **kwargs)
            finally:
                self._depth -= 1
            self.import_seconds.labels(accepted.outcome).observe(time.perf_counter() - started)
            if accepted.outcome == "reorganised":
                self.reorganisations.inc()
                log.warning(
                    "reorganisation",
                    extra={
                        "fields": {"height": store.state.height, "disconnected": len(accepted.disconnected)}
                    },
                )
            return accepted

        @functools.wraps(import_)
        def timed_import(*args: Any, **kwargs: Any) -> ChainState:
            if self._depth:
                return import_(*args, **kwargs)
            started = time.perf_counter()
            state = import_(*args, **kwargs)
            self.import_seconds.labels("connected").observe(time.perf_counter() - started)
            return state

        setattr(store, "accept_block", timed_accept)  # noqa: B010 (an instance attribute shadows the method)
        setattr(store, "import_block", timed_import)  # noqa: B010
        store.on_connect.append(self._connected)

    def _connected(self, block: Block, state: ChainState) -> None:
        self.blocks.inc()
        log.info(
            "block connected",
            extra={"fields": {"height": block.header.height, "tip": state.tip_hash.hex()[:16]}},
        )
        self.note_dkg_outcomes()

    def note_dkg_outcomes(self) -> None:
        """Count the DKG sessions that reached a result or failed since the last look."""
        for session_id, record in self.node.quorum.sessions.items():
            if session_id in self._ended or (record.result is None and not record.failed):
                continue
            self._ended.add(session_id)
            outcome = "failed" if record.failed else "qualified"
            self.dkg_outcomes.labels(record.kind.name.lower(), outcome).inc()
            quorum_log.info(
                "dkg session ended",
                extra={
                    "fields": {
                        "base_height": record.base_height,
                        "kind": record.kind.name.lower(),
                        "outcome": outcome,
                    }
                },
            )

    def watch_bans(self, p2p: P2PService) -> None:
        """Count bans as the P2P service records them."""
        p2p.on_ban.append(self._banned)

    def watch_disputes(self, watch: WatchService) -> None:
        """Count the sidechain watcher's events (``rusty_watcher_events_total{event=...}``), those
        it had before (``store_corrupt`` at start) included."""
        for event, count in watch.counts.items():
            self.watcher_events.labels(event).inc(count)
        watch.count = lambda event: self.watcher_events.labels(event).inc()

    def _banned(self, key: str) -> None:
        self.bans.inc()
        p2p_log.warning("peer banned", extra={"fields": {"peer": key}})

    def instrument_rpc(self, server: RpcServer) -> None:
        """Time every RPC method, labelled by method and result."""
        server.methods = {name: self._timed_method(name, method) for name, method in server.methods.items()}

    def _timed_method(
        self, name: str, method: Callable[[list[Any]], Awaitable[Any]]
    ) -> Callable[[list[Any]], Awaitable[Any]]:
        async def timed(params: list[Any]) -> Any:
            started = time.perf_counter()
            result = "ok"
            try:
                return await method(params)
            except RpcError as exc:
                result = str(exc.code)
                raise
            except SpecError:
                result = str(REJECTED)
                raise
            except Exception:
                result = "internal"
                raise
            finally:
                self.rpc_seconds.labels(name, result).observe(time.perf_counter() - started)

        return timed

    # ------------------------------------------------------------------------- serving

    async def serve(self, port: int) -> tuple[web.AppRunner, int]:
        """Serve ``GET /metrics`` on 127.0.0.1:``port`` (0: a free port); the runner and the bound port."""
        app = web.Application()
        app.router.add_get("/metrics", make_aiohttp_handler(self.registry, disable_compression=True))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        for address in runner.addresses:
            if isinstance(address, tuple):
                return runner, int(address[1])
        raise RuntimeError("the metrics server is not listening")


def parse_exposition(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    """``(sample name, labels, value)`` of a Prometheus text exposition (for tests and tools)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            yield sample.name, dict(sample.labels), float(sample.value)
