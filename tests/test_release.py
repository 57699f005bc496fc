"""``rusty-spec release``: a versioned, reproducible tarball that ``rusty-spec run --vectors`` consumes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import REFERENCE_ADAPTER
from conformance.cli import main as rusty_spec
from conformance.generate import generate_files, write_files
from conformance.model import Vector
from conformance.release import (
    ReleaseError,
    build_release,
    load_release,
    release_files,
    vector_body,
)
from conformance.runner import load_vectors, suite_hash
from reference import jsonsafe

FLOWS = ["hashing", "encoding"]


@pytest.fixture(scope="module")
def vectors() -> list[Vector]:
    files = generate_files(flows=FLOWS)
    return [Vector.from_json(jsonsafe.loads(f.content)) for f in files]


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {
            info.name: tar.extractfile(info).read()  # type: ignore[union-attr]
            for info in tar
            if info.isfile()
        }


def test_two_cli_runs_write_byte_identical_tarballs(tmp_path: Path) -> None:
    runner = CliRunner()
    outputs = []
    for name in ("a.tar.gz", "b.tar.gz"):
        result = runner.invoke(
            rusty_spec, ["release", "--flow", "hashing", "--version", "9.9.9", "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        infos = tar.getmembers()
    assert [i.name for i in infos] == sorted(i.name for i in infos)
    assert {(i.mtime, i.uid, i.gid, i.uname, i.gname) for i in infos} == {(0, 0, 0, "", "")}
    assert gzip.decompress(outputs[0])  # a plain gzip stream
    assert outputs[0][4:8] == b"\0\0\0\0"  # no time in the gzip header


def test_release_is_independent_of_input_order(vectors: list[Vector]) -> None:
    assert build_release(vectors, "1.0.0") == build_release(list(reversed(vectors)), "1.0.0")


def test_manifest_hashes_every_file_and_versions(vectors: list[Vector]) -> None:
    members = _members(build_release(vectors, "1.2.3"))
    top = "rusty-coin-vectors-1.2.3/"
    assert all(name.startswith(top) for name in members)
    files = {name[len(top) :]: content for name, content in members.items()}
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["suite_version"] == "1.2.3"
    assert manifest["protocol_version"] == 1 and manifest["vector_format"] == 1
    assert manifest["files"] == {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    assert {"schema/vector.schema.json", "docs/vector-format.md", "docs/adapter-protocol.md"} <= set(files)
    assert manifest["suite_hash"] == suite_hash(vectors)
    # each vector's sha256 is that of its file form (the vectors.lock line)
    by_path = {v.relative_path: v for v in vectors}
    assert set(manifest["vectors"]) == set(by_path)
    for path, entry in manifest["vectors"].items():
        assert entry["sha256"] == hashlib.sha256(by_path[path].to_bytes()).hexdigest()
        assert files[entry["object"]] == vector_body(by_path[path])


def test_vectors_identical_across_presets_are_stored_once(vectors: list[Vector]) -> None:
    files = {f.path: f.content for f in release_files(vectors, "1.0.0")}
    manifest = json.loads(files["manifest.json"])
    objects = [path for path in files if path.startswith("objects/")]
    assert manifest["vector_count"] == len(vectors)
    assert len(objects) == manifest["object_count"] < len(vectors)
    entries = manifest["vectors"]
    shared = [
        path
        for path in entries
        if path.startswith("devnet/")
        and entries.get("mainnet/" + path.split("/", 1)[1], {}).get("object") == entries[path]["object"]
    ]
    assert shared  # e.g. a hashing case: one body serves both presets
    assert len({entries[p]["object"] for p in entries}) == len(objects)  # no stored body unused


def test_load_release_round_trips_and_checks(tmp_path: Path, vectors: list[Vector]) -> None:
    tarball = tmp_path / "release.tar.gz"
    tarball.write_bytes(build_release(vectors, "2.0.0"))
    loaded, suite = load_release(tarball)
    assert loaded == sorted(vectors, key=lambda v: v.relative_path)
    assert suite.version == "2.0.0" and suite.hash == suite_hash(vectors)
    # a tampered member is refused
    members = _members(tarball.read_bytes())
    name = next(n for n in members if "/objects/" in n)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for member, content in members.items():
            if member == name:
                content = content.replace(b'"description": "', b'"description": "x')
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(raw.getvalue())
    with pytest.raises(ReleaseError, match="sha256"):
        load_release(bad)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(ReleaseError):
        load_release(junk)


def test_run_consumes_a_release_directly(tmp_path: Path, vectors: list[Vector]) -> None:
    tarball = tmp_path / "release.tar.gz"
    hashing = [v for v in vectors if v.flow == "hashing"]
    tarball.write_bytes(build_release(hashing, "3.0.0"))
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(
        rusty_spec,
        ["run", "--vectors", str(tarball), "--adapter", REFERENCE_ADAPTER, "--report", str(report_path)],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert report["passed"] == len(hashing) and report["failed"] == 0
    assert report["suite"] == {"version": "3.0.0", "hash": suite_hash(hashing), "format": 1}


def test_release_from_a_directory_with_an_extra_level(tmp_path: Path) -> None:
    """Discovery and release do not depend on the path depth (a fork level may be added)."""
    files = generate_files(presets=["devnet"], flows=["hashing"])
    flat = tmp_path / "flat"
    write_files(flat, files)
    nested = tmp_path / "nested"
    for generated in files:
        preset, rest = generated.relative_path.split("/", 1)
        target = nested / preset / "fork_0" / rest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(generated.content)
    assert load_vectors(nested) == load_vectors(flat)
    runner = CliRunner()
    for name, source in (("flat.tar.gz", flat), ("nested.tar.gz", nested)):
        result = runner.invoke(
            rusty_spec,
            ["release", "--vectors", str(source), "--version", "1.0.0", "--out", str(tmp_path / name)],
        )
        assert result.exit_code == 0, result.output
    assert (tmp_path / "flat.tar.gz").read_bytes() == (tmp_path / "nested.tar.gz").read_bytes()


def test_release_refuses_an_unwritable_target(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        rusty_spec, ["release", "--flow", "hashing", "--out", str(tmp_path / "no" / "x")]
    )
    assert result.exit_code != 0 and "cannot write the release" in result.output
