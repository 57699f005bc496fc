"""The vector generator framework: run every flow's generator for every preset and write the files.

Determinism: generators use no clock, no environment and no unseeded randomness, and the file
bytes are canonical JSON (:meth:`Vector.to_bytes`). ``conformance/vectors.lock`` records the SHA-256
of every file (``sha256sum`` format); CI regenerates the vectors and compares them with the lock,
so any change to a vector is deliberate and reviewed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from conformance.crosscheck import CROSS_CHECKS, CrossCheckError
from conformance.generators import FLOW_GENERATORS
from conformance.handlers import FLOW_HANDLERS
from conformance.model import JSON, CaseSpec, Vector, to_wire
from conformance.outcome import run_handler
from spec.errors import ALL_ERROR_CODES
from spec.forks import FORK_NAMES
from spec.presets import PRESET_NAMES, get_preset

LOCK_PATH = Path(__file__).with_name("vectors.lock")
_CASE_NAME = re.compile(r"^[a-z0-9_]+$")


class GenerationError(Exception):
    """A generator emitted a case that contradicts the reference or the vector rules."""


@dataclass(frozen=True)
class GeneratedFile:
    """One vector as written: its path below the root and its bytes."""

    relative_path: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def build_vector(preset_name: str, flow: str, spec: CaseSpec) -> Vector:
    """Run the reference handler on ``spec`` and check the result against the generator's intent."""
    if not _CASE_NAME.match(spec.case):
        raise GenerationError(f"{flow}/{spec.handler}: bad case name {spec.case!r}")
    handlers = FLOW_HANDLERS[flow]
    if spec.handler not in handlers:
        raise GenerationError(f"{flow}: generator names unknown handler {spec.handler!r}")
    if spec.fork not in FORK_NAMES:
        raise GenerationError(f"{flow}/{spec.handler}/{spec.case}: unknown fork {spec.fork!r}")
    if spec.expect_error is not None and spec.expect_error not in ALL_ERROR_CODES:
        raise GenerationError(f"{flow}/{spec.handler}/{spec.case}: unknown code {spec.expect_error}")
    wire_input: dict[str, JSON] = to_wire(spec.input)
    outcome = run_handler(handlers[spec.handler], get_preset(preset_name), wire_input)
    where = f"{preset_name}/{spec.fork}/{flow}/{spec.handler}/{spec.case}"
    if outcome.error != spec.expect_error:
        raise GenerationError(
            f"{where}: generator expects {spec.expect_error or 'acceptance'}, "
            f"reference gives {outcome.error or 'acceptance'} {outcome.message}"
        )
    output: JSON = to_wire(outcome.output)
    if spec.known_output is not None and output != to_wire(spec.known_output):
        raise GenerationError(f"{where}: reference output {outcome.output} != known {spec.known_output}")
    cross_check = CROSS_CHECKS.get((flow, spec.handler))
    if cross_check is not None and outcome.error is None:
        try:
            cross_check(get_preset(preset_name), wire_input, output)
        except CrossCheckError as exc:
            raise GenerationError(f"{where}: {exc}") from None
    return Vector(
        preset=preset_name,
        flow=flow,
        handler=spec.handler,
        case=spec.case,
        description=spec.description,
        input=wire_input,
        output=output,
        error=outcome.error,
        fork=spec.fork,
    )


def iter_specs(presets: Iterable[str], flows: Iterable[str]) -> Iterator[tuple[str, str, CaseSpec]]:
    """Every (preset, flow, case) the generators declare, in a fixed order."""
    for preset_name in presets:
        preset = get_preset(preset_name)
        for flow in flows:
            for spec in FLOW_GENERATORS[flow](preset):
                yield preset_name, flow, spec


def generate_files(
    presets: Iterable[str] = PRESET_NAMES,
    flows: Iterable[str] | None = None,
    progress: Callable[[Iterator[tuple[str, str, CaseSpec]]], Iterable[tuple[str, str, CaseSpec]]]
    | None = None,
) -> list[GeneratedFile]:
    """Build every vector file in memory (sorted by path); reject duplicate case names."""
    chosen_flows = list(flows) if flows is not None else list(FLOW_GENERATORS)
    for flow in chosen_flows:
        if flow not in FLOW_GENERATORS:
            raise GenerationError(f"unknown flow {flow!r}")
    specs: Iterable[tuple[str, str, CaseSpec]] = iter_specs(list(presets), chosen_flows)
    if progress is not None:
        specs = progress(iter_specs(list(presets), chosen_flows))
    files: dict[str, GeneratedFile] = {}
    for preset_name, flow, spec in specs:
        vector = build_vector(preset_name, flow, spec)
        if vector.relative_path in files:
            raise GenerationError(f"duplicate case {vector.relative_path}")
        files[vector.relative_path] = GeneratedFile(vector.relative_path, vector.to_bytes())
    return [files[path] for path in sorted(files)]


def write_files(root: Path, files: Iterable[GeneratedFile]) -> int:
    """Write the files below ``root`` (replacing the tree of each written flow); return the count."""
    count = 0
    for generated in files:
        target = root / generated.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(generated.content)
        count += 1
    return count


def lock_text(files: Iterable[GeneratedFile]) -> str:
    """The lock file text: ``sha256sum`` lines, sorted by path."""
    return "".join(f"{f.sha256}  {f.relative_path}\n" for f in sorted(files, key=lambda f: f.relative_path))


def compare_with_lock(files: Iterable[GeneratedFile], lock: str) -> list[str]:
    """Differences between freshly generated files and the lock (empty list: identical)."""
    expected = dict(line.split("  ", 1)[::-1] for line in lock.splitlines() if line.strip())
    actual = {f.relative_path: f.sha256 for f in files}
    problems: list[str] = []
    for path in sorted(set(expected) | set(actual)):
        if path not in actual:
            problems.append(f"missing: {path}")
        elif path not in expected:
            problems.append(f"new (not in lock): {path}")
        elif expected[path] != actual[path]:
            problems.append(f"changed: {path}")
    return problems
