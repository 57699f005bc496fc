"""The spec book as a site: rule index, source pages and link rewriting for mkdocs.

``rusty-spec docs build`` runs mkdocs (``mkdocs.yml`` at the repository root) with the hook in
``conformance/docs_hooks.py``, which calls the functions here. Nothing in this module is kept by
hand: the rule index is read from the docstrings of ``spec/`` (each rule is named at the start of
the docstring of the function that implements it, ``HDR-1: ...``), the source pages are the files
themselves, and the links in ``docs/`` that point outside the book are rewritten to those pages.
"""

from __future__ import annotations

import ast
import html
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = "source"
"""Where the source pages live inside the site (``source/spec/encoding.py.md``)."""
RULES_PAGE = "rules.md"
API_DIR = "api"

_NAME = r"[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*"
_NUMBERED = re.compile(
    rf"(?<![A-Za-z0-9_-])(?P<prefix>{_NAME})-(?P<first>\d+)"
    rf"(?P<rest>(?:\s*(?:\.\.|/)\s*(?:{_NAME}-)?\d+)*)(?![A-Za-z0-9_])"
)
_REST_PART = re.compile(rf"\s*(?P<sep>\.\.|/)\s*(?:(?P<prefix>{_NAME})-)?(?P<number>\d+)")
_RULE_CELL = re.compile(rf"^{_NAME}(?:-\d+)?$")
_TABLE_ROW = re.compile(r"^\|(?P<cell>[^|]*)\|(?P<rest>.*)$")
_BULLET = re.compile(r"^(?P<lead>\s*[-*] \*\*)(?P<ids>[^*]+?)(?P<tail>\*\*.*)$")
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True, order=True)
class RuleSite:
    """A function, class or module whose docstring names a rule.

    ``rank`` orders the sites of one rule: a docstring whose first words name the rule (before the
    first colon) comes before one that mentions it later in its summary line; then a function or
    class before a module docstring, and both before an error class of ``spec/errors.py`` (which
    names the rule it signals); then a docstring that names fewer rules before one that names many.
    """

    rank: tuple[int, int]
    path: str
    line: int
    qualname: str

    @property
    def module(self) -> str:
        """The dotted module name (``spec.chain.block``)."""
        return self.path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")

    @property
    def dotted(self) -> str:
        """The dotted name of the function or class (the module's name for a module docstring)."""
        return f"{self.module}.{self.qualname}" if self.qualname else self.module


def expand_rule_ids(text: str) -> list[str]:
    """Every numbered rule id in ``text``, ranges expanded: ``ENC-1..3`` is ENC-1, ENC-2, ENC-3.

    ``POW-1/2/4`` is three ids and ``ED-1..ED-3`` is a range; a continuation with another prefix
    (``HDR-2..4 and POW-1``) starts a new id. Order of first appearance, no duplicates.
    """
    found: list[str] = []

    def add(rule: str) -> None:
        if rule not in found:
            found.append(rule)

    for match in _NUMBERED.finditer(text):
        prefix = match["prefix"]
        previous = int(match["first"])
        add(f"{prefix}-{previous}")
        for part in _REST_PART.finditer(match["rest"]):
            if part["prefix"] not in (None, prefix):
                break
            number = int(part["number"])
            if part["sep"] == ".." and previous < number <= previous + 64:
                for value in range(previous + 1, number + 1):
                    add(f"{prefix}-{value}")
            else:
                add(f"{prefix}-{number}")
            previous = number
    return found


def _named_in(text: str, names: Iterable[str]) -> list[str]:
    return [
        name for name in names if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])", text)
    ]


