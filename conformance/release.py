"""Versioned, reproducible releases of the vector suite (``rusty-spec release``).

A release is one ``.tar.gz`` holding everything an implementer needs and nothing that varies
between runs, so two runs write byte-identical files:

```
rusty-coin-vectors-<version>/manifest.json          what is in the release (below)
rusty-coin-vectors-<version>/schema/*.json          the JSON schema of a vector
rusty-coin-vectors-<version>/docs/*.md              the vector format, adapter protocol, error codes
rusty-coin-vectors-<version>/objects/<sha256>.json  one file per distinct vector body
```

A vector's *body* is its JSON object without the ``preset`` member. Most vectors do not depend on
the preset, so their bodies are byte-identical across presets and stored once; the manifest maps
every vector path to its body and preset:

```json
{"vectors": {"devnet/encoding/decode/u8_zero.json":
    {"object": "objects/3f….json", "preset": "devnet", "sha256": "<sha256 of the vector file>"}}}
```

``sha256`` is the hash of the vector file as ``rusty-spec generate`` writes it (the line of
``conformance/vectors.lock``), and ``files`` holds the sha256 of every other file of the tarball;
the loader checks both. Tar members have fixed owners, modes and times, are sorted by name, and
the gzip header has no name or time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance.adapter import PROTOCOL_VERSION
from conformance.model import FORMAT_VERSION, Vector
from conformance.runner import SuiteInfo, suite_hash
from conformance.vector_schema import validate_vector
from reference import jsonsafe

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
SCHEMA_DIR = PACKAGE_ROOT / "schema"
RELEASE_DOCS = ("docs/vector-format.md", "docs/adapter-protocol.md", "docs/errors.md")
MANIFEST = "manifest.json"
RELEASE_NAME = "rusty-coin-spec conformance vectors"
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_RELEASE_BYTES = 2 * 1024 * 1024 * 1024
"""Bounds on what the loader decompresses (one member, all members)."""


class ReleaseError(Exception):
    """A release tarball is malformed, incomplete or does not match its manifest."""


def suite_version() -> str:
    """The suite version: the ``rusty-coin-spec`` package version."""
    try:
        return metadata.version("rusty-coin-spec")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def _canonical(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def vector_body(vector: Vector) -> bytes:
    """The stored bytes of a vector: its canonical JSON without ``preset``."""
    obj = vector.to_json()
    del obj["preset"]
    return _canonical(obj)


@dataclass(frozen=True)
class ReleaseFile:
    """One file of the release: its path below the top directory and its bytes."""

    path: str
    content: bytes


def release_files(vectors: Iterable[Vector], version: str) -> list[ReleaseFile]:
    """Every file of the release, manifest included, sorted by path."""
    files: dict[str, bytes] = {}
    for schema in sorted(SCHEMA_DIR.glob("*.json")):
        files[f"schema/{schema.name}"] = schema.read_bytes()
    for doc in RELEASE_DOCS:
        source = REPO_ROOT / doc
        if not source.is_file():
            raise ReleaseError(f"{doc} is missing (a release is built from a source checkout)")
        files[doc] = source.read_bytes()
    entries: dict[str, dict[str, str]] = {}
    chosen = sorted(vectors, key=lambda v: v.relative_path)
    for vector in chosen:
        body = vector_body(vector)
        name = f"objects/{_sha256(body)}.json"
        files[name] = body
        if vector.relative_path in entries:
            raise ReleaseError(f"two vectors at {vector.relative_path}")
        entries[vector.relative_path] = {
            "object": name,
            "preset": vector.preset,
            "sha256": _sha256(vector.to_bytes()),
        }
    manifest = {
        "name": RELEASE_NAME,
        "suite_version": version,
        "protocol_version": PROTOCOL_VERSION,
        "vector_format": FORMAT_VERSION,
        "suite_hash": suite_hash(chosen),
        "vector_count": len(entries),
        "object_count": sum(1 for path in files if path.startswith("objects/")),
        "files": {path: _sha256(content) for path, content in sorted(files.items())},
        "vectors": entries,
    }
    files[MANIFEST] = _canonical(manifest)
    return [ReleaseFile(path, files[path]) for path in sorted(files)]


def top_directory(version: str) -> str:
    return f"rusty-coin-vectors-{version}"


def build_release(vectors: Iterable[Vector], version: str) -> bytes:
    """The release tarball's bytes (the same bytes for the same vectors and version)."""
    top = top_directory(version)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories: set[str] = set()
        for item in release_files(vectors, version):
            parts = f"{top}/{item.path}".split("/")
            for depth in range(1, len(parts)):
                directory = "/".join(parts[:depth])
                if directory not in directories:
                    directories.add(directory)
                    tar.addfile(_member(directory, 0, tarfile.DIRTYPE, 0o755))
            tar.addfile(
                _member(f"{top}/{item.path}", len(item.content), tarfile.REGTYPE, 0o644),
                io.BytesIO(item.content),
            )
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=9) as archive:
        archive.write(raw.getvalue())
    return compressed.getvalue()


