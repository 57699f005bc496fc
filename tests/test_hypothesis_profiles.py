"""``HYPOTHESIS_PROFILE=long`` raises every property test's example count, pinned ones included."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.hypothesis_profiles import MULTIPLIERS, examples

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
_PIN = re.compile(r"max_examples\s*=\s*(?!examples\()")

_COLLECT = """
import importlib, json, pathlib, sys
from tests import hypothesis_profiles
hypothesis_profiles.load()
counts = {}
for path in sorted(pathlib.Path("tests").rglob("test_*.py")):
    module = importlib.import_module(".".join(path.with_suffix("").parts))
    for name, value in vars(module).items():
        chosen = getattr(getattr(value, "hypothesis", None), "inner_test", None)
        settings = getattr(value, "_hypothesis_internal_use_settings", None)
        if chosen is not None and settings is not None:
            counts[f"{module.__name__}.{name}"] = settings.max_examples
print(json.dumps(counts))
"""


def test_no_test_file_pins_a_literal_max_examples() -> None:
    pins = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == "hypothesis_profiles.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _PIN.search(line) and not line.lstrip().startswith(("#", '"', "_PIN")):
                pins.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not pins, "write max_examples=examples(n) so the long profile scales it:\n" + "\n".join(pins)


def test_examples_scales_with_the_profile() -> None:
    assert examples(40, "ci") == examples(40, "dev") == 40
    assert examples(40, "long") == 40 * MULTIPLIERS["long"] == 2000
    assert examples(40, "unknown") == 40


def _counts(profile: str) -> dict[str, int]:
    env = {**os.environ, "HYPOTHESIS_PROFILE": profile}
    done = subprocess.run(
        [sys.executable, "-c", _COLLECT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    counts: dict[str, int] = json.loads(done.stdout.splitlines()[-1])
    return counts


def test_long_profile_multiplies_every_property_test() -> None:
    """Every @given test in tests/ runs 50x its ci count under the long profile (default or pinned)."""
    ci, long = _counts("ci"), _counts("long")
    assert ci.keys() == long.keys() and len(ci) > 100
    pinned = [name for name, count in ci.items() if count != 100]
    assert len(pinned) > 40  # the tests that choose their own count are scaled too
    wrong = {name: (ci[name], long[name]) for name in ci if long[name] != ci[name] * MULTIPLIERS["long"]}
    assert not wrong
