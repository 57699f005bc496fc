"""JSON Schema check of vector files (``conformance/schema/vector.schema.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


@cache
def vector_schema() -> dict[str, Any]:
    """The vector JSON Schema (draft 2020-12)."""
    text = resources.files("conformance").joinpath("schema/vector.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Any:
    return jsonschema.Draft202012Validator(vector_schema())


def validate_vector(obj: Any) -> None:
    """Raise ``jsonschema.ValidationError`` if ``obj`` is not a format-1 vector."""
    _validator().validate(obj)