def _docstring_sites(path: Path, relative: str) -> Iterator[tuple[str, int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
    module_doc = ast.get_docstring(tree)
    if module_doc:
        yield "", 1, module_doc

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qualname = f"{prefix}{child.name}"
                doc = ast.get_docstring(child)
                if doc:
                    yield qualname, child.lineno, doc
                if isinstance(child, ast.ClassDef):
                    yield from walk(child, f"{qualname}.")

    yield from walk(tree, "")


def collect_rule_sites(
    root: Path = REPO_ROOT,
    package: str = "spec",
    families: frozenset[str] | None = None,
    named: Iterable[str] = (),
) -> dict[str, list[RuleSite]]:
    """Map every rule id named in a docstring summary line under ``root/package`` to its sites.

    Numbered ids (``HDR-1``) are kept when their prefix is in ``families`` (every prefix when
    ``families`` is None), so ``BLS12-381`` or ``SHA-256`` in prose is not a rule; ``named`` lists
    the rule ids without a number (``GROUP``, ``PAIRING``) to look for. Sites are sorted best first
    (``RuleSite.rank``, then path and line).
    """
    named = tuple(named)
    sites: dict[str, list[RuleSite]] = {}
    for path in sorted((root / package).rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        for qualname, line, doc in _docstring_sites(path, relative):
            summary = doc.strip().splitlines()[0]
            head = summary.split(": ", 1)[0]
            ids = [
                rule
                for rule in expand_rule_ids(summary)
                if families is None or rule.rsplit("-", 1)[0] in families
            ]
            ids += [rule for rule in _named_in(summary, named) if rule not in ids]
            head_ids = set(expand_rule_ids(head)) | set(_named_in(head, named))
            for rule in ids:
                # an error class or a module docstring names the rule it belongs to; the function
                # that checks it is the better link
                generic = (50 if not qualname else 0) + (100 if relative == f"{package}/errors.py" else 0)
                rank = (0 if rule in head_ids else 1, generic + len(ids))
                sites.setdefault(rule, []).append(RuleSite(rank, relative, line, qualname))
    return {rule: sorted(found) for rule, found in sorted(sites.items())}


@dataclass(frozen=True)
class RuleMention:
    """A rule row (table row or bold bullet) in a docs page."""

    rule: str
    page: str
    line: int


def _rule_cell_ids(cell: str) -> list[str]:
    parts = [part.strip() for part in re.split(r"\s*(?:/|,)\s*", cell.strip())]
    if parts and all(_RULE_CELL.match(part) for part in parts):
        return parts
    return []


def _outside_fences(lines: list[str]) -> Iterator[tuple[int, str]]:
    fenced = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def find_rule_rows(page: str, markdown: str) -> list[RuleMention]:
    """The rule rows of a page: table rows whose first cell is rule ids, and ``- **RULE-ID**`` bullets."""
    found: list[RuleMention] = []
    lines = markdown.splitlines()
    for number, line in _outside_fences(lines):
        row = _TABLE_ROW.match(line)
        if row:
            found += [RuleMention(rule, page, number + 1) for rule in _rule_cell_ids(row["cell"])]
            continue
        bullet = _BULLET.match(line)
        if bullet:
            found += [RuleMention(rule, page, number + 1) for rule in _rule_cell_ids(bullet["ids"])]
    return found


def rule_families(mentions: Iterable[RuleMention]) -> tuple[frozenset[str], frozenset[str]]:
    """The numbered rule prefixes (``HDR``, ``P2P-KAD``) and the unnumbered rule names of the docs."""
    families: set[str] = set()
    named: set[str] = set()
    for mention in mentions:
        prefix, _, number = mention.rule.rpartition("-")
        if number.isdigit():
            families.add(prefix)
        elif "-" in mention.rule or mention.rule.isalpha():
            named.add(mention.rule)
    return frozenset(families), frozenset(named)


def source_page(path: str) -> str:
    """The docs-relative path of the generated page that shows repository file ``path``."""
    return f"{SOURCE_DIR}/{path}.md"


def source_link(site: RuleSite) -> str:
    """The docs-relative link (page and line anchor) of a rule site's source."""
    return f"{source_page(site.path)}#L{site.line}"


def relative_link(from_page: str, to_page: str) -> str:
    """A link from docs page ``from_page`` to docs page ``to_page`` (both docs-relative)."""
    return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")


def top_level_lines(source: str) -> dict[str, int]:
    """Line numbers of the module-level functions and classes (and class members as ``Class.name``)."""
    lines: dict[str, int] = {}
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            lines.setdefault(node.name, node.lineno)
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                        lines.setdefault(f"{node.name}.{member.name}", member.lineno)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    lines.setdefault(target.id, node.lineno)
    return lines


SOURCE_MARKER = "RUSTY-SOURCE-LISTING"
"""Stands in a source page's Markdown for its listing, which ``on_page_content`` puts in its place
(the listing is HTML already: running it through Markdown would only cost time)."""


def render_source_page(path: str) -> str:
    """The Markdown of the page that shows repository file ``path``: a title and the listing's marker."""
    return "\n".join(
        ["---", "search:", "  exclude: true", "---", "", f"# `{path}`", "", f"<p>{SOURCE_MARKER}</p>", ""]
    )


def render_source_listing(path: str, text: str, *, highlighted: bool = True) -> tuple[str, int]:
    """The HTML listing of a repository file, one anchor per line (``#L12``), and its line count.

    The files of ``spec/`` are highlighted with Pygments; the others (tests, tools) are shown as
    plain text, which keeps the build fast. Every line is an element with id ``L<n>`` and a link to
    itself, so ``source/spec/encoding.py/#L108`` opens at line 108.
    """
    if highlighted and text:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import TextLexer, get_lexer_for_filename
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_for_filename(path, stripnl=False, ensurenl=False)
        except ClassNotFound:
            lexer = TextLexer(stripnl=False, ensurenl=False)
        body = highlight(text, lexer, HtmlFormatter(nowrap=True))
    else:
        body = html.escape(text, quote=False)
    rows = body.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    lines = "".join(
        f'<span class="rusty-line" id="L{n}"><a class="rusty-lineno" href="#L{n}">{n}</a>{row}\n</span>'
        for n, row in enumerate(rows, start=1)
    )
    opening = f'<div class="rusty-source highlight" data-path="{html.escape(path)}"><pre><code>'
    listing = f"{opening}{lines}</code></pre></div>"
    return listing, len(rows)


def render_directory_page(path: str, entries: list[str]) -> str:
    """A page listing the entries of a repository folder linked from the book."""
    items = [f"- `{entry}`" for entry in entries] or ["(empty)"]
    return "\n".join(["---", "search:", "  exclude: true", "---", "", f"# `{path}/`", "", *items]) + "\n"


def render_rules_page(
    sites: dict[str, list[RuleSite]], mentions: list[RuleMention], titles: dict[str, str]
) -> str:
    """The rule index: every rule id, where the book states it, and the spec code that implements it.

    Numbered rule ids of the book are listed even when no docstring names them (shown with "—");
    an unnumbered id in a first table cell (a finding, a reading) only when a docstring names it.
    """
    described: dict[str, list[RuleMention]] = {}
    for mention in mentions:
        described.setdefault(mention.rule, []).append(mention)
    numbered = {rule for rule in described if rule.rpartition("-")[2].isdigit()}
    rules = sorted(set(sites) | numbered, key=_rule_sort_key)
    out = [
        "# Rule index",
        "",
        "Every rule id of the book, generated from the docstrings of `spec/` when the site is built "
        "(`rusty-spec docs build`): the page that states the rule, and each function, class or module "
        "whose docstring names it (best match first, with its source line).",
        "",
        "| rule | stated in | implemented by |",
        "|---|---|---|",
    ]
    for rule in rules:
        pages = []
        for page in dict.fromkeys(m.page for m in described.get(rule, [])):
            pages.append(f"[{titles.get(page, page)}]({page})")
        code = [f"[`{site.dotted}`]({source_link(site)})" for site in sites.get(rule, [])]
        anchor = rule.lower()
        out.append(
            f'| <span id="{anchor}"></span>{rule} | {", ".join(pages) or "—"} | {"<br>".join(code) or "—"} |'
        )
    return "\n".join(out) + "\n"


def _rule_sort_key(rule: str) -> tuple[str, int, str]:
    prefix, _, number = rule.rpartition("-")
    if number.isdigit():
        return (prefix, int(number), rule)
    return (rule, -1, rule)


@dataclass(frozen=True)
class LinkContext:
    """What ``rewrite_page`` needs to know about the site being built."""

    sites: dict[str, list[RuleSite]]
    source_pages: frozenset[str]
    """Repository paths (files and folders) that have a generated page."""
    symbols: dict[str, dict[str, int]]
    """Per repository ``.py`` file, the line of each top-level name."""


def repo_target(page: str, target: str) -> tuple[str, str] | None:
    """The repository path and anchor a docs link points to when it leaves ``docs/``, else None."""
    if "://" in target or target.startswith(("#", "mailto:", "/")):
        return None
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page), path))
    if resolved == "docs" or resolved.startswith("docs/") or resolved.startswith(".."):
        return None
    return resolved.rstrip("/"), anchor


