"""An HTML summary of a conformance run (``rusty-spec run --report report.html``).

One self-contained page (inline CSS, no script, nothing fetched): the totals, a bar per flow and a
table per handler with pass/fail/skip counts, the run-level problems, and every failing case with
its reason and a line diff of the expected and the actual response.
"""

from __future__ import annotations

import difflib
import html
import json
from collections import Counter
from typing import Any

from conformance.runner import CaseResult, RunReport

MAX_FAILURES_SHOWN = 500
"""Failing cases shown in full; the rest are counted (the JSON report has them all)."""

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 75em; color: #222; }
body { padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .2em .7em; text-align: right; }
th { border-bottom: 2px solid #999; } td { border-bottom: 1px solid #ddd; }
td.name, th.name { text-align: left; font-family: ui-monospace, monospace; }
.ok { color: #1a7f37; } .bad { color: #c62828; } .skip { color: #8a6d00; }
.bar { display: flex; width: 24em; height: .9em; background: #eee; border-radius: 2px; overflow: hidden; }
.bar span { display: block; height: 100%; }
.bar .pass { background: #2da44e; } .bar .fail { background: #d32f2f; } .bar .skipped { background: #e3b341; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; font-size: 12px; }
.del { color: #b31d28; background: #ffeef0; } .add { color: #22863a; background: #f0fff4; }
details { margin: .4em 0; } summary { cursor: pointer; font-family: ui-monospace, monospace; }
"""


def _bar(counts: Counter[str]) -> str:
    total = sum(counts.values()) or 1
    parts = []
    for status, css in (("pass", "pass"), ("fail", "fail"), ("skip", "skipped")):
        if counts[status]:
            width = 100 * counts[status] / total
            parts.append(
                f'<span class="{css}" style="width:{width:.3f}%" title="{counts[status]} {status}"></span>'
            )
    return f'<div class="bar" role="img" aria-label="{_label(counts)}">{"".join(parts)}</div>'


def _label(counts: Counter[str]) -> str:
    return f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"


def _row(name: str, counts: Counter[str]) -> str:
    verdict = "bad" if counts["fail"] else ("skip" if counts["skip"] and not counts["pass"] else "ok")
    return (
        f'<tr class="{verdict}"><td class="name">{html.escape(name)}</td><td>{counts["pass"]}</td>'
        f"<td>{counts['fail']}</td><td>{counts['skip']}</td><td>{_bar(counts)}</td></tr>"
    )


def _table(title: str, rows: dict[str, Counter[str]]) -> list[str]:
    out = [
        f"<table><thead><tr><th class='name'>{title}</th>"
        "<th>pass</th><th>fail</th><th>skip</th><th></th></tr></thead><tbody>"
    ]
    out += [_row(name, counts) for name, counts in sorted(rows.items())]
    out.append("</tbody></table>")
    return out


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def response_diff(expected: Any, actual: Any) -> str:
    """A unified line diff of the pretty-printed expected and actual responses, as HTML."""
    lines = []
    for line in difflib.unified_diff(
        _pretty(expected), _pretty(actual), "expected", "actual", lineterm="", n=3
    ):
        css = "del" if line.startswith("-") else "add" if line.startswith("+") else ""
        text = html.escape(line)
        lines.append(f'<span class="{css}">{text}</span>' if css else text)
    return "\n".join(lines) or "(the responses print the same: see the reason)"


def _failure(result: CaseResult) -> str:
    diff = response_diff(result.expected, result.actual)
    return (
        f"<details><summary>{html.escape(result.vector.relative_path)}</summary>"
        f"<p>{html.escape(result.reason)}</p><pre>{diff}</pre></details>"
    )


def render_html_report(report: RunReport) -> str:
    """The HTML page of one run (deterministic for a given report, apart from the times it shows)."""
    counts = report.counts()
    by_flow: dict[str, Counter[str]] = {}
    for result in report.results:
        by_flow.setdefault(f"{result.vector.preset}/{result.vector.flow}", Counter())[result.status] += 1
    verdict = "ok" if report.ok else "bad"
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Conformance: {html.escape(report.implementation)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Conformance report: {html.escape(report.implementation)}</h1>",
        f"<p>suite {html.escape(report.suite.version)} (<code>{html.escape(report.suite.hash[:16])}</code>), "
        f"{report.seconds:.1f} s</p>",
        f'<p class="{verdict}" id="verdict"><strong>{"PASS" if report.ok else "FAIL"}</strong>: '
        f"{_label(counts)}</p>",
        _bar(counts),
    ]
    problems = report.problems()
    if report.stopped_early:
        problems = [*problems, "stopped at the first failure (--fail-fast)"]
    if problems:
        out.append('<h2>Problems</h2><ul class="bad">')
        out += [f"<li>{html.escape(problem)}</li>" for problem in problems]
        out.append("</ul>")
    out.append('<h2 id="flows">Per flow</h2>')
    out += _table("preset/flow", by_flow)
    out.append('<h2 id="handlers">Per handler</h2>')
    out += _table("preset/flow/handler", report.by_handler())
    failures = [r for r in report.results if r.status == "fail"]
    out.append(f'<h2 id="failures">Failing cases ({len(failures)})</h2>')
    if not failures:
        out.append("<p>none</p>")
    out += [_failure(result) for result in failures[:MAX_FAILURES_SHOWN]]
    if len(failures) > MAX_FAILURES_SHOWN:
        out.append(f"<p>... and {len(failures) - MAX_FAILURES_SHOWN} more (see the JSON report)</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
