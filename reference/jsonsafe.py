"""Bounded JSON parsing: the nesting depth is checked *before* the parser sees the text.

``json.loads`` recurses once per array/object level. ``py_ecc`` raises the interpreter's
recursion limit at import, so a 100,000-deep body (``[[[[…``) no longer stops at a
``RecursionError``: the parser overflows the C stack and the process dies with SIGSEGV. Every
place where JSON enters from outside (the node's JSON-RPC, the ``rusty call`` parameters, the
adapter protocol on both sides, the conformance runner reading vector files, reports and
release manifests) parses through :func:`loads`, which refuses deep text with a
:class:`JsonTooDeep` (a ``ValueError``) after a linear, non-recursive scan.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_JSON_NESTING = 64
"""The deepest array/object nesting accepted (no vector, request or response comes close)."""

_KEEP = b'"[]{}'
_OTHERS = bytes(sorted(set(range(256)) - set(_KEEP)))
_STRING = re.compile(rb'"[^"]*+"')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class JsonTooDeep(ValueError):
    """The text nests arrays/objects deeper than the limit; it was not parsed."""


def json_nesting(text: str | bytes) -> int:
    """The deepest array/object nesting of a JSON text (brackets inside strings do not count).

    Linear time, no recursion. Text that is not JSON gets some number; the parser rejects it.
    """
    data = text.encode("utf-8", errors="surrogatepass") if isinstance(text, str) else bytes(text)
    # escaped backslashes, then escaped quotes, go first (bytes.replace pairs them from the left,
    # as a JSON parser does), so every quote left delimits a string
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # only quotes and brackets are left, then the strings (with any brackets in them) go
    # (a quote left over opens an unterminated string: not JSON, the parser rejects it)
    brackets = _STRING.sub(b"", data.translate(None, _OTHERS)).replace(b'"', b"")
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def check_json_nesting(text: str | bytes, limit: int = MAX_JSON_NESTING) -> None:
    """Raise :class:`JsonTooDeep` when ``text`` nests deeper than ``limit``."""
    depth = json_nesting(text)
    if depth > limit:
        raise JsonTooDeep(f"JSON nested {depth} deep, more than the limit of {limit}")


def loads(text: str | bytes, limit: int = MAX_JSON_NESTING) -> Any:
    """``json.loads`` after :func:`check_json_nesting`.

    Raises ``ValueError`` for anything that is not acceptable JSON: :class:`JsonTooDeep`,
    ``json.JSONDecodeError``, an integer over the interpreter's digit limit, bytes that are not
    UTF-8 (``UnicodeDecodeError``); a ``RecursionError`` (not reachable under the limit) is turned
    into ``ValueError`` too.
    """
    check_json_nesting(text, limit)
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON too deep for the parser") from None
