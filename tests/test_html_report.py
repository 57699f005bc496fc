"""``rusty-spec run --report report.html``: the HTML summary of a conformance run."""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conformance.cli import main as rusty_spec
from conformance.html_report import render_html_report, response_diff
from conformance.runner import CaseResult, RunReport, SuiteInfo
from tests.test_runner_strict import FAKE_ADAPTER, _ok, _vector, _write_vectors


class _Collect(HTMLParser):
    """Checks the page is well nested and collects the text of each element kind."""

    VOID = frozenset({"meta", "br", "img", "link", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and "://" in value:
                self.external.append(value)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack[-3:], tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.text.setdefault(self.stack[-1], []).append(data)


def _parse(page: str) -> _Collect:
    parser = _Collect()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], parser.stack
    assert parser.external == []  # self-contained: nothing is fetched when it is opened
    return parser


def test_html_report_of_a_run_with_a_failure() -> None:
    good = _vector("good", {"v": 1})
    bad = _vector("bad", {"v": 1, "w": [1, 2]})
    odd = _vector("odd", {"v": 1}, flow="merkle")
    report = RunReport(
        "fake <adapter> 1.0",
        [
            CaseResult(good, "pass"),
            CaseResult(
                bad,
                "fail",
                "output differs at $.w[1]: expected integer 2, got integer 3",
                expected=_ok({"v": 1, "w": [1, 2]}),
                actual=_ok({"v": 1, "w": [1, 3]}),
            ),
            CaseResult(odd, "skip", "unsupported"),
        ],
        SuiteInfo("unreleased", "ab" * 32),
    )
    page = render_html_report(report)
    parsed = _parse(page)
    assert "<title>Conformance: fake &lt;adapter&gt; 1.0</title>" in page
    assert "FAIL" in parsed.text["strong"]
    assert "1 passed, 1 failed, 1 skipped" in page
    # per flow and per handler rows, each with its counts
    cells = parsed.text["td"]
    assert "devnet/hashing" in cells and "devnet/merkle" in cells
    assert "devnet/hashing/tagged_hash" in cells and "devnet/merkle/root" in cells
    row = re.search(r"devnet/hashing/tagged_hash</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", page)
    assert row is not None and row.groups() == ("1", "1", "0")
    # the failing case: its path, its reason and a diff of the responses
    assert parsed.text["summary"] == ["devnet/genesis/hashing/tagged_hash/bad.json"]
    assert "output differs at $.w[1]: expected integer 2, got integer 3" in parsed.text["p"]
    deleted = [line.strip() for line in re.findall(r'<span class="del">([^<]*)</span>', page)]
    added = [line.strip() for line in re.findall(r'<span class="add">([^<]*)</span>', page)]
    assert deleted == ["--- expected", "-      2"] and added == ["+++ actual", "+      3"]


def test_html_report_of_a_clean_run() -> None:
    report = RunReport("ok", [CaseResult(_vector("good", {"v": 1}), "pass")], SuiteInfo("0.1.0", "cd" * 32))
    page = render_html_report(report)
    parsed = _parse(page)
    assert parsed.text["strong"] == ["PASS"]
    assert "Failing cases (0)" in page and "<p>none</p>" in page
    assert response_diff({"a": 1}, {"a": 1}) == "(the responses print the same: see the reason)"


def test_cli_writes_the_html_report_with_json_and_junit_beside(tmp_path: Path) -> None:
    vectors = [_vector("good", {"v": 1}), _vector("bad", {"v": 1})]
    vectors_dir = _write_vectors(tmp_path / "vectors", vectors)
    script = tmp_path / "fake_adapter.py"
    script.write_text(FAKE_ADAPTER)
    table_path = tmp_path / "table.json"
    table_path.write_text(json.dumps({"good": _ok({"v": 1}), "bad": _ok({"v": "1"})}))
    adapter = f"{sys.executable} {script} table {table_path} {tmp_path / 'state'}"
    html_path = tmp_path / "out" / "report.html"
    html_path.parent.mkdir()
    result = CliRunner().invoke(
        rusty_spec, ["run", "--vectors", str(vectors_dir), "--adapter", adapter, "--report", str(html_path)]
    )
    assert result.exit_code == 1, result.output
    assert f"HTML report: {html_path}" in result.output
    page = html_path.read_text(encoding="utf-8")
    parsed = _parse(page)
    assert parsed.text["summary"] == ["devnet/genesis/hashing/tagged_hash/bad.json"]
    assert "1 passed, 1 failed, 0 skipped" in page
    assert '<span class="del">-    &quot;v&quot;: 1</span>' in page
    assert '<span class="add">+    &quot;v&quot;: &quot;1&quot;</span>' in page
    report: Any = json.loads(html_path.with_suffix(".json").read_text())
    assert (report["passed"], report["failed"]) == (1, 1)
    assert html_path.with_suffix(".xml").read_text().startswith("<?xml")
