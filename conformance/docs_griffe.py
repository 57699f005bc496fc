"""A Griffe extension for the API pages of the spec book (``mkdocs.yml``, mkdocstrings options).

The docstrings of ``spec/`` are written for readers of the source, in reStructuredText habits:
Sphinx roles (``:func:`decode```, ``:class:`~spec.errors.DecodeError```) and simple tables
framed by ``===`` rules. mkdocstrings renders docstrings as Markdown, where those come out as
noise; this extension rewrites the roles as code spans and fences the tables, leaving the source
untouched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|mod|data|meth|attr|exc|obj|const):`(~?)([^`]+)`")
_TABLE_RULE = re.compile(r"^\s*=+(?:\s+=+)+\s*$")


def _role(match: re.Match[str]) -> str:
    target = match[2].strip()
    if match[1]:  # Sphinx's ~ shows the last component only
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def rst_to_markdown(text: str) -> str:
    """Sphinx roles become code spans; a simple table (three ``===`` rules) becomes a text fence."""
    text = _ROLE.sub(_role, text)
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        if _TABLE_RULE.match(lines[index]):
            rules = [i for i in range(index, len(lines)) if _TABLE_RULE.match(lines[i])][:3]
            if len(rules) == 3:
                out += ["```text", *lines[index : rules[2] + 1], "```"]
                index = rules[2] + 1
                continue
        out.append(lines[index])
        index += 1
    return "\n".join(out)


class RstToMarkdown(griffe.Extension):
    """Rewrite each docstring's Sphinx roles and simple tables for Markdown rendering."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
