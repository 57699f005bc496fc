"""The pieces that make the formerly shallow harnesses cheap, and the campaign runner.

* the memoising BLS backend answers exactly like the backend it wraps and is scoped to a block;
* ``bls_backends`` decodes every input into a bounded set of encodings (so remembering py_ecc's
  verdicts is bounded) that reaches every verdict of both backends;
* the per-operation Kademlia checks still catch a misplaced node and a change outside the
  operation's bucket;
* ``adapter_serve`` still counts a ``\\u``-escaped shutdown as the end of the session, and the
  adapter's nesting check gives the same verdicts with its shortcuts;
* ``fuzz.campaign`` records, tabulates and extrapolates (and one tiny real run).
"""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.adapter import parse_request
from fuzz import campaign
from fuzz.bls_cache import CACHED, cached_bls
from fuzz.harnesses import (
    BACKEND_G2_X_TABLE,
    BACKEND_MULTIPLES,
    BACKEND_X_TABLE,
    _backend_verdict,
    backend_point,
    fuzz_adapter_serve,
)
from fuzz.p2p_harnesses import P2PInvariantViolation, _check_step, check_bucket
from fuzz.run import REPO_ROOT, FuzzResult
from reference.jsonsafe import MAX_JSON_NESTING
from spec.crypto import bls
from spec.p2p.kademlia import Bucket, empty_table, insert
from spec.p2p.messages import NodeAddress
from spec.presets import DEVNET

# --------------------------------------------------------------------------------------------
# Memoising BLS backend
# --------------------------------------------------------------------------------------------


def test_cached_backend_answers_like_the_default_backend() -> None:
    secret = bls.key_gen(b"\x11" * 32)
    public = bls.sk_to_pk(secret)
    signature = bls.sign(secret, b"message")
    with cached_bls() as backend:
        assert backend is CACHED and bls.active_backend() is CACHED
        for _ in range(2):  # computed, then answered from the cache
            assert bls.sk_to_pk(secret) == public
            assert bls.sign(secret, b"message") == signature
            assert bls.verify(public, b"message", signature)
            assert not bls.verify(public, b"other", signature)
            assert bls.aggregate([signature, signature]) == bls.aggregate([signature, signature])
    assert bls.active_backend().name == bls.DEFAULT_BACKEND


def test_cached_backend_is_left_on_error() -> None:
    with pytest.raises(RuntimeError), cached_bls():
        raise RuntimeError("boom")
    assert bls.active_backend().name == bls.DEFAULT_BACKEND


# --------------------------------------------------------------------------------------------
# bls_backends: structure-aware, bounded
# --------------------------------------------------------------------------------------------


def test_backend_inputs_describe_a_bounded_set_of_encodings() -> None:
    # Byte 1 is reduced modulo a table size or a multiple count (all dividing 24), byte 2 modulo
    # the G2 table size or a delta range (4, 7 and 5, all dividing 140): this covers every input.
    encodings = {
        backend_point(bytes([header, first, second]))
        for header in range(16)
        for first in range(24)
        for second in range(140)
    }
    g1_x = len(BACKEND_X_TABLE) + BACKEND_MULTIPLES[0] * 7
    g2_x = len(BACKEND_G2_X_TABLE) ** 2 + BACKEND_MULTIPLES[1] * 5
    assert len(encodings) == 4 * (g1_x + g2_x) < 500
    assert {len(point) for group, point in encodings if group == 0} == {bls.PUBLIC_KEY_LENGTH}
    assert {len(point) for group, point in encodings if group == 1} == {bls.SIGNATURE_LENGTH}


