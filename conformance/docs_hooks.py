"""mkdocs hooks of the spec book (``hooks:`` in ``mkdocs.yml``); the logic is in ``conformance.docsite``.

- ``on_files``: adds the generated pages: the rule index (``rules.md``), one API reference page per
  ``spec`` module (``api/...``, rendered by mkdocstrings), and a source page for every ``spec``
  module and every other repository file the book links to (``source/...``, not in the nav, not
  searched). Fails the build when a hand-written page of ``docs/`` is missing from the nav.
- ``on_nav``/``on_config``: appends the rule index and the API reference to the nav.
- ``on_page_markdown``: links rule rows to their source and repository links to the source pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from conformance import docsite

_STATE: dict[str, Any] = {}


def _nav_pages(nav: object) -> set[str]:
    found: set[str] = set()
    if isinstance(nav, str):
        found.add(nav)
    elif isinstance(nav, list):
        for item in nav:
            found |= _nav_pages(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            found |= _nav_pages(value)
    return found


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Append the generated pages to the nav: the rule index, then the API reference of ``spec``."""
    nav = list(config.nav or [])
    api: list[Any] = [{module: f"{docsite.API_DIR}/{module}.md"} for module in docsite.api_modules()]
    nav.append({"Rule index": docsite.RULES_PAGE})
    nav.append({"API reference (spec)": api})
    config.nav = nav
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the rule index, the API pages and the source pages; check every docs page is in the nav."""
    root = docsite.REPO_ROOT
    docs_dir = Path(config.docs_dir)
    pages = {
        file.src_uri: (docs_dir / file.src_uri).read_text(encoding="utf-8")
        for file in files.documentation_pages()
    }
    in_nav = _nav_pages(config.nav)
    missing = sorted(page for page in pages if page not in in_nav)
    if missing:
        raise PluginError(f"docs pages missing from the nav in mkdocs.yml: {', '.join(missing)}")
    mentions = [m for page, text in pages.items() for m in docsite.find_rule_rows(page, text)]
    families, named = docsite.rule_families(mentions)
    sites = docsite.collect_rule_sites(root, "spec", families, named)
    titles = {}
    for page, text in pages.items():
        first = text.lstrip().splitlines()[0] if text.strip() else page
        titles[page] = first.lstrip("# ").strip() if first.startswith("#") else page
    files.append(
        File.generated(config, docsite.RULES_PAGE, content=docsite.render_rules_page(sites, mentions, titles))
    )
    for module in docsite.api_modules():
        files.append(
            File.generated(config, f"{docsite.API_DIR}/{module}.md", content=docsite.render_api_page(module))
        )
    wanted = {p.relative_to(root).as_posix() for p in (root / "spec").rglob("*.py")}
    wanted |= docsite.linked_repo_paths(pages)
    source_pages: set[str] = set()
    sources: dict[str, tuple[str, str]] = {}
    symbols: dict[str, dict[str, int]] = {}
    for path in sorted(wanted):
        full = root / path
        if full.is_dir():
            entries = sorted(
                entry.name + ("/" if entry.is_dir() else "")
                for entry in full.iterdir()
                if not entry.name.startswith((".", "__pycache__"))
            )
            content = docsite.render_directory_page(path, entries)
            files.append(
                File.generated(
                    config,
                    f"{docsite.SOURCE_DIR}/{path}/index.md",
                    content=content,
                    inclusion=InclusionLevel.NOT_IN_NAV,
                )
            )
            source_pages.add(path)
            continue
        if not full.is_file():
            continue  # the link stays as written, and mkdocs reports it as broken
        text = full.read_text(encoding="utf-8")
        if path.endswith(".py"):
            symbols[path] = docsite.top_level_lines(text)
        files.append(
            File.generated(
                config,
                docsite.source_page(path),
                content=docsite.render_source_page(path),
                inclusion=InclusionLevel.NOT_IN_NAV,
            )
        )
        sources[docsite.source_page(path)] = (path, text)
        source_pages.add(path)
    _STATE["context"] = docsite.LinkContext(sites, frozenset(source_pages), symbols)
    _STATE["sources"] = sources
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Rewrite the hand-written pages' rule rows and repository links (generated pages are left alone)."""
    src = page.file.src_uri
    if src.startswith((docsite.SOURCE_DIR + "/", docsite.API_DIR + "/")) or src == docsite.RULES_PAGE:
        return markdown
    context = _STATE.get("context")
    if not isinstance(context, docsite.LinkContext):
        return markdown
    return docsite.rewrite_page(src, markdown, context)


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Put a source page's listing in place of its marker, and register its ``L<n>`` anchors."""
    sources = _STATE.get("sources", {})
    found = sources.get(page.file.src_uri)
    if found is None:
        return html
    path, text = found
    listing, count = docsite.render_source_listing(path, text, highlighted=path.startswith("spec/"))
    marker = f"<p>{docsite.SOURCE_MARKER}</p>"
    if marker not in html:
        raise PluginError(f"{page.file.src_uri}: the listing marker is missing")
    if page.present_anchor_ids is not None:
        page.present_anchor_ids |= {f"L{n}" for n in range(1, count + 1)}
    return html.replace(marker, listing)


_SEPARATOR_SET = "lunr.tokenizer.separator=new RegExp(e.separator),"


def on_post_build(config: MkDocsConfig) -> None:
    """Let the search box split a query where the index splits text (hyphens stay in a word).

    Material sets the configured ``separator`` on lunr's tokenizer but leaves lunr's query lexer
    on its default (whitespace and hyphens), so a typed ``HDR-1`` would be searched as ``HDR`` and
    ``1``. The pinned worker is patched to give the query lexer the same separator; a Material
    version whose worker no longer has the expected statement fails the build.
    """
    workers = sorted((Path(config.site_dir) / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
    if not workers:
        raise PluginError("Material's search worker was not found in the built site")
    for worker in workers:
        text = worker.read_text(encoding="utf-8")
        if _SEPARATOR_SET not in text:
            raise PluginError(f"{worker.name}: cannot give lunr's query lexer the search separator")
        patched = _SEPARATOR_SET + "lunr.QueryLexer.termSeparator=lunr.tokenizer.separator,"
        worker.write_text(text.replace(_SEPARATOR_SET, patched, 1), encoding="utf-8")
