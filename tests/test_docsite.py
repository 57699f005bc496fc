"""The spec book as a site: generated rule links and source pages, the strict build, Mermaid in Chromium.

The build (``conformance.docsite.build_site``, what ``rusty-spec docs build`` runs) happens once per
module into a temporary folder; the browser tests serve it on 127.0.0.1 and drive Debian's
Chromium through chromedriver (selenium, no browser download), and are skipped with the reason when
Chromium is not installed (``scripts/setup.sh`` installs it as root).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import docsite

pytestmark = pytest.mark.xdist_group("browser")  # one worker builds the site once for the module

ROOT = docsite.REPO_ROOT
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
BROWSER_PAGES = ("chain", "governance", "masternodes")  # 20 diagrams: flowcharts, state, sequence


def _line_of(path: str, name: str) -> int:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return node.lineno
    raise AssertionError(f"{name} not in {path}")


# --- the generated pieces, without mkdocs ------------------------------------------------------


def test_expand_rule_ids_ranges_and_lists() -> None:
    assert docsite.expand_rule_ids("ENC-1..4") == ["ENC-1", "ENC-2", "ENC-3", "ENC-4"]
    assert docsite.expand_rule_ids("HDR-2..4 and POW-1/2/4") == [
        "HDR-2",
        "HDR-3",
        "HDR-4",
        "POW-1",
        "POW-2",
        "POW-4",
    ]
    assert docsite.expand_rule_ids("ED-1..ED-3") == ["ED-1", "ED-2", "ED-3"]
    assert docsite.expand_rule_ids("RWD-3 (BLK-5)") == ["RWD-3", "BLK-5"]
    assert docsite.expand_rule_ids("P2P-KAD-3: bucket") == ["P2P-KAD-3"]
    # a continuation with another prefix is a new id, not part of the range
    assert docsite.expand_rule_ids("FIN-5/MN-0") == ["FIN-5"]
    assert docsite.expand_rule_ids("lowercase-1 and x-2") == []


def test_rule_sites_prefer_the_docstring_that_starts_with_the_rule() -> None:
    mentions = [m for page in ("chain.md", "encoding.md") for m in _page_rows(page)]
    families, named = docsite.rule_families(mentions)
    assert {"HDR", "ENC", "POW"} <= families
    sites = docsite.collect_rule_sites(ROOT, "spec", families, named)
    best = sites["HDR-1"][0]
    assert sites["BLK-1"][0].qualname == "check_block_shape"  # before the error class naming BLK-1
    assert (best.path, best.qualname) == ("spec/chain/block.py", "check_header_version")
    assert best.line == _line_of("spec/chain/block.py", "check_header_version")
    assert best.dotted == "spec.chain.block.check_header_version"
    # check_block_shape names HDR-1 among many rules: it is listed, after the specific function
    assert "check_block_shape" in [site.qualname for site in sites["HDR-1"][1:]]
    assert sites["ENC-3"][0].qualname == "read_length_prefix"
    # prose such as BLS12-381 or SHA-256 is not a rule: its prefix is no rule family of the book
    assert not any(rule.startswith(("BLS12-", "SHA-")) for rule in sites)


def _page_rows(page: str) -> list[docsite.RuleMention]:
    return docsite.find_rule_rows(page, (ROOT / "docs" / page).read_text(encoding="utf-8"))


def test_rule_rows_and_repository_links_are_rewritten() -> None:
    site = docsite.RuleSite((0, 1), "spec/chain/block.py", 168, "check_header_version")
    context = docsite.LinkContext(
        {"HDR-1": [site]},
        frozenset({"spec/encoding.py", "fuzz/corpora"}),
        {"spec/encoding.py": {"decode": 108}},
    )
    markdown = "\n".join(
        [
            "| rule | statement |",
            "|---|---|",
            "| HDR-1 / HDR-9 | version is 1 |",
            "- **HDR-1** bullet",
            "See [`decode`](../spec/encoding.py) and [the module](../spec/encoding.py#L3),",
            "[corpora](../fuzz/corpora/), [missing](../spec/nothing.py), [page](chain.md#rules).",
            "```text",
            "| HDR-1 | in a fence, untouched | [`decode`](../spec/encoding.py)",
            "```",
            "",
        ]
    )
    out = docsite.rewrite_page("chain.md", markdown, context).splitlines()
    link = '[HDR-1](source/spec/chain/block.py.md#L168 "spec.chain.block.check_header_version")'
    assert out[2] == f"| {link} / HDR-9 | version is 1 |"  # HDR-9 has no site: left as text
    assert out[3] == f"- **{link}** bullet"
    assert "[`decode`](source/spec/encoding.py.md#L108)" in out[4]
    assert "[the module](source/spec/encoding.py.md#L3)" in out[4]
    assert "[corpora](source/fuzz/corpora/index.md)" in out[5]
    assert "[missing](../spec/nothing.py)" in out[5]  # left for mkdocs to report as broken
    assert "[page](chain.md#rules)" in out[5]
    assert out[7] == markdown.splitlines()[7]
    # from a page in a sub-folder the links climb out of it
    nested = docsite.rewrite_page("sub/page.md", "[x](../../spec/encoding.py)\n", context)
    assert nested == "[x](../source/spec/encoding.py.md)\n"


def test_source_listing_has_one_anchor_per_line() -> None:
    text = 'def f() -> int:\n    """HDR-1: x < y & z."""\n\n    return 1\n'
    listing, count = docsite.render_source_listing("spec/x.py", text)
    assert count == 4
    assert re.findall(r'id="L(\d+)"', listing) == ["1", "2", "3", "4"]
    assert "&lt;" in listing and "&amp;" in listing and "< y" not in listing
    plain, plain_count = docsite.render_source_listing("tests/x.py", text, highlighted=False)
    assert plain_count == 4 and "&lt; y &amp; z" in plain


def test_docs_build_command_reports_a_failed_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main as rusty_spec

    calls: list[tuple[Path, bool]] = []

    def failing(out: Path, *, strict: bool = True) -> Path:
        calls.append((out, strict))
        raise docsite.SiteBuildError("Aborted with 1 warnings in strict mode!")

    monkeypatch.setattr(docsite, "build_site", failing)
    result = CliRunner().invoke(rusty_spec, ["docs", "build", "--out", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "the book did not build: Aborted with 1 warnings in strict mode!" in result.output
    assert calls == [(tmp_path / "b", True)]


def test_api_docstrings_lose_their_rest_habits() -> None:
    from conformance.docs_griffe import rst_to_markdown

    text = "\n".join(
        [
            "Only :class:`~spec.errors.DecodeError` leaves :func:`decode` (:mod:`spec.encoding`).",
            "",
            "====  =====",
            "type  bytes",
            "====  =====",
            "u8    1",
            "====  =====",
            "",
            "after",
        ]
    )
    out = rst_to_markdown(text).splitlines()
    assert out[0] == "Only `DecodeError` leaves `decode` (`spec.encoding`)."
    assert out[2] == "```text" and out[8] == "```" and out[3:8] == text.splitlines()[2:7]
    assert out[-1] == "after"
    assert rst_to_markdown("a ==== b\n=== ===\nno closing rules") == "a ==== b\n=== ===\nno closing rules"


# --- the built site ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book built in strict mode (a broken link, anchor or a page left out of the nav fails)."""
    return docsite.build_site(tmp_path_factory.mktemp("site") / "site", strict=True)