def _rule_link(page: str, rule: str, context: LinkContext) -> str:
    found = context.sites.get(rule)
    if not found:
        return rule
    best = found[0]
    return f'[{rule}]({relative_link(page, source_link(best))} "{best.dotted}")'


def rewrite_page(page: str, markdown: str, context: LinkContext) -> str:
    """Link the rule rows of a docs page to their source, and its repository links to source pages.

    A table row whose first cell is rule ids, or a ``- **RULE-ID**`` bullet, gets each id linked
    to the best site of ``context.sites``; a link to a repository file (``../spec/encoding.py``)
    goes to that file's source page, at the line of the function named by the link text when there
    is one (``[`decode`](../spec/encoding.py)``). Fenced code is left alone.
    """
    lines = markdown.splitlines()
    for number, line in _outside_fences(lines):
        row = _TABLE_ROW.match(line)
        if row and _rule_cell_ids(row["cell"]):
            cell = row["cell"]
            ids = _rule_cell_ids(cell)
            linked = re.sub(
                "|".join(re.escape(rule) for rule in sorted(ids, key=len, reverse=True)),
                lambda m: _rule_link(page, m.group(0), context),
                cell,
            )
            line = f"|{linked}|{row['rest']}"
        else:
            bullet = _BULLET.match(line)
            if bullet and _rule_cell_ids(bullet["ids"]):
                ids = _rule_cell_ids(bullet["ids"])
                linked = re.sub(
                    "|".join(re.escape(rule) for rule in sorted(ids, key=len, reverse=True)),
                    lambda m: _rule_link(page, m.group(0), context),
                    bullet["ids"],
                )
                line = f"{bullet['lead']}{linked}{bullet['tail']}"
        lines[number] = _LINK.sub(lambda m: _rewrite_link(page, m, context), line)
    return "\n".join(lines) + ("\n" if markdown.endswith("\n") else "")


