"""The draft of a render submit checked against the mock's own OpenAPI ``Draft`` schema.

The OpenAPI document promises that a request it calls invalid is refused, and Schemathesis holds
the mock to it (a draft whose ``m`` is a string was accepted). Rather than a second description
of the draft, the check reads the document's ``Draft`` component and follows the few keywords it
uses: ``type``, ``properties``, ``items``, ``enum`` and ``$ref``. Unknown keys stay allowed, as the
schema allows them (segment fields beyond the mock's are not published).
"""

from __future__ import annotations

import functools
from typing import Any

from ..openapi import openapi_document

__all__ = ["draft_problem"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


@functools.cache
def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = openapi_document()["components"]["schemas"]
    return schemas


def draft_problem(draft: Any) -> str | None:
    """Where ``draft`` breaks the ``Draft`` schema (``draft.m: expected object``), or ``None``."""
    return _problem(draft, _components()["Draft"], "draft", depth=0)


def _problem(value: Any, schema: dict[str, Any], where: str, *, depth: int) -> str | None:
    if depth > 16:
        return f"{where}: nested too deep"
    if "$ref" in schema:
        schema = _components()[schema["$ref"].rsplit("/", 1)[1]]
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        allowed = tuple(t for name in names for t in _TYPES.get(name, ()))
        bad_bool = isinstance(value, bool) and "boolean" not in names
        if not isinstance(value, allowed) or bad_bool:
            return f"{where}: expected {' or '.join(names)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: must be one of {schema['enum']}"
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                found = _problem(value[key], sub, f"{where}.{key}", depth=depth + 1)
                if found:
                    return found
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found = _problem(item, schema["items"], f"{where}[{index}]", depth=depth + 1)
            if found:
                return found
    return None
