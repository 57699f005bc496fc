"""Secrets on disk: owner-only modes set explicitly, never left to the umask.

The data directory is ``0700``; the wallet seed, the operator seed, the SQLite database (and
the ``-wal``/``-shm`` files SQLite creates beside it, which take the database's mode) and the
RPC cookie are ``0600``. Files are created with ``os.open(..., 0o600)`` and then ``fchmod``-ed,
so a permissive umask (``000``) cannot widen them; files left by an older version with wider
modes are narrowed when the node opens them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
DATABASE = "node.sqlite"
SECRET_FILES = ("wallet.seed", "operator.seed", DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", ".cookie")
"""Files of a data directory that only the owner may read."""


def make_private_directory(path: Path) -> None:
    """Create ``path`` (and missing parents) and set it to ``0700`` whatever the umask."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIRECTORY_MODE)


def write_private(path: Path, data: bytes, *, exclusive: bool = True) -> None:
    """Write ``data`` to a file that is ``0600`` from its creation on (``exclusive``: must be new)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # O_CREAT's mode passes through the umask; an old file keeps its own
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode ``0600`` unless it exists (SQLite then opens it as a new database)."""
    if not path.exists():
        write_private(path, b"")


def restrict_datadir(datadir: Path) -> None:
    """Narrow an existing data directory and its secret files to owner-only modes."""
    if stat.S_IMODE(datadir.stat().st_mode) != DIRECTORY_MODE:
        os.chmod(datadir, DIRECTORY_MODE)
    for name in SECRET_FILES:
        path = datadir / name
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, FILE_MODE)
