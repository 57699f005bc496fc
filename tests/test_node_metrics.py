"""Node metrics (reference/metrics.py) and structured logs (reference/logs.py).

The scrape of a running devnet is in tests/test_devnet.py (the devnet runs there anyway); this
file checks each metric against what the node did, in-process, and the log formats.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client import generate_latest

from reference.logs import configure_logging
from reference.metrics import NodeMetrics, parse_exposition
from reference.node import Node
from reference.rpc import METHOD_NOT_FOUND, NOT_FOUND, RpcServer
from tests.node_process import ROOT


def _samples(metrics: NodeMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {(name, tuple(sorted(labels.items()))): value for name, labels, value in parse_exposition(text)}


def test_metrics_follow_blocks_reorganisations_mempool_and_rpc(tmp_path: Path) -> None:
    alice, rival = Node.init(tmp_path / "alice", "devnet"), Node.init(tmp_path / "rival", "devnet")
    metrics = NodeMetrics(alice)
    other = NodeMetrics(rival)  # a second node in the same process: its own registry
    try:
        metrics.instrument_store(alice.store)
        other.instrument_store(rival.store)
        clock = 1_900_000_000
        for _ in range(8):
            clock += 2
            block = alice.mine_block(clock)
            assert rival.store.accept_block(block, clock).outcome == "connected"
        alice.send(rival.wallet.key_hash, 12_345, 1_000)
        pending = alice.store.db.execute("SELECT LENGTH(data) FROM pending").fetchall()
        before = _samples(metrics)
        assert before[("rusty_height", ())] == 7
        assert before[("rusty_mempool_transactions", ())] == 1
        assert before[("rusty_mempool_bytes", ())] == pending[0][0] > 0
        assert before[("rusty_blocks_imported_total", ())] == 8
        assert before[("rusty_block_import_seconds_count", (("outcome", "connected"),))] == 8
        assert before[("rusty_reorganisations_total", ())] == 0
        assert before[("rusty_finalized_height", ())] == -1
        assert before[("rusty_peers", ())] == 0
        clock += 2
        alice.mine_block(clock)  # alice's branch: one block
        for _ in range(2):  # the rival's branch: two blocks, so alice reorganises
            clock += 2
            outcome = alice.store.accept_block(rival.mine_block(clock), clock)
        assert outcome.outcome == "reorganised"
        after = _samples(metrics)
        assert after[("rusty_reorganisations_total", ())] == 1
        assert after[("rusty_height", ())] == 9
        # 8 + alice's block + the rival's first (side_branch, not connected) then both rival blocks
        assert after[("rusty_blocks_imported_total", ())] == 8 + 1 + 2
        assert after[("rusty_block_import_seconds_count", (("outcome", "reorganised"),))] == 1
        assert after[("rusty_block_import_seconds_count", (("outcome", "side_branch"),))] == 1
        assert after[("rusty_block_import_seconds_count", (("outcome", "connected"),))] == 9
        assert _samples(other)[("rusty_blocks_imported_total", ())] == 8 + 2  # the rival's own count

        server = RpcServer(alice)
        metrics.instrument_rpc(server)
        answers = asyncio.run(
            server.answer(
                json.dumps(
                    [
                        {"jsonrpc": "2.0", "id": 1, "method": "getblockcount"},
                        {"jsonrpc": "2.0", "id": 2, "method": "getblock", "params": [99]},
                        {"jsonrpc": "2.0", "id": 3, "method": "nosuchmethod"},
                    ]
                ).encode()
            )
        )
        assert isinstance(answers, list) and answers[2]["error"]["code"] == METHOD_NOT_FOUND
        rpc = _samples(metrics)
        assert rpc[("rusty_rpc_seconds_count", (("method", "getblockcount"), ("result", "ok")))] == 1
        assert rpc[("rusty_rpc_seconds_count", (("method", "getblock"), ("result", str(NOT_FOUND))))] == 1
        assert not any(labels and labels[0][1] == "nosuchmethod" for _, labels in rpc)  # bounded labels
    finally:
        alice.close()
        rival.close()


def test_json_log_lines_carry_ts_level_logger_msg_and_fields() -> None:
    stream = io.StringIO()
    handler = configure_logging("json", stream=stream)
    try:
        logging.getLogger("rusty.chain").info("block connected", extra={"fields": {"height": 3}})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("rusty.node").exception("failed")
        logging.getLogger("rusty.node").debug("not shown at INFO")
        logging.getLogger("aiohttp.server").info("a library's INFO: not shown")
        logging.getLogger("asyncio").warning("a library's warning, as JSON too")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "info" and first["logger"] == "rusty.chain"
    assert first["msg"] == "block connected" and first["fields"] == {"height": 3}
    assert first["ts"].endswith("+00:00") and "T" in first["ts"]
    assert second["level"] == "error" and "ValueError: boom" in second["exc"]
    assert third["logger"] == "asyncio" and third["fields"] == {}


def test_text_log_lines_put_fields_after_the_message() -> None:
    stream = io.StringIO()
    first = configure_logging("json", stream=io.StringIO())
    handler = configure_logging("text", stream=stream)  # replaces the first
    try:
        assert first not in logging.getLogger().handlers
        logging.getLogger("rusty.p2p").warning("peer banned", extra={"fields": {"peer": "ab"}})
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip()
    assert line.endswith(" WARNING rusty.p2p peer banned peer=ab")


def test_node_process_logs_json_lines_and_serves_metrics_only_when_asked(tmp_path: Path) -> None:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    log = tmp_path / "node.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "reference.cli", "node", str(datadir), "--log-format", "json"],
            cwd=ROOT,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60  # a libp2p node (the default) starts in ~20 s at load 12
        while not (datadir / "rpc.port").exists():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        assert not (datadir / "metrics.port").exists()  # off by default
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["msg"] for line in lines] == ["node started", "node stopped"]
    assert {"ts", "level", "logger", "msg", "fields"} <= set(lines[0])
    assert lines[0]["fields"]["metrics_port"] is None and lines[0]["fields"]["preset"] == "devnet"


def test_a_node_that_cannot_start_logs_why_and_exits_with_1(tmp_path: Path) -> None:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = ["node", str(datadir), "--rpc-port", str(port), "--log-format", "json"]
        done = subprocess.run(
            [sys.executable, "-m", "reference.cli", *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stderr
    (line,) = (json.loads(text) for text in done.stderr.splitlines())
    assert line["level"] == "error" and line["msg"] == "cannot start"
    assert "address already in use" in line["fields"]["error"]
