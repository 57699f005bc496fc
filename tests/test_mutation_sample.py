"""CI's slice of the mutation run (docs/mutation.md): a fixed sample of mutants must be killed.

The full run (``scripts/mutation.sh``) is opt-in and takes long; this test runs mutmut, through
the same driver, on a fixed pseudo-random sample of the killable mutants of a cheap flow and
asserts that the vectors kill every one of them (about a minute on one core).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.mutation import (
    KILLED,
    TIMEOUT,
    _normalised,
    killable_mutants,
    load_equivalents,
    run_sample,
    sample_mutants,
)

SAMPLES = {"merkle": 12}
"""One cheap flow without ALSO_FLOWS, so that a pass 2, when needed, stays small (under a minute)."""
SEED = 11


@pytest.mark.parametrize("flow", sorted(SAMPLES))
def test_sampled_mutants_are_killed(flow: str, tmp_path: Path) -> None:
    names = sample_mutants(flow, SAMPLES[flow], SEED)
    assert len(names) == SAMPLES[flow]
    verdicts = run_sample(flow, names, tmp_path)
    assert set(verdicts) == set(names), "mutmut did not run every sampled mutant"
    survivors = {name: status for name, status in verdicts.items() if status not in {KILLED, TIMEOUT}}
    assert survivors == {}, f"mutants the {flow} vectors do not kill (see docs/mutation.md): {survivors}"


def test_sample_excludes_equivalent_mutants() -> None:
    """Message-only mutants are equivalent by rule; the sample never contains them."""
    names = killable_mutants("hashing")
    assert names and all(name.startswith("spec.hashing.") for name in names)
    assert _normalised("def f():\n    raise E('a')\n") == _normalised("def g():\n    raise E(None)\n")
    assert _normalised("def f(x):\n    raise E(x)\n") != _normalised("def f(x):\n    return x\n")
    assert all("|" in key for key in load_equivalents())


def test_confirm_dirs_in_pass_order(tmp_path: Path) -> None:
    """Later passes replace earlier verdicts: pass 2, then each recheck's pass 1 and pass 2, in order."""
    from conformance.mutation import _confirm_dirs

    workdir = tmp_path / "ledger"
    for name in ("ledger", "ledger-pass2", "ledger-recheck1", "ledger-recheck1-pass2", "ledger-recheck2"):
        (tmp_path / name / "mutants").mkdir(parents=True)
    (tmp_path / "ledger-recheck4" / "mutants").mkdir(parents=True)  # not after recheck2: ignored
    names = [d.name for d in _confirm_dirs(workdir)]
    assert names == ["ledger-pass2", "ledger-recheck1", "ledger-recheck1-pass2", "ledger-recheck2"]


def test_sampled_row_says_so() -> None:
    from conformance.mutation import render

    row: dict[str, object] = {
        "mutants": 250,
        "killed": 240,
        "survived": 5,
        "not_reached": 0,
        "equivalent": 5,
        "other": 0,
        "message_only": 0,
        "sample": {"size": 250, "of": 1083, "seed": 11},
    }
    text = render({"chain": row}, {})
    line = next(x for x in text.splitlines() if x.startswith("| chain |"))
    assert "250 (sample of 1083, seed 11)" in line
    assert line.endswith("| 98.0% | first pass |")


def test_measure_column_tells_a_recheck_from_a_first_pass() -> None:
    """A row whose command rechecked its sample says so, with the first pass beside it if recorded."""
    from conformance.mutation import render

    base: dict[str, object] = {
        "mutants": 100,
        "killed": 100,
        "survived": 0,
        "not_reached": 0,
        "equivalent": 0,
        "other": 0,
        "message_only": 0,
    }
    rows: dict[str, dict[str, object]] = {
        "chain": {**base, "command": "python -m conformance.mutation --flow chain --sample 100"},
        "trie": {**base, "command": "x --flow trie && x --flow trie --recheck"},
        "peg": {**base, "command": "x --flow peg && x --flow peg --recheck-open", "first_pass": 95.3},
    }
    lines = {x.split(" | ")[0][2:]: x for x in render(rows, {}).splitlines() if x.startswith("| ")}
    assert lines["chain"].endswith("| 100.0% | first pass |")
    assert lines["trie"].endswith("| 100.0% | recheck (first pass not recorded) |")
    assert lines["peg"].endswith("| 100.0% | recheck (first pass 95.3%) |")


