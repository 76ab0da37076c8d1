"""Fault injection: "for the next N requests matching METHOD PATH, do this instead".

A :class:`FaultRule` matches a method (``*`` for any) and a path (exact, or a glob such as
``/api/render/*``, where ``*`` also crosses ``/``). Its actions, applied in this order:

1. ``delay``: wait that many *virtual* seconds before anything else;
2. ``drop``: send the response start and part of a body, then break the connection;
3. ``status`` (HTTP status, optional JSON ``body``) or ``code`` (a contract code, rendered in the
   configured error style): answer with it instead of the endpoint;
4. ``cut_after`` / ``stall``: handed to ``/run_sse`` (the stream is cut after K events, or sends
   only heartbeats); on other paths they do nothing.

``retry_after`` adds a ``Retry-After`` header to a ``status``/``code`` answer. A rule with only
a delay lets the request through after the wait. Rules are tried in the order they were added;
the first that matches is used and its count goes down by one.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["DroppedConnection", "FaultRule", "Faults"]


class DroppedConnection(Exception):
    """Raised after a partial response on purpose, so that the server breaks the connection."""


_NUMBERS = ("delay", "retry_after")
_INTS = ("times", "status", "code", "cut_after")


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One fault. ``times`` is how many matching requests it applies to."""

    method: str = "*"
    path: str = "*"
    times: int = 1
    status: int | None = None
    body: Any = None
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    cut_after: int | None = None
    stall: bool = False
    id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check(self)

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        return path == self.path or fnmatch.fnmatchcase(path, self.path)

    @property
    def answers(self) -> bool:
        """True when the rule answers instead of the endpoint."""
        return self.status is not None or self.code is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """A rule from JSON; unknown keys and wrong types raise ``ValueError`` naming them."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a fault rule must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in fields(cls)} - {"id"}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(
                f"unknown fault field(s): {', '.join(unknown)}; known: {sorted(names)}"
            )
        return cls(**dict(data))


def _check(rule: FaultRule) -> None:
    for name in _INTS:
        value = getattr(rule, name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError(f"fault {name} must be an integer, got {value!r}")
    for name in _NUMBERS:
        value = getattr(rule, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"fault {name} must be a number, got {value!r}")
    for name in ("method", "path"):
        if not isinstance(getattr(rule, name), str) or not getattr(rule, name):
            raise ValueError(f"fault {name} must be a non-empty string")
    for name in ("drop", "stall"):
        if not isinstance(getattr(rule, name), bool):
            raise ValueError(f"fault {name} must be true or false")
    if rule.times < 1:
        raise ValueError(f"fault times must be at least 1, got {rule.times}")
    if rule.status is not None and not 100 <= rule.status <= 599:
        raise ValueError(f"fault status must be an HTTP status (100-599), got {rule.status}")
    if rule.delay < 0 or (rule.retry_after is not None and rule.retry_after < 0):
        raise ValueError("fault delay and retry_after cannot be negative")
    if rule.cut_after is not None and rule.cut_after < 0:
        raise ValueError(f"fault cut_after cannot be negative, got {rule.cut_after}")
    if rule.status is not None and rule.code is not None:
        raise ValueError("a fault sets either status or code, not both")
    actions = (rule.answers, rule.drop, rule.cut_after is not None, rule.stall, rule.delay > 0)
    if not any(actions):
        raise ValueError("a fault needs an action: status, code, drop, cut_after, stall or delay")


class Faults:
    """The active rules and how many times each has left. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[FaultRule, int]] = {}
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"Faults(rules={len(self._rules)})"

    def __len__(self) -> int:
        with self._lock:
            return len(self._rules)

    @property
    def active(self) -> bool:
        """True when any rule is set: a lock-free look, so requests skip ``take`` when none is."""
        return bool(self._rules)

    def add(self, rule: FaultRule | None = None, /, **fields_: Any) -> FaultRule:
        """Add ``rule`` (or one built from keyword fields) and return it with its id."""
        if rule is None:
            rule = FaultRule.from_dict(fields_)
        elif fields_:
            raise TypeError("pass either a FaultRule or keyword fields, not both")
        with self._lock:
            rule = _with_id(rule, f"fault_{next(self._ids)}")
            self._rules[rule.id] = (rule, rule.times)
            return rule

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first rule matching this request, its count spent by one; ``None`` if none."""
        with self._lock:
            for rule_id, (rule, left) in self._rules.items():
                if rule.matches(method, path):
                    if left <= 1:
                        del self._rules[rule_id]
                    else:
                        self._rules[rule_id] = (rule, left - 1)
                    return rule
            return None

    def list(self) -> list[dict[str, Any]]:
        """Each rule as a dict with its ``remaining`` count."""
        with self._lock:
            return [{**rule.to_dict(), "remaining": left} for rule, left in self._rules.values()]

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


def _with_id(rule: FaultRule, rule_id: str) -> FaultRule:
    values = {f.name: getattr(rule, f.name) for f in fields(rule)}
    values["id"] = rule_id
    return FaultRule(**values)