def test_every_docs_page_is_built_and_in_the_nav(site: Path) -> None:
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert len(pages) >= 20
    nav = (site / "index.html").read_text(encoding="utf-8")
    for page in pages:
        url = "index.html" if page == "README.md" else f"{page.removesuffix('.md')}/index.html"
        assert (site / url).is_file(), page
        if page != "README.md":
            assert f'href="{page.removesuffix(".md")}/"' in nav, f"{page} missing from the nav"
    assert (site / "errors" / "index.html").is_file() and (site / "vector-format" / "index.html").is_file()


def test_rule_rows_link_to_the_source_line(site: Path) -> None:
    chain = (site / "chain" / "index.html").read_text(encoding="utf-8")
    line = _line_of("spec/chain/block.py", "check_header_version")
    assert f'href="../source/spec/chain/block.py/#L{line}"' in chain
    source = (site / "source" / "spec" / "chain" / "block.py" / "index.html").read_text(encoding="utf-8")
    assert f'id="L{line}"' in source
    anchored = source.split(f'id="L{line}"', 1)[1].split("</span>\n", 1)[0]
    assert "check_header_version" in re.sub(r"<[^>]+>", "", anchored)
    rules = (site / "rules" / "index.html").read_text(encoding="utf-8")
    assert 'id="hdr-1"' in rules and "spec.chain.block.check_header_version" in rules
    assert 'id="enc-1"' in rules and 'id="p2p-kad-1"' in rules


def test_api_reference_is_generated_from_docstrings(site: Path) -> None:
    api = (site / "api" / "spec.encoding" / "index.html").read_text(encoding="utf-8")
    assert 'id="spec.encoding.decode"' in api
    assert "ENC-1/ENC-2: decode one complete value" in api
    assert ":class:" not in api and ":func:" not in api  # Sphinx roles became code spans
    modules = {p.name for p in (site / "api").iterdir()}
    assert {"spec.chain.block", "spec.masternode.dkg", "spec.errors"} <= modules


def test_rule_ids_are_one_search_term(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])
    assert [t for t in separator.split("HDR-1 and P2P-KAD-3.") if t] == ["HDR-1", "and", "P2P-KAD-3"]
    located = {doc["location"].split("#")[0] for doc in index["docs"] if "HDR-1" in doc["text"]}
    assert {"chain/", "rules/"} <= located
    assert not any(doc["location"].startswith("source/") for doc in index["docs"])


