"""The killing test of a mutation run (see :mod:`conformance.mutation`).

One vector goes through the reference adapter's request handler exactly as
``python -m conformance.adapter`` would serve it (JSON in, JSON out) and is judged as the runner
judges it, with the output compared type-exactly (``true`` is not ``1``, ``1`` is not ``1.0``).
The adapter modules are imported at the first call, not at import time of this module, so that a
worker that imports ``spec`` afresh builds its module-level tables with the mutant active.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from conformance.model import Vector
from conformance.runner import load_vectors

VECTORS_ENV = "RUSTY_MUTATION_VECTORS"


def flow_vectors() -> list[Vector]:
    """The vectors of the run (generated from the unmutated spec), from ``$RUSTY_MUTATION_VECTORS``."""
    return load_vectors(Path(os.environ[VECTORS_ENV]))


def check(vector: Vector) -> None:
    """Raise ``AssertionError`` when the (possibly mutated) reference fails the vector."""
    from conformance.adapter import handle_request
    from conformance.handlers import FLOW_HANDLERS
    from conformance.runner import judge

    request = {
        "id": 1,
        "method": "run",
        "preset": vector.preset,
        "flow": vector.flow,
        "handler": vector.handler,
        "input": vector.input,
    }
    response = json.loads(json.dumps(handle_request(json.loads(json.dumps(request)), FLOW_HANDLERS)))
    result = judge(vector, response)
    assert result.status == "pass", f"{vector.relative_path}: {result.reason}"
    if vector.error is None:
        actual = json.dumps(response.get("output"), sort_keys=True)
        assert actual == json.dumps(vector.output, sort_keys=True), f"{vector.relative_path}: {actual}"