def test_recheck_open_settles_the_recorded_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--recheck-open: a reviewed key becomes equivalent, a key whose mutants all die is killed, a
    key with a survivor stays open; the first pass is kept and the command says it was rechecked."""
    import json

    from conformance import mutation

    row: dict[str, object] = {
        "mutants": 10,
        "killed": 7,
        "survived": 2,
        "not_reached": 1,
        "equivalent": 0,
        "other": 0,
        "message_only": 0,
        "command": "x --flow chain --sample 10",
        "open": ["survived: f | -a / +b", "survived: g | -c / +d", "not reached: h | -e / +f"],
        "equivalent_keys": [],
    }
    ran: list[list[str]] = []

    def fake_run(flow: str, names: list[str], workdir: Path) -> dict[str, str]:
        ran.append(list(names))
        return {"m_f1": KILLED, "m_f2": TIMEOUT, "m_g": "survived"}

    monkeypatch.setattr(mutation, "RESULTS_PATH", tmp_path / "results.json")
    monkeypatch.setattr(mutation, "DOC_PATH", tmp_path / "mutation.md")
    monkeypatch.setattr(mutation, "load_results", lambda: {"chain": dict(row)})
    monkeypatch.setattr(mutation, "load_equivalents", lambda: {"h | -e / +f": "unreachable"})
    monkeypatch.setattr(mutation, "load_notes", lambda: {})
    monkeypatch.setattr(
        mutation,
        "flow_mutants",
        lambda flow: [
            ("m_f1", "f | -a / +b", False),
            ("m_f2", "f | -a / +b", False),
            ("m_g", "g | -c / +d", False),
            ("m_h", "h | -e / +f", False),
        ],
    )
    monkeypatch.setattr(mutation, "run_sample", fake_run)
    settled = mutation.recheck_open("chain")
    assert ran == [["m_f1", "m_f2", "m_g"]]
    assert (settled["killed"], settled["survived"], settled["not_reached"], settled["equivalent"]) == (
        8,
        1,
        0,
        1,
    )
    assert settled["open"] == ["survived: g | -c / +d"]
    assert settled["equivalent_keys"] == ["h | -e / +f"]
    assert settled["first_pass"] == 70.0
    assert str(settled["command"]).endswith("--flow chain --recheck-open")
    assert json.loads((tmp_path / "results.json").read_text())["chain"]["killed"] == 8
    assert "recheck (first pass 70.0%)" in (tmp_path / "mutation.md").read_text()


def test_import_time_functions_found_by_profiler() -> None:
    """Pass 2 retries only mutants of functions that run at import, are cached, or run inside a
    cached function (here: without vectors, only import and cached functions)."""
    from conformance.mutation import import_time_functions

    names = import_time_functions()
    assert "spec.trie.x\u01c1TrieHasher\u01c1__post_init__" in names  # builds the hashers at import
    assert "spec.ledger.transaction.x_codecs" in names  # functools.cache
    assert "spec.trie.x_prove" not in names


def test_rows_measured_by_other_flows(tmp_path: Path) -> None:
    """The forks and prefix_proof rows run other flows' vectors (VECTOR_FLOWS): prefix_proof's work
    tree holds the hashing vectors, with the HASH-2 handlers that reach spec/prefix_proof.py."""
    from conformance.mutation import FLOW_MODULES, VECTOR_FLOWS, flow_files, prepare_workspace

    assert set(VECTOR_FLOWS) <= set(FLOW_MODULES)
    assert flow_files("prefix_proof") == ["spec/prefix_proof.py"]
    assert "spec/forks/deployment.py" in flow_files("forks")
    work = prepare_workspace("prefix_proof", tmp_path / "prefix_proof")
    paths = list((work / "vectors").rglob("*.json"))
    assert {p.parts[-3] for p in paths} == {"hashing"}
    assert {"prefix_proof", "digest_from_prefix", "tagged_hash"} <= {p.parts[-2] for p in paths}


def test_mutants_of_a_package_init_are_found(tmp_path: Path) -> None:
    """A mutant of ``spec/forks/__init__.py`` is named ``spec.forks.x_...``: its source is the
    package's ``__init__.py`` (the forks row's pass 2 once stopped on ``spec/forks.py``)."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    from conformance.mutation import ROOT, mutant_functions

    source = "spec/forks/__init__.py"
    code = mutate_file_contents(source, (ROOT / source).read_text(encoding="utf-8")).code
    target = tmp_path / "mutants" / source
    target.parent.mkdir(parents=True)
    target.write_text(code, encoding="utf-8")
    original, mutated = mutant_functions(tmp_path, "spec.forks.x_fork_by_name__mutmut_1")
    assert "fork.name == name" in original
    assert "fork.name != name" in mutated


