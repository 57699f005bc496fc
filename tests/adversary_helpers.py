"""Shared helpers of the P2P adversary suites (tests/test_p2p_adversary.py on TCP,
tests/test_libp2p_adversary.py on libp2p): RPC to the node under attack, its resident memory, the
health check after every attack, and the drain of silent sockets the node must close."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reference.daemon import rpc_port_of
from reference.rpc import call

RSS_MARGIN_BYTES = 150 * 1024 * 1024
"""Generous: the attacks would add hundreds of MiB without their defences."""
Running = tuple[Path, "subprocess.Popen[bytes]"]
"""A node process and its data directory."""


def rpc(datadir: Path, method: str, *params: Any) -> Any:
    """``method`` over the RPC of the node running in ``datadir``."""
    return asyncio.run(call(rpc_port_of(datadir), datadir, method, *params))


def rss(process: subprocess.Popen[bytes]) -> int:
    """The process's resident set size in bytes (Linux ``/proc``)."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def assert_healthy(datadir: Path, process: subprocess.Popen[bytes], rss_before: int) -> None:
    """Up, mining (a block via ``generate``) and within the memory margin."""
    assert process.poll() is None, "the node died"
    height = rpc(datadir, "getblockcount")
    assert len(rpc(datadir, "generate", 1)) == 1
    assert rpc(datadir, "getblockcount") == height + 1
    assert rss(process) < rss_before + RSS_MARGIN_BYTES


def assert_closed_by_the_node(sockets: Sequence[socket.socket], seconds: float) -> None:
    """Every socket of ``sockets`` (silent connections) is closed by the node within ``seconds`` of
    the call (whatever the node sends is read and dropped); each is then closed here."""
    deadline = time.monotonic() + seconds
    for sock in sockets:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while sock.recv(65536):
                pass
        except TimeoutError:
            pytest.fail("a silent connection stayed open")
        except OSError:
            pass
        sock.close()