def _rewrite_link(page: str, match: re.Match[str], context: LinkContext) -> str:
    target = repo_target(page, match["target"])
    if target is None:
        return match.group(0)
    path, anchor = target
    if path not in context.source_pages:
        return match.group(0)
    symbol = match["text"].strip().strip("`").split("(")[0].strip()
    line = context.symbols.get(path, {}).get(symbol)
    if not anchor and line is not None:
        anchor = f"L{line}"
    page_of_target = source_page(path) if not (REPO_ROOT / path).is_dir() else f"{SOURCE_DIR}/{path}/index.md"
    link = relative_link(page, page_of_target) + (f"#{anchor}" if anchor else "")
    return f"[{match['text']}]({link}{match['title'] or ''})"


def linked_repo_paths(pages: dict[str, str]) -> set[str]:
    """The repository paths (outside ``docs/``) that the given docs pages link to."""
    found: set[str] = set()
    for page, markdown in pages.items():
        for _, line in _outside_fences(markdown.splitlines()):
            for match in _LINK.finditer(line):
                target = repo_target(page, match["target"])
                if target is not None:
                    found.add(target[0])
    return found


def api_modules(root: Path = REPO_ROOT, package: str = "spec") -> list[str]:
    """The dotted names of every module of ``package``, for the API reference pages."""
    modules = []
    for path in sorted((root / package).rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.append(".".join(parts))
    return modules


def render_api_page(module: str) -> str:
    """The mkdocstrings page of one module."""
    return f"# `{module}`\n\n::: {module}\n"


class SiteBuildError(Exception):
    """The book did not build (a broken link or anchor in strict mode, a page missing from the nav)."""


def build_site(out: Path, *, strict: bool = True, config_file: Path | None = None) -> Path:
    """Build the book with mkdocs into ``out`` (offline: nothing is downloaded); return ``out``.

    ``strict`` turns every mkdocs warning (a link to a missing page or anchor, a page left out of
    the nav) into a failure, raised as ``SiteBuildError``.
    """
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_path = config_file or REPO_ROOT / "mkdocs.yml"
    mkdocs_log = logging.getLogger("mkdocs")
    mkdocs_log.setLevel(logging.WARNING)
    problems: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            problems.append(f"{record.levelname}: {record.getMessage()}")

    collector = _Collect(logging.WARNING)
    mkdocs_log.addHandler(collector)
    try:
        config = load_config(str(config_path), site_dir=str(out.resolve()), strict=strict)
        build(config)
    except (MkDocsException, SystemExit) as exc:
        reason = str(exc) or type(exc).__name__
        raise SiteBuildError("; ".join([*problems, reason])) from None
    finally:
        mkdocs_log.removeHandler(collector)
    return out
