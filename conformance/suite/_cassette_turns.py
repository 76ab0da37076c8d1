"""What a recorded stream says the agent did: a :class:`TurnRecord` read from a cassette.

On the mock backend the rules read what the mock's agent did in each turn from its state. On the
cassettes backend the same facts are in the recorded ``/run_sse`` events: the texts (the noise
among them), the tool calls and results, the partial chunks, the heartbeats and when each came.
:func:`recorded_turn` reads them, in either dialect and under any framing (the events go through
nemokit's own WHATWG decoder, which the judges do not otherwise rely on), so the stream rules
judge a replayed cassette as they judge the mock.

:func:`fault_ids` says which recorded interactions the mock answered with which of its fault
rules (``fault_1``…, as the mock names them), so the rules that look for a cut or a stalled
stream find the request the fault met.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from conformance.cassettes._cassette import Interaction, StreamEvent
from nemokit import contract
from nemokit._sse import SSEComment, SSEDecoder

from ._model import TurnRecord

__all__ = ["fault_ids", "recorded_turn"]


def _items(events: Sequence[StreamEvent]) -> Iterable[tuple[float, Any]]:
    """``(t, item)`` per decoded item: ``None`` for a heartbeat, else the event's JSON."""
    decoder = SSEDecoder()
    for event in events:
        for item in decoder.feed(event.raw.encode()):
            if isinstance(item, SSEComment) or not item.data.strip():
                yield event.t, None
                continue
            try:
                data = json.loads(item.data)
            except ValueError:
                continue
            yield event.t, (None if _is_heartbeat(data) else data)


def _is_heartbeat(data: Any) -> bool:
    return isinstance(data, dict) and data.get("type") == "heartbeat"


def _parts(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(kind, value)`` per part of one event: ``text``, ``tool_call`` (name), ``tool_result``,
    ``error``; in the ADK or the simple dialect."""
    if "type" in data:
        kind = data["type"]
        if kind == "text":
            return [("text", str(data.get("content", "")))]
        if kind in ("tool_call", "tool_result"):
            return [(kind, str(data.get("name", "")))]
        return [("error", data.get("error"))]
    if "error" in data:
        return [("error", data["error"])]
    content = data.get("content")
    parts = content.get("parts", []) if isinstance(content, dict) else []
    out: list[tuple[str, Any]] = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if "functionCall" in part:
            out.append(("tool_call", str((part["functionCall"] or {}).get("name", ""))))
        elif "functionResponse" in part:
            out.append(("tool_result", str((part["functionResponse"] or {}).get("name", ""))))
        elif "text" in part:
            system = data.get("author") == "system"
            out.append(("error" if system else "text", str(part["text"])))
    return out


def recorded_turn(message: str, start: float, events: Sequence[StreamEvent]) -> TurnRecord:
    """The turn a recorded stream shows, as if it began at ``start`` (the replay's time)."""
    texts: list[tuple[float, str]] = []
    chunks: list[str] = []
    tools: list[str] = []
    heartbeats, first_partial, applied, end = 0, None, None, 0.0

    def flush(at: float) -> None:
        # The simple dialect sends only the chunks of a streamed reply: joined, they are it.
        if chunks:
            texts.append((at, "".join(chunks)))
            chunks.clear()

    for t, data in _items(events):
        end = max(end, t)
        if data is None:
            heartbeats += 1
            continue
        if not isinstance(data, dict):
            continue
        partial = bool(data.get("partial"))
        for kind, value in _parts(data):
            if kind == "text" and partial:
                first_partial = t if first_partial is None else first_partial
                chunks.append(value)
                continue
            if kind == "text":
                chunks.clear()  # the ADK's final event repeats its chunks
                texts.append((t, value))
                continue
            flush(t)
            if kind == "tool_call":
                tools.append(value)
            elif kind == "tool_result":
                applied = t
    flush(end)
    said = [(t, x) for t, x in texts if not x.startswith(contract.NOISE_PHRASE)]
    return TurnRecord(
        message=message,
        start=start,
        end=start + end,
        texts=tuple(x for _, x in said),
        noise=tuple(x for _, x in texts if x.startswith(contract.NOISE_PHRASE)),
        tools=tuple(tools),
        silent=bool(tools) and not said,
        changed=applied is not None,
        kind="edit" if tools else "text",
        applied_at=start + (applied if applied is not None else end),
        first_text_at=start + said[0][0] if said else None,
        first_partial_at=None if first_partial is None else start + first_partial,
        heartbeats=heartbeats,
    )


def fault_ids(
    interactions: Sequence[Interaction], faults: Iterable[Mapping[str, Any]]
) -> dict[int, str]:
    """Interaction index → the id of the mock's fault rule that met it (``fault_1``…).

    The mock takes, for each request, the first of its rules (in the order added) that matches
    the method and path and has uses left; the recording's requests are replayed through the
    same bookkeeping.
    """
    rules = [(f"fault_{n}", f) for n, f in enumerate(faults, 1)]
    left = {fid: int(f.get("times", 1)) for fid, f in rules}
    out: dict[int, str] = {}
    for index, interaction in enumerate(interactions):
        request = interaction.request
        for fid, fault in rules:
            method, path = str(fault.get("method", "*")).upper(), str(fault.get("path", "*"))
            if left[fid] < 1 or method not in ("*", request.method.upper()):
                continue
            if request.path == path or fnmatch.fnmatchcase(request.path, path):
                left[fid] -= 1
                out[index] = fid
                break
    return out
