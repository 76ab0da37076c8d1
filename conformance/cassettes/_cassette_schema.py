"""Reading a cassette's JSON with clear errors: :class:`CassetteError` and the field checks.

Every ``from_json`` in the cassette format checks its fields here; a field of the wrong shape
raises the internal ``_SchemaError`` with a JSON path (``interactions[3].response.status``),
which :func:`~conformance.cassettes._cassette.loads_cassette` turns into a :class:`CassetteError` naming
the file and the place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from nemokit._errors import NemoError

JSON: TypeAlias = Any


class CassetteError(NemoError):
    """A cassette that cannot be read or written; the message names the file and the place.

    ``file`` is the path (or ``"<string>"``), ``where`` the place in it: ``"line 3, column 7"``
    for broken JSON, a JSON path such as ``"interactions[3].response.status"`` for a bad field.
    """

    def __init__(self, message: str, *, file: str = "<string>", where: str | None = None) -> None:
        place = f" at {where}" if where else ""
        super().__init__(f"{file}{place}: {message}")
        self.file = file
        self.where = where
        self.reason = message


class _SchemaError(Exception):
    """Internal: a field of the wrong shape at ``path``; turned into a CassetteError by loads."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               dict: "an object", list: "a list"}  # fmt: skip


def _describe(value: object) -> str:
    return "null" if value is None else type(value).__name__.replace("dict", "object")


def _get(obj: Mapping[str, Any], key: str, path: str, kind: type, *, optional: bool = False) -> Any:
    """``obj[key]`` checked against ``kind`` (``None`` allowed when ``optional``)."""
    where = f"{path}.{key}" if path else key
    if key not in obj:
        if optional:
            return None
        raise _SchemaError(where, "missing")
    value = obj[key]
    if value is None and optional:
        return None
    return _check(value, kind, where)


def _check(value: Any, kind: type, where: str) -> Any:
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise _SchemaError(where, f"expected {_TYPE_NAMES[kind]}, found {_describe(value)}")
    return value


def _str_map(value: Any, where: str) -> dict[str, str]:
    for key, item in _check(value, dict, where).items():
        _check(item, str, f"{where}.{key}")
    return dict(value)