def test_backend_inputs_reach_every_verdict() -> None:
    assert backend_point(b"\x08") == backend_point(b"\x08\x00\x00") == (0, bls.G1_GENERATOR)
    assert backend_point(b"\x09") == (1, bls.G2_GENERATOR)
    assert backend_point(b"") == (0, bytes([0x80]) + bytes(47))  # x = 0 from the table
    assert backend_point(b"\x04") == (0, bls.G1_IDENTITY)
    verdicts = {
        _backend_verdict("arkworks", *backend_point(data)).split(": ")[-1]
        for data in (b"\x00", b"\x04", b"\x00\x07", b"\x06", b"\x08\x07\x06", b"\x04\x01")
    }
    assert verdicts == {
        "valid",
        "not in the prime-order subgroup",  # x = 0: (0, 2) is on the curve (BLS-PYECC-G1-X0)
        "not on the curve",
        "compression flag not set",
        "identity encoding with nonzero sign or coordinate bits",
    }


# --------------------------------------------------------------------------------------------
# Kademlia: per-operation checks
# --------------------------------------------------------------------------------------------

OWN = bytes(range(32))


def _node(first: int) -> NodeAddress:
    return NodeAddress(bytes([first]) + OWN[1:], b"", 1)


def test_kademlia_bucket_check_catches_a_misplaced_node() -> None:
    table = insert(empty_table(OWN, DEVNET), _node(0x80), True, DEVNET)
    check_bucket(table, 0)
    wrong = replace(table, buckets=(Bucket(), table.buckets[0], *table.buckets[2:]))
    with pytest.raises(P2PInvariantViolation, match="wrong bucket"):
        check_bucket(wrong, 1)


def test_kademlia_step_check_catches_a_change_elsewhere() -> None:
    before = insert(empty_table(OWN, DEVNET), _node(0x80), True, DEVNET)
    after = insert(before, _node(0x40), True, DEVNET)
    _check_step(before, after, _node(0x40).node_id, True)
    with pytest.raises(P2PInvariantViolation, match="another bucket"):
        _check_step(before, after, _node(0xC0).node_id, True)  # bucket 0 did not change, bucket 1 did


def test_adapter_serve_counts_an_escaped_shutdown() -> None:
    fuzz_adapter_serve(b'{"id": 1, "method": "\\u0073hutdown"}\n{"id": 2, "method": "hello"}\n')


# --------------------------------------------------------------------------------------------
# Campaign runner
# --------------------------------------------------------------------------------------------


def _entry(harness: str, executions: int, seconds: float, cpu: float) -> campaign.CampaignEntry:
    return campaign.CampaignEntry(
        harness=harness,
        executions=executions,
        seconds=seconds,
        cpu_seconds=cpu,
        coverage=10,
        features=20,
        corpus=3,
        peak_rss_mb=100,
        crashes=(),
        returncode=0,
        target_runs=1_000_000,
        started="2026-01-01T00:00:00Z",
    )


def test_campaign_table_extrapolates_the_harnesses_that_stopped_short(tmp_path: Path) -> None:
    done, short = _entry("fast", 1_000_000, 100.0, 80.0), _entry("slow", 50_000, 100.0, 50.0)
    assert done.reached and done.seconds_to_target() == 100.0
    assert not short.reached and short.seconds_to_target() == pytest.approx(2000.0)
    assert short.cpu_seconds_to_target() == pytest.approx(1000.0)
    path = tmp_path / "campaign.json"
    campaign.save(path, {"fast": done, "slow": short}, {"runs": 1_000_000})
    assert campaign.load(path) == {"fast": done, "slow": short}
    table = campaign.markdown_table([done, short])
    assert "| `fast` | 1,000,000 |" in table and "| yes |" in table
    assert "| `slow` | 50,000 | 100 | 50 (0) | 500 | 1,000 |" in table and "| 33 min | 17 min |" in table
    assert "1 reached 10^6 executions; the others need about 32 min more" in table
    doc = tmp_path / "doc.md"
    doc.write_text(f"before\n{campaign.DOC_START}\nold\n{campaign.DOC_END}\nafter\n", encoding="utf-8")
    campaign.update_doc(table, doc)
    assert (
        doc.read_text(encoding="utf-8") == f"before\n{campaign.DOC_START}\n{table}{campaign.DOC_END}\nafter\n"
    )


