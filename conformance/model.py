"""The test-vector model shared by generators, the reference adapter and the runner.

A *vector* is one case of one *handler* of one protocol *flow* under one *preset*. It holds the
handler input and either the expected output (a valid case) or the stable error code the input
must be rejected with (an invalid case). The JSON form is documented in ``docs/vector-format.md``
and checked by ``conformance/schema/vector.schema.json``.

JSON conventions (every handler follows them):

* byte strings are lower-case hex without ``0x``;
* an integer ``n`` with ``|n| <= 2**53 - 1`` (a *safe integer*: every JSON parser, JavaScript's
  included, reads it exactly) is a JSON number; any other integer of a number field is a JSON
  string of its decimal digits (``"18446744073709551615"``, ``"-9007199254740993"``): no ``+``,
  no leading zeros, no exponent. Writers always use this form (:func:`to_wire`) and readers accept
  exactly it, so every value has one JSON text;
* field elements and other integers that may exceed 64 bits are 32-byte big-endian hex;
* lists are JSON arrays in protocol order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from spec.forks import GENESIS
from spec.presets import Preset

JSON = Union[None, bool, int, str, Sequence["JSON"], Mapping[str, "JSON"]]  # noqa: UP007 (recursive alias)
"""A JSON value as the vector files and the adapter protocol carry it."""

FORMAT_VERSION = 1

SAFE_INTEGER_MAX = 2**53 - 1
"""The largest integer every JSON reader holds exactly (an IEEE double's 53-bit significand)."""


def to_wire(value: Any) -> Any:
    """``value`` with every integer outside ``[-SAFE_INTEGER_MAX, SAFE_INTEGER_MAX]`` written as a
    decimal string (the JSON convention above); booleans, strings and safe integers unchanged."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -SAFE_INTEGER_MAX <= value <= SAFE_INTEGER_MAX else str(value)
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


@dataclass(frozen=True)
class Vector:
    """One conformance case, as stored in ``vectors/<preset>/<fork>/<flow>/<handler>/<case>.json``.

    ``fork`` names the fork whose rules the case exercises (UPG-1): ``genesis`` for every case
    written before forks existed, whose files carry no ``fork`` field (their bytes are unchanged);
    a later fork's cases carry ``"fork": "<name>"``.
    """

    preset: str
    flow: str
    handler: str
    case: str
    description: str
    input: dict[str, JSON]
    output: JSON
    error: str | None
    fork: str = GENESIS

    @property
    def relative_path(self) -> str:
        """The vector's path below the vectors root."""
        return f"{self.preset}/{self.fork}/{self.flow}/{self.handler}/{self.case}.json"

    def to_json(self) -> dict[str, JSON]:
        """The JSON object written to the vector file (``fork`` only when it is not genesis)."""
        fork: dict[str, JSON] = {} if self.fork == GENESIS else {"fork": self.fork}
        return {
            **fork,
            "format": FORMAT_VERSION,
            "preset": self.preset,
            "flow": self.flow,
            "handler": self.handler,
            "case": self.case,
            "description": self.description,
            "input": self.input,
            "valid": self.error is None,
            "output": self.output if self.error is None else None,
            "error": self.error,
        }

    def to_bytes(self) -> bytes:
        """The canonical file bytes: sorted keys, two-space indent, trailing newline, ASCII only."""
        return (json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> Vector:
        """Rebuild a vector from its JSON object (the runner validates against the schema first)."""
        return Vector(
            preset=str(obj["preset"]),
            flow=str(obj["flow"]),
            handler=str(obj["handler"]),
            case=str(obj["case"]),
            description=str(obj["description"]),
            input=dict(obj["input"]),
            output=obj.get("output"),
            error=obj.get("error"),
            fork=str(obj.get("fork", GENESIS)),
        )


Handler = Callable[[Preset, dict[str, JSON]], JSON]
"""A handler runs one spec operation on JSON input and returns JSON output.

It raises a :class:`spec.errors.SpecError` subclass to reject the input; the adapter turns that
into the vector's error code. Malformed JSON input (a missing field, a bad hex string) raises
:class:`BadInput`, which is *not* a protocol rejection: vectors never expect it.
"""


class BadInput(Exception):
    """The JSON given to a handler does not have the shape the handler documents."""


@dataclass(frozen=True)
class CaseSpec:
    """What a generator declares: the input, and the error code it intends (``None`` = valid case).

    The framework computes the expected output with the reference handler and checks that the
    reference agrees with the intent, so a generator cannot silently emit a wrong invalid case.
    ``known_output`` (optional) is an independently known answer, for example an IETF or Ethereum
    published value; generation fails if the reference disagrees with it.
    """

    handler: str
    case: str
    description: str
    input: dict[str, JSON]
    expect_error: str | None = None
    known_output: JSON = None
    fork: str = GENESIS


Generator = Callable[[Preset], Iterator[CaseSpec]]
"""A flow's generator yields its cases for one preset, deterministically (same cases every run)."""
