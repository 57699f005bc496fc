"""The reviewed equivalent mutants (conformance/mutation_equivalents.toml) list each mutant once.

:func:`conformance.mutation.load_equivalents` reads the entries into a dict, so a second entry for
the same mutant silently replaces the first one's reason (and the file no longer says which review
holds). Two entries are the same mutant when they name the same function and the same change, also
when their keys differ only in whitespace (the run prints the changed lines with their whitespace
collapsed, so only one spelling can ever match).
"""

from __future__ import annotations

import tomllib
from collections import Counter

from conformance.mutation import EQUIVALENTS_PATH


def _mutant_id(key: str) -> tuple[str, str]:
    function, _, change = key.partition(" | ")
    return function.strip(), " ".join(change.split())


def _duplicates(values: list[object]) -> list[object]:
    return sorted((value for value, count in Counter(values).items() if count > 1), key=repr)


def test_each_equivalent_mutant_is_listed_once() -> None:
    data = tomllib.loads(EQUIVALENTS_PATH.read_text(encoding="utf-8"))
    keys = [entry["key"] for entry in data["equivalent"]]
    assert keys, "no equivalent mutants read"
    assert _duplicates(list(keys)) == [], "the same key twice (the later entry would replace the first)"
    assert _duplicates([_mutant_id(key) for key in keys]) == [], "one mutant under two spellings"


def test_each_function_has_one_note() -> None:
    data = tomllib.loads(EQUIVALENTS_PATH.read_text(encoding="utf-8"))
    functions = [entry["function"] for entry in data.get("note", [])]
    assert _duplicates(list(functions)) == []


def test_a_duplicate_is_detected() -> None:
    """The check itself: a repeated key, and a repeat differing only in whitespace, are both caught."""
    keys = [
        "m.x_f | -a = 1 / +a = 2",
        "m.x_f | -a = 1 / +a = 2",
        "m.x_g | -b  = 1 / +b = 2",
        "m.x_g | -b = 1 / +b = 2",
    ]
    assert _duplicates(list(keys)) == ["m.x_f | -a = 1 / +a = 2"]
    assert _duplicates([_mutant_id(key) for key in keys]) == [
        ("m.x_f", "-a = 1 / +a = 2"),
        ("m.x_g", "-b = 1 / +b = 2"),
    ]
