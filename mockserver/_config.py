"""The mock's configuration: which contract variant it speaks and how its agent behaves.

Defaults are the contract's mock defaults. Every field can be set from ``nemokit mock`` flags,
from ``PATCH /__admin/config`` and from Python.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass, field
from typing import Any

from nemokit import contract, history

__all__ = ["SSE_FRAMINGS", "MockConfig", "config_dict", "setting_choices"]

#: How ``/run_sse`` lays its events out on the wire (``mockserver.agent._stream``): ``lf``, every
#: line ending ``\r\n``, a bare ``\r``, each event's JSON across several ``data:`` lines, an
#: ``id:`` per event with a comment right after it, or odd-sized sends that split a CRLF and a
#: multi-byte UTF-8 character.
SSE_FRAMINGS = contract.SSE_FRAMINGS


@dataclass(frozen=True, slots=True)
class MockConfig:
    #: Seed of every random choice (ids, durations, silent turns): same seed, same run.
    seed: int = 0
    #: Business errors as HTTP 200 + code (default) or as HTTP statuses (401/404/403/415/413).
    error_style: contract.ErrorStyle = contract.ErrorStyle.CODE_200
    #: ``/run_sse`` event JSON: ADK (default) or the simple ``{"type": ...}`` dialect.
    dialect: contract.EventDialect = contract.EventDialect.ADK
    #: How heartbeats look on the wire.
    heartbeat_form: contract.HeartbeatForm = contract.HeartbeatForm.JSON
    #: Virtual seconds between heartbeats while a turn works (the guide says 15–30 s).
    heartbeat_interval: float = 20.0
    #: Share of edit turns that end after a tool result with no text.
    silent_rate: float = 0.3
    #: Stream text as partial chunks before the final text event.
    partial_text: bool = False
    #: Share of turns that end with the trailing "I encountered a temporary issue" noise.
    noise_rate: float = 0.1
    #: Share of renders that end ``failed``.
    render_fail_rate: float = 0.0
    #: Credits of a new anonymous account.
    initial_credits: int = contract.INITIAL_CREDITS
    #: New anonymous tokens one IP may get per 7 days before 429.
    token_limit_per_ip: int = contract.TOKEN_LIMIT_PER_IP
    #: Serve ``/__admin``; off for a mock that must look exactly like production.
    admin: bool = True
    #: Count the per-IP token limit by the first ``X-Forwarded-For`` hop instead of the socket's
    #: address. Only for a mock behind a proxy that sets the header: otherwise a caller could
    #: send a new address with every request and dodge the limit.
    trust_forwarded: bool = False
    #: Keep tokens out of the journal (``Authorization`` and other credential headers, and any
    #: ``nmv_usr_``/``clm_`` token in a body, replaced by a marker): for a shared mock whose
    #: journal others read. Conformance runs keep it off, since they inspect what was sent.
    redact_journal: bool = False
    #: Unix time that virtual time 0 stands for (for ``expires_at`` and ``createdAt``).
    epoch: float = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    #: Multiply every agent duration (turns, renders) by this; 1.0 is the contract's timing.
    duration_scale: float = 1.0
    #: The render status body: ``both`` shapes at once (the contract's mock default), only the
    #: ``nested`` ``data`` object, or only the ``flat`` top-level fields.
    render_status_shape: str = "both"
    #: The upload answer's list: ``files`` with ``cdn_url`` (default) or ``uploaded_files`` with
    #: ``url`` (the variant a robust client must also read).
    upload_list: str = "files"
    #: The WHATWG line layout of ``/run_sse`` (one of :data:`SSE_FRAMINGS`); the events are the
    #: same whichever is chosen.
    sse_framing: str = "lf"
    #: When above 0, every ``/run_sse`` turn first works this many virtual seconds (tool
    #: call/result progress every 4 minutes, and heartbeats) before its script plays: a long
    #: turn that is never stalled, for the client's 15-minute limit.
    slow_turn_seconds: float = 0.0
    #: Which guide the mock serves: the current one (default: the current contract only), a
    #: version (the current contract plus the forms that version documented), or ``any`` (every
    #: documented earlier form too). Requests in an earlier form are flagged in the journal
    #: whatever this says (see ``mockserver._legacy``).
    guide: str = "1.9"
    #: Extra fields a test may use; ignored by the mock.
    extra: dict[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> MockConfig:
        """A copy with ``changes`` applied, each validated (a bad value raises ``ValueError``)."""
        return validated(dataclasses.replace(self, **_coerce(changes)))


_ENUMS: dict[str, type[Any]] = {
    "error_style": contract.ErrorStyle,
    "dialect": contract.EventDialect,
    "heartbeat_form": contract.HeartbeatForm,
}
_RATES = ("silent_rate", "noise_rate", "render_fail_rate")
_CHOICES: dict[str, tuple[str, ...]] = {
    "render_status_shape": ("both", "nested", "flat"),
    "upload_list": ("files", "uploaded_files"),
    "sse_framing": SSE_FRAMINGS,
    "guide": ("any", *(g.version for g in history.GUIDE_VERSIONS)),
}
_BOOLS = ("partial_text", "admin", "trust_forwarded", "redact_journal")


def config_dict(config: MockConfig) -> dict[str, Any]:
    """The config as JSON (enums by value)."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        out[f.name] = value.value if isinstance(value, enum.Enum) else value
    return out


def setting_choices() -> dict[str, list[str]]:
    """The allowed values of each setting that has a fixed set (for a form's choices)."""
    out = {name: [e.value for e in kind] for name, kind in _ENUMS.items()}
    out.update({name: list(allowed) for name, allowed in _CHOICES.items()})
    return out


def _coerce(changes: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(MockConfig)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ValueError(f"unknown mock setting(s): {', '.join(unknown)}; known: {sorted(names)}")
    out = dict(changes)
    for name, enum_type in _ENUMS.items():
        if name in out:
            try:
                out[name] = enum_type(out[name])
            except ValueError:
                allowed = ", ".join(e.value for e in enum_type)
                raise ValueError(f"{name} must be one of {allowed}, got {out[name]!r}") from None
    return out


def validated(config: MockConfig) -> MockConfig:
    """``config`` itself when every field is in range; otherwise ``ValueError`` naming it."""
    for name in _RATES:
        value = getattr(config, name)
        if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")
    if not isinstance(config.heartbeat_interval, (int, float)) or config.heartbeat_interval <= 0:
        raise ValueError(f"heartbeat_interval must be positive, got {config.heartbeat_interval!r}")
    if not isinstance(config.duration_scale, (int, float)) or config.duration_scale <= 0:
        raise ValueError(f"duration_scale must be positive, got {config.duration_scale!r}")
    slow = config.slow_turn_seconds
    if isinstance(slow, bool) or not isinstance(slow, (int, float)) or not 0 <= slow < math.inf:
        raise ValueError(f"slow_turn_seconds must be a number of seconds >= 0, got {slow!r}")
    for name, allowed in _CHOICES.items():
        if getattr(config, name) not in allowed:
            raise ValueError(
                f"{name} must be one of {', '.join(allowed)}, got {getattr(config, name)!r}"
            )
    for name in _BOOLS:
        if not isinstance(getattr(config, name), bool):
            raise ValueError(f"{name} must be true or false, got {getattr(config, name)!r}")
    for name in ("seed", "initial_credits", "token_limit_per_ip"):
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return config
