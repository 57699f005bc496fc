"""The JSON-lines adapter protocol, server side, and the reference adapter over ``spec/``.

An *adapter* is any program that reads one JSON request per line on stdin and writes one JSON
response per line on stdout, in order. The full protocol is in ``docs/adapter-protocol.md``:

* ``{"id": N, "method": "hello"}`` -> ``{"id": N, "result": "ok", "output": {"implementation": ...,
  "protocol": 1, "flows": {flow: [handler, ...]}}}``
* ``{"id": N, "method": "run", "preset": P, "flow": F, "handler": H, "input": {...}}`` ->
  ``{"id": N, "result": "ok", "output": ...}`` (accepted), ``{"id": N, "result": "error", "code": C,
  "message": M}`` (rejected with stable code C), ``{"id": N, "result": "unsupported"}`` (the
  implementation does not implement that handler), or ``{"id": N, "result": "bad_request",
  "message": M}``.
* ``{"id": N, "method": "shutdown"}`` -> ``{"id": N, "result": "ok", "output": null}``, then exit.

Run the reference adapter with ``python -m conformance.adapter``.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from typing import IO, Any

from conformance.handlers import FLOW_HANDLERS
from conformance.model import JSON, BadInput, Handler
from conformance.outcome import run_handler
from spec.crypto import bls, ed25519
from spec.errors import SpecError
from spec.presets import get_preset

PROTOCOL_VERSION = 1
IMPLEMENTATION = "rusty-coin-spec reference (Python)"


def handle_request(request: Any, flows: dict[str, dict[str, Handler]]) -> dict[str, JSON]:
    """Answer one decoded request object (never raises for any JSON input)."""
    if not isinstance(request, dict):
        return {"id": None, "result": "bad_request", "message": "request must be a JSON object"}
    request_id = request.get("id")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        request_id = None
    method = request.get("method")
    if method == "hello":
        return {
            "id": request_id,
            "result": "ok",
            "output": {
                "implementation": IMPLEMENTATION,
                "protocol": PROTOCOL_VERSION,
                "flows": {flow: sorted(handlers) for flow, handlers in sorted(flows.items())},
            },
        }
    if method == "shutdown":
        return {"id": request_id, "result": "ok", "output": None}
    if method != "run":
        return {"id": request_id, "result": "bad_request", "message": f"unknown method {method!r}"}
    flow, handler_name, input_data = request.get("flow"), request.get("handler"), request.get("input")
    if not isinstance(flow, str) or not isinstance(handler_name, str) or not isinstance(input_data, dict):
        return {"id": request_id, "result": "bad_request", "message": "run needs flow, handler and input"}
    handler = flows.get(flow, {}).get(handler_name)
    if handler is None:
        return {"id": request_id, "result": "unsupported"}
    try:
        preset = get_preset(str(request.get("preset")))
        outcome = run_handler(handler, preset, input_data)
    except BadInput as exc:
        return {"id": request_id, "result": "bad_request", "message": str(exc)}
    except SpecError as exc:  # e.g. an unknown preset name
        return {"id": request_id, "result": "error", "code": exc.code, "message": str(exc)}
    except Exception:  # a bug in the reference: report it, keep serving
        return {"id": request_id, "result": "internal_error", "message": traceback.format_exc(limit=5)}
    if outcome.error is not None:
        return {"id": request_id, "result": "error", "code": outcome.error, "message": outcome.message}
    return {"id": request_id, "result": "ok", "output": outcome.output}


MAX_JSON_NESTING = 64
"""Requests nested deeper than this are refused before parsing (no vector comes close)."""


def json_nesting(line: str, stop_above: int | None = None) -> int:
    """The deepest array/object nesting of a JSON text (strings skipped); no recursion.

    With ``stop_above``, the walk stops as soon as the nesting exceeds it (the result is then some
    depth above ``stop_above``, not necessarily the deepest).
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in line:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                break
        elif char in "]}":
            depth -= 1
    return deepest


def parse_request(line: str) -> tuple[Any, str | None]:
    """The decoded request, or ``(None, reason)`` for a line that is not acceptable JSON."""
    # The nesting cannot exceed the number of openers: count them first (in C), walk only lines
    # that could be too deep.
    openers = line.count("[") + line.count("{")
    if openers > MAX_JSON_NESTING and json_nesting(line, MAX_JSON_NESTING) > MAX_JSON_NESTING:
        return None, f"nested deeper than {MAX_JSON_NESTING}"
    try:
        return json.loads(line), None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, integers over 4300 digits
        return None, f"not JSON: {type(exc).__name__}: {str(exc)[:200]}"


def serve(stdin: IO[str], stdout: IO[str], flows: dict[str, dict[str, Handler]] = FLOW_HANDLERS) -> None:
    """Serve requests line by line until ``shutdown`` or end of input."""
    for line in stdin:
        if not line.strip():
            continue
        request, problem = parse_request(line)
        if problem is not None:
            response: dict[str, JSON] = {"id": None, "result": "bad_request", "message": problem}
        else:
            response = handle_request(request, flows)
        stdout.write(json.dumps(response, sort_keys=True) + "\n")
        stdout.flush()
        if isinstance(request, dict) and request.get("method") == "shutdown":
            return


def main() -> None:
    """Entry point of the reference adapter.

    ``--bls-backend NAME`` and ``--ed25519-backend NAME`` pick the crypto backends (results never
    depend on them; running the vectors on each backend is how that is checked end to end).
    """
    parser = argparse.ArgumentParser(description="Rusty Coin reference adapter (JSON lines on stdin/stdout)")
    parser.add_argument("--bls-backend", default=bls.DEFAULT_BACKEND, choices=bls.backend_names())
    parser.add_argument("--ed25519-backend", default=ed25519.DEFAULT_BACKEND, choices=ed25519.backend_names())
    args = parser.parse_args()
    with bls.use_backend(args.bls_backend), ed25519.use_backend(args.ed25519_backend):
        serve(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