def test_sidechain_rows_split_modules() -> None:
    """Issue 11: every module of the sidechain flows is in exactly one row (spec/sidechain/items.py
    in ``sidechain_items``, measured by the state vectors), and the rows that span flows run both
    flows' vectors."""
    from conformance.mutation import FLOW_MODULES, ROOT, flow_files, vector_flows

    rows = (
        "sidechain",
        "peg",
        "sidechain_block",
        "vm_ferris",
        "dispute",
        "settlement",
        "games",
        "liveness",
        "sidechain_items",
        "accumulator",
        "fraud_proofs",
    )
    files = [f for row in rows for f in flow_files(row)]
    assert len(files) == len(set(files)), "a module is in two sidechain rows"
    sidechain = {p.relative_to(ROOT).as_posix() for p in (ROOT / "spec" / "sidechain").glob("*.py")}
    expected = sidechain - {"spec/sidechain/__init__.py"}
    expected |= {"spec/vm/ferris.py", "spec/vm/nodes.py", "spec/vm/interface.py"}
    assert set(files) == expected
    others = {f for row in FLOW_MODULES if row not in rows for f in flow_files(row)}
    assert not others & expected, "a sidechain module is also in another row"
    assert vector_flows("sidechain") == ("sidechain", "peg")
    assert vector_flows("vm_ferris") == ("vm_ferris", "sidechain_block")
    assert vector_flows("peg") == ("peg",) and vector_flows("sidechain_block") == ("sidechain_block",)
    assert vector_flows("sidechain_items") == ("state",)


def test_function_rows_measure_only_their_functions() -> None:
    """Issue 11: ST-2's function, which the masternode row's vectors never reach, has a row of its
    own (FLOW_FUNCTIONS): only its mutants are sampled, run and counted; SNAP-9 is in the snapshot
    row."""
    from conformance.mutation import flow_files, in_row, row_modules, row_patterns, vector_flows

    function = "spec.masternode.finality.x_apply_block_to_quorums_after_parent"
    names = killable_mutants("quorum_parent")
    assert names and all(name.rsplit("__mutmut_", 1)[0] == function for name in names)
    assert in_row("quorum_parent", f"{function}__mutmut_1")
    assert not in_row("quorum_parent", "spec.masternode.finality.x_record_quorum__mutmut_1")
    assert in_row("masternode", "spec.masternode.finality.x_record_quorum__mutmut_1")
    assert row_patterns("quorum_parent") == [f"{function}__mutmut_*"] and row_patterns("masternode") == []
    assert row_modules("quorum_parent").endswith("(apply_block_to_quorums_after_parent only)")
    assert set(vector_flows("quorum_parent")) >= {"chain", "state"}
    assert "spec/chain/snapshot_finality.py" in flow_files("snapshot")
