"""The OSS-Fuzz / ClusterFuzzLite packaging (``fuzz/oss_fuzz.py``, ``.clusterfuzzlite/``), checked locally.

No docker image is pulled: ``.clusterfuzzlite/build.sh`` runs as the image would run it, with
``$SRC``, ``$WORK`` and ``$OUT`` in a temporary directory and stand-ins for the two tools of the
image it calls (``pip3``: nothing to install, the project is in this environment;
``compile_python_fuzzer``: instead of a PyInstaller bundle, a wrapper that runs the target script
with this interpreter, passing the arguments the same way). Then one packaged target runs
under libFuzzer from its unzipped seed corpus, as OSS-Fuzz starts it.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fuzz.harnesses import HARNESSES, MAX_LEN, dictionary
from fuzz.oss_fuzz import package, target_name
from fuzz.run import DEFAULT_CORPUS_DIR, REPO_ROOT, corpus_files, parse_libfuzzer_output

CFLITE = REPO_ROOT / ".clusterfuzzlite"
WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``$OUT`` after running ``.clusterfuzzlite/build.sh`` with stand-in tools."""
    root = tmp_path_factory.mktemp("cflite")
    src, work, out, tools = root / "src", root / "work", root / "out", root / "tools"
    for directory in (src, work, out, tools):
        directory.mkdir()
    (src / "rusty-coin-spec").symlink_to(REPO_ROOT)
    _executable(tools / "pip3", '#!/bin/sh\necho "pip3 $*" >> "$WORK/tool-calls"\n')
    _executable(tools / "python3", f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    # compile_python_fuzzer <script> [pyinstaller options]: record the call, then make $OUT/<name>
    # an executable that runs the script (the real one bundles it with PyInstaller).
    _executable(
        tools / "compile_python_fuzzer",
        "#!/bin/sh\n"
        'echo "compile_python_fuzzer $*" >> "$WORK/tool-calls"\n'
        'name=$(basename -s .py "$1")\n'
        'cp "$1" "$OUT/$name.py"\n'
        """printf '#!/bin/sh\\nexec %s "%s" "$@"\\n' "$TARGET_PYTHON" "$OUT/$name.py" > "$OUT/$name"\n"""
        'chmod +x "$OUT/$name"\n',
    )
    env = {
        **os.environ,
        "SRC": str(src),
        "WORK": str(work),
        "OUT": str(out),
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO_ROOT),
        "TARGET_PYTHON": sys.executable,
    }
    subprocess.run(["bash", str(CFLITE / "build.sh")], env=env, check=True, capture_output=True, timeout=300)
    return out


def test_project_files_name_python_and_libfuzzer() -> None:
    project = (CFLITE / "project.yaml").read_text(encoding="utf-8")
    assert "language: python" in project and "libfuzzer" in project
    docker = (CFLITE / "Dockerfile").read_text(encoding="utf-8")
    assert docker.startswith("#") and "FROM gcr.io/oss-fuzz-base/base-builder-python" in docker
    assert "COPY .clusterfuzzlite/build.sh $SRC/" in docker and "$SRC/rusty-coin-spec" in docker
    for workflow, mode in (("cflite_pr.yml", "code-change"), ("cflite_batch.yml", "batch")):
        text = (WORKFLOWS / workflow).read_text(encoding="utf-8")
        assert "google/clusterfuzzlite/actions/build_fuzzers@v1" in text
        assert "google/clusterfuzzlite/actions/run_fuzzers@v1" in text
        assert f"mode: {mode}" in text and "language: python" in text


def test_build_script_makes_every_target(built: Path) -> None:
    calls = (built.parent / "work" / "tool-calls").read_text(encoding="utf-8").splitlines()
    assert calls[0] == "pip3 install ."
    compiled = sorted(Path(call.split()[1]).stem for call in calls[1:])
    assert compiled == sorted(target_name(name) for name in HARNESSES)
    assert all("--collect-data spec --collect-data conformance" in call for call in calls[1:])
    for name in HARNESSES:
        target = target_name(name)
        assert os.access(built / target, os.X_OK)
        with zipfile.ZipFile(built / f"{target}_seed_corpus.zip") as archive:
            members = {info.filename: archive.read(info) for info in archive.infolist()}
        assert members == {p.name: p.read_bytes() for p in corpus_files(DEFAULT_CORPUS_DIR, name)}
        assert (built / f"{target}.dict").exists() == bool(dictionary(name))
        options = built / f"{target}.options"
        assert options.exists() == (name in MAX_LEN)
        if name in MAX_LEN:
            assert options.read_text(encoding="ascii") == f"[libfuzzer]\nmax_len = {MAX_LEN[name]}\n"


def test_packaging_is_deterministic(tmp_path: Path) -> None:
    first = package(tmp_path / "one", ["adapter_serve", "varint"])
    second = package(tmp_path / "two", ["adapter_serve", "varint"])
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))


def test_packaged_target_fuzzes_from_its_seed_corpus(built: Path, tmp_path: Path) -> None:
    """Start a target as OSS-Fuzz does: the executable in $OUT, a corpus directory, the dictionary."""
    target = target_name("adapter_serve")
    corpus = tmp_path / "corpus"
    with zipfile.ZipFile(built / f"{target}_seed_corpus.zip") as archive:
        archive.extractall(corpus)
    process = subprocess.run(
        [
            str(built / target),
            "-runs=300",
            f"-max_len={MAX_LEN['adapter_serve']}",
            f"-dict={built / f'{target}.dict'}",
            f"-artifact_prefix={tmp_path}{os.sep}",
            str(corpus),
        ],
        cwd=built,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    runs, coverage, _ = parse_libfuzzer_output(process.stderr)
    assert process.returncode == 0, process.stderr[-3000:]
    assert runs >= 300 and coverage > 0
    assert "Dictionary:" in process.stderr