def _member(name: str, size: int, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mode = size, kind, mode
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info


def write_release(path: Path, vectors: Iterable[Vector], version: str) -> bytes:
    """Write the release tarball to ``path``; return its bytes."""
    data = build_release(vectors, version)
    path.write_bytes(data)
    return data


def is_release(path: Path) -> bool:
    """Whether ``path`` is a release tarball (a file; a directory is an unpacked vector tree)."""
    return path.is_file()


def _read_members(path: Path) -> dict[str, bytes]:
    """The regular files of the tarball by path below its single top directory (size-bounded)."""
    members: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for info in tar:
                if info.isdir():
                    continue
                if not info.isfile():
                    raise ReleaseError(f"{info.name}: only regular files belong in a release")
                if info.size > MAX_MEMBER_BYTES or total + info.size > MAX_RELEASE_BYTES:
                    raise ReleaseError(f"{info.name}: larger than a release member may be")
                total += info.size
                top, _, inner = info.name.partition("/")
                if not inner or not top.startswith("rusty-coin-vectors-"):
                    raise ReleaseError(f"{info.name}: not below rusty-coin-vectors-<version>/")
                handle = tar.extractfile(info)
                if handle is None:
                    raise ReleaseError(f"{info.name}: unreadable")
                members[inner] = handle.read(MAX_MEMBER_BYTES + 1)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ReleaseError(f"{path}: not a release tarball: {exc}") from None
    return members


def load_release(path: Path) -> tuple[list[Vector], SuiteInfo]:
    """The vectors of a release tarball (sorted by path) and its suite identity, checked.

    Every file is checked against the manifest's sha256, every vector against the schema and the
    sha256 of its file form, and the suite hash against the vectors.
    """
    members = _read_members(path)
    if MANIFEST not in members:
        raise ReleaseError(f"{path}: no {MANIFEST}")
    try:
        manifest = jsonsafe.loads(members[MANIFEST])
    except ValueError as exc:
        raise ReleaseError(f"{MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ReleaseError(f"{MANIFEST}: not a release manifest")
    if manifest.get("vector_format") != FORMAT_VERSION:
        raise ReleaseError(
            f"vector format {manifest.get('vector_format')!r}, this runner reads {FORMAT_VERSION}"
        )
    files: dict[str, Any] = manifest["files"]
    for name, content in members.items():
        if name != MANIFEST and files.get(name) != _sha256(content):
            raise ReleaseError(f"{name}: sha256 does not match the manifest")
    missing = sorted(set(files) - set(members))
    if missing:
        raise ReleaseError(f"files in the manifest but not in the tarball: {missing[:5]}")
    entries = manifest.get("vectors")
    if not isinstance(entries, dict):
        raise ReleaseError(f"{MANIFEST}: no vectors")
    vectors: list[Vector] = []
    for relative, entry in sorted(entries.items()):
        if not isinstance(entry, dict) or entry.get("object") not in members:
            raise ReleaseError(f"{relative}: no stored body")
        try:
            body = jsonsafe.loads(members[entry["object"]])
        except ValueError as exc:
            raise ReleaseError(f"{relative}: {exc}") from None
        if not isinstance(body, dict):
            raise ReleaseError(f"{relative}: the body is not an object")
        obj = {**body, "preset": entry.get("preset")}
        try:
            validate_vector(obj)
        except Exception as exc:  # jsonsafe-bounded; any schema failure is a bad release
            raise ReleaseError(f"{relative}: {str(exc)[:300]}") from None
        vector = Vector.from_json(obj)
        if vector.relative_path != relative or _sha256(vector.to_bytes()) != entry.get("sha256"):
            raise ReleaseError(f"{relative}: the vector does not match its manifest entry")
        vectors.append(vector)
    suite = SuiteInfo(str(manifest.get("suite_version")), suite_hash(vectors))
    if suite.hash != manifest.get("suite_hash"):
        raise ReleaseError("the suite hash does not match the vectors")
    return vectors, suite