def test_campaign_entry_records_a_failing_run_with_its_artifacts(tmp_path: Path) -> None:
    """A run that left crash or timeout artifacts becomes an entry naming them (relative to the
    repository when inside it), so the campaign goes on with the next harness instead of dying."""
    inside = REPO_ROOT / "fuzz" / "crashes" / "varint" / "timeout-00"
    outside = tmp_path / "crash-01"
    result = FuzzResult(
        harness="varint",
        returncode=1,
        runs=1234,
        seconds=5.0,
        coverage=7,
        exec_per_second=246.8,
        crashes=[inside, outside],
        cpu_seconds=4.0,
    )
    entry = campaign.CampaignEntry.of(result, 1_000_000, "2026-01-01T00:00:00Z")
    assert entry.crashes == ("fuzz/crashes/varint/timeout-00", str(outside))
    assert entry.executions == 1234 and entry.returncode == 1 and not entry.reached
    table = campaign.markdown_table([entry])
    assert "| `varint` | 1,234 |" in table and "| 2 |" in table


def test_campaign_runs_a_harness_to_its_target(tmp_path: Path) -> None:
    path = tmp_path / "campaign.json"
    code = campaign.main(
        ["varint", "--runs", "300", "--seconds", "120", "--json", str(path), "--crash-dir", str(tmp_path)]
    )
    assert code == 0
    [entry] = json.loads(path.read_text(encoding="utf-8"))["harnesses"]
    assert entry["harness"] == "varint" and entry["executions"] >= 300 and entry["target_runs"] == 300
    assert entry["coverage"] > 0 and entry["features"] > 0 and entry["cpu_seconds"] > 0


def test_campaign_continues_a_harness_below_its_target(tmp_path: Path) -> None:
    """--continue-below runs a short harness again for what it lacks and adds up its figures; a
    harness at its target is left alone."""
    path = tmp_path / "campaign.json"
    short, done = _entry("varint", 100, 10.0, 8.0), _entry("encoding", 1_000_000, 10.0, 8.0)
    campaign.save(path, {"varint": short, "encoding": done}, {"runs": 300})
    code = campaign.main(
        [
            "varint,encoding",
            "--runs",
            "300",
            "--seconds",
            "120",
            "--json",
            str(path),
            "--crash-dir",
            str(tmp_path),
            "--resume",
            "--continue-below",
        ]
    )
    assert code == 0
    entries = campaign.load(path)
    assert entries["encoding"] == done
    varint = entries["varint"]
    assert varint.executions >= 300 and varint.sessions == 2 and varint.target_runs == 300
    assert varint.started == short.started and varint.seconds > short.seconds
    assert varint.cpu_seconds > short.cpu_seconds and varint.coverage > 0
    assert "| 2 | yes |" in campaign.markdown_table([varint])


def test_adapter_nesting_check() -> None:
    """parse_request refuses text nested deeper than the shared limit (reference.jsonsafe) before
    parsing it, accepts the limit, and does not count brackets inside strings."""
    deep, shallow = MAX_JSON_NESTING + 1, MAX_JSON_NESTING
    value, reason = parse_request("[" * deep + "]" * deep)
    assert value is None and reason is not None and str(MAX_JSON_NESTING) in reason
    assert parse_request("[" * shallow + "]" * shallow)[1] is None
    quoted = json.dumps(["[" * 200])  # brackets inside a string do not nest
    assert parse_request(quoted) == (["[" * 200], None)


def test_script_entry_points_come_last() -> None:
    """A module run with ``python -m`` executes its ``if __name__ == "__main__"`` block at that point
    of the file: a helper defined below it does not exist yet (fuzz.campaign died that way on its
    first crash artifact while every import-based test passed). So the block is each module's last
    statement."""
    late = []
    for folder in ("fuzz", "reference", "conformance", "scripts", "tests"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            body = ast.parse(path.read_text(encoding="utf-8")).body
            for index, node in enumerate(body):
                test = node.test if isinstance(node, ast.If) else None
                if (
                    isinstance(test, ast.Compare)
                    and isinstance(test.left, ast.Name)
                    and test.left.id == "__name__"
                    and index != len(body) - 1
                ):
                    late.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert late == []
