"""Starting ``rusty node`` processes in tests (shared by the devnet and RPC tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_node(datadir: Path, *extra: str, bound: float = 60.0) -> subprocess.Popen[bytes]:
    """Start ``rusty node DATADIR [extra...]`` and wait (``bound`` seconds at most) until it wrote
    both port files.

    Port files left by an earlier run of the same data directory are removed first.
    """
    for name in ("p2p.port", "rpc.port"):
        (datadir / name).unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "reference.cli", "node", str(datadir), *extra], cwd=ROOT
    )
    deadline = time.monotonic() + bound
    while not (datadir / "p2p.port").exists() or not (datadir / "rpc.port").exists():
        assert process.poll() is None, "the node exited"
        if time.monotonic() >= deadline:
            process.kill()  # leave no orphan behind
            process.wait()
            raise AssertionError("the node did not start")
        time.sleep(0.05)
    return process