def test_built_pages_fetch_nothing_from_other_hosts(site: Path) -> None:
    mermaid = site / "assets" / "vendor" / "mermaid" / "mermaid-11.17.2.min.js"
    assert mermaid.is_file() and mermaid.stat().st_size > 1_000_000
    for page in ("index.html", "chain/index.html", "api/spec.encoding/index.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text
        for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', text):
            assert "://" not in url, f"{page} loads {url}"


def test_strict_build_fails_on_a_broken_link(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "README.md").write_text("# Home\n\n[gone](missing.md), [anchor](README.md#nowhere)\n")
    config = tmp_path / "mkdocs.yml"
    real = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    validation = real[real.index("validation:") : real.index("\nnav:")]
    config.write_text(
        f"site_name: t\ndocs_dir: docs\nstrict: true\ntheme: {{name: mkdocs}}\n{validation}\n"
        "nav: [README.md]\n"
    )
    with pytest.raises(docsite.SiteBuildError):
        docsite.build_site(tmp_path / "out", strict=True, config_file=config)
    # the same page without the broken links builds
    (docs / "README.md").write_text("# Home\n\n[home](README.md)\n")
    docsite.build_site(tmp_path / "out", strict=True, config_file=config)


# --- in Chromium -------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site on an ephemeral 127.0.0.1 port."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) or shutil.which("chromium") is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium chromium-driver; "
            "scripts/setup.sh does it when run as root)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch_module.setenv("SE_OFFLINE", "true")  # selenium manager: never look for a driver online
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1600")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # Mermaid's parse errors
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for key in ("children", "shadowRoots"):
        for child in node.get(key, []):
            yield from _walk(child)
    if "contentDocument" in node:
        yield from _walk(node["contentDocument"])


def _mermaid_state(driver: Any) -> tuple[int, int, int]:
    """(diagrams rendered as SVG, source blocks still waiting, rendered diagrams without an SVG).

    Material renders each diagram into a closed shadow root of a ``div.mermaid``, which page
    scripts cannot read; the DevTools protocol can (``pierce``).
    """
    document = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    rendered = waiting = empty = 0
    for node in _walk(document):
        attributes = node.get("attributes", [])
        classes = dict(zip(attributes[::2], attributes[1::2], strict=True)).get("class", "").split()
        if "mermaid" not in classes:
            continue
        if node.get("nodeName") == "PRE":
            waiting += 1
        elif node.get("nodeName") == "DIV":
            svgs = [
                n for root in node.get("shadowRoots", []) for n in _walk(root) if n.get("nodeName") == "svg"
            ]
            if svgs:
                rendered += 1
            else:
                empty += 1
    return rendered, waiting, empty


def _fences(page: str) -> int:
    return sum(1 for line in (ROOT / "docs" / f"{page}.md").read_text().splitlines() if line == "```mermaid")


def test_mermaid_diagrams_render_as_svg(browser: Any, served: str, tmp_path: Path) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    for page in BROWSER_PAGES:
        expected = _fences(page)
        assert expected >= 1, page
        browser.get(f"{served}/{page}/")

        def all_rendered(driver: Any, n: int = expected) -> bool:
            return _mermaid_state(driver)[0] >= n

        with contextlib.suppress(TimeoutException):  # the assertion below says what is missing
            WebDriverWait(browser, 20, poll_frequency=0.2).until(all_rendered)
        rendered, waiting, empty = _mermaid_state(browser)
        errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert (rendered, waiting, empty, errors) == (expected, 0, 0, []), page
        resources = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])"
        )
        assert resources and all(url.startswith(served) for url in resources), [
            url for url in resources if not url.startswith(served)
        ]
        assert any(url.endswith("mermaid-11.17.2.min.js") for url in resources)
        shot = tmp_path / f"{page}.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000


def test_search_finds_a_rule_id(browser: Any, served: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served}/?q=HDR-1")
    results = WebDriverWait(browser, 30, poll_frequency=0.2).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item a")
    )
    hrefs = [a.get_attribute("href") for a in results]
    # the whole id is one term (highlighted as such), and the pages that state the rule are hits
    assert hrefs[0].endswith("?h=hdr-1"), hrefs
    assert any(href.startswith(f"{served}/chain/") for href in hrefs), hrefs
    assert any(href.startswith(f"{served}/rules/?h=hdr-1") for href in hrefs), hrefs
    browser.save_screenshot(str(tmp_path / "search.png"))


def test_every_diagram_of_the_book_parses(browser: Any, served: str) -> None:
    """Beyond the three pages rendered above: every Mermaid block of every docs/ page goes through
    the vendored Mermaid's parser (a ``;`` inside a sequence message, say, ends the statement)."""
    diagrams = {
        f"{page.name}#{index}": source
        for page in sorted((ROOT / "docs").glob("*.md"))
        for index, source in enumerate(re.findall(r"```mermaid\n(.*?)```", page.read_text(), re.S))
    }
    assert len(diagrams) >= 40
    browser.get(f"{served}/")  # every page loads the pinned Mermaid (extra_javascript)
    browser.set_script_timeout(60)
    failures = browser.execute_async_script(
        """
        const [diagrams, done] = arguments;
        (async () => {
            const failed = {};
            for (const [name, source] of Object.entries(diagrams)) {
                try {
                    await mermaid.parse(source);
                } catch (error) {
                    failed[name] = String(error.message || error);
                }
            }
            done(failed);
        })();
        """,
        diagrams,
    )
    assert failures == {}
