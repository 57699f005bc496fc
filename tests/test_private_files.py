"""Seeds, database and cookie are 0600, the data directory 0700, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from reference.node import Node
from reference.privatefiles import SECRET_FILES
from reference.rpc import write_cookie


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_new_node_files_are_owner_only_under_umask_000(tmp_path: Path, permissive_umask: None) -> None:
    datadir = tmp_path / "deep" / "node"
    node = Node.init(datadir, "devnet")
    try:
        node.mine_block(node.preset.chain.genesis_timestamp)  # writes through the WAL
        write_cookie(datadir)
        assert _mode(datadir) == 0o700
        present = [name for name in SECRET_FILES if (datadir / name).exists()]
        assert {"wallet.seed", "operator.seed", "node.sqlite", "node.sqlite-wal", ".cookie"} <= set(present)
        for name in present:
            assert _mode(datadir / name) == 0o600, name
        # the control: under this umask an ordinary file is world-writable
        (tmp_path / "plain").write_text("x")
        assert _mode(tmp_path / "plain") == 0o666
    finally:
        node.close()


def test_opening_an_old_world_readable_node_narrows_it(tmp_path: Path, permissive_umask: None) -> None:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    os.chmod(datadir, 0o755)
    for name in ("wallet.seed", "operator.seed", "node.sqlite"):
        os.chmod(datadir / name, 0o644)
    (datadir / ".cookie").write_text("__cookie__:old")
    os.chmod(datadir / ".cookie", 0o644)
    node = Node(datadir)
    try:
        assert _mode(datadir) == 0o700
        for name in ("wallet.seed", "operator.seed", "node.sqlite", ".cookie"):
            assert _mode(datadir / name) == 0o600, name
        os.chmod(datadir / ".cookie", 0o644)
        write_cookie(datadir)  # rewriting an old cookie narrows it too
        assert _mode(datadir / ".cookie") == 0o600
    finally:
        node.close()
