"""Running one handler on one input and classifying the result (shared by generator and adapter)."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.model import JSON, BadInput, Handler
from spec.errors import SpecError
from spec.presets import Preset


@dataclass(frozen=True)
class Outcome:
    """What a handler did: accepted with ``output``, or rejected with the stable ``error`` code."""

    output: JSON
    error: str | None
    message: str = ""


def run_handler(handler: Handler, preset: Preset, data: dict[str, JSON]) -> Outcome:
    """Run ``handler``; a :class:`SpecError` becomes a rejection, :class:`BadInput` propagates.

    Any other exception also propagates: it is a bug in the specification, never a verdict.
    """
    try:
        return Outcome(output=handler(preset, data), error=None)
    except SpecError as exc:
        return Outcome(output=None, error=exc.code, message=str(exc))


__all__ = ["BadInput", "Outcome", "run_handler"]
