"""The mock's scripted agent: a message, the draft and a seed in, a timed ``TurnScript`` out.

Nothing here does I/O or reads a clock: :func:`plan_turn` is a pure function of its arguments, so
the same message on the same draft with the same seed and turn index gives an identical script.
Every random choice comes from one ``random.Random`` seeded with the SHA-256 of
``(seed, turn_index, message)`` (never Python's salted ``hash()``), drawn in a fixed order.

The choices this module makes (the contract leaves them open):

- **Intents** are found by keywords, English and Chinese (:mod:`._intents`): generate, trim
  (pauses), title, BGM, transitions, text overlay, aspect ratio, speed, remove. Several intents in
  one message are several edits in one turn, applied in the order they appear in the message;
  "generate" always goes first because the others edit what it makes. "remove" turns the other
  intents it names (title, BGM, overlay, transitions) into removals; alone it drops the last
  video segment. Quoted text (``"…"``, ``“…”``, ``「…」``, ``《…》``) becomes the title, then the
  overlay text. No intent at all → a text reply (5–15 s, ``TEXT_TURN_COST``).
- **Edits** take 10–30 s and cost ``EDIT_TURN_COST`` whatever their number; generation takes
  100–300 s and costs ``GENERATION_COST``. All durations are multiplied by
  ``config.duration_scale``. An edit on an empty draft with no uploaded video or image is
  answered with a text reply asking for footage (no change, text cost).
- **The draft** is exactly "The draft the mock writes" in docs/architecture.md: times in ms,
  volume 0..1, segment fields from ``contract.SEGMENT_FIELDS``, track names ``Video``, ``BGM``,
  ``Title`` and ``Text`` (overlays), ``d`` the end of the video track, ``m`` holding ``width``,
  ``height``, ``fps``, ``volume``, ``title`` once there is one, and ``speed`` once changed. When
  the draft has no segment, the uploaded videos and images (``media``) become the video track in
  upload order (images 3 s, unknown durations 30 s); an uploaded audio file is the BGM source.
  Trimming splits each clip into up to three pieces keeping 70–90% of it; speed divides clip
  durations; anything then reaching past ``d`` is clipped to it. ``draft_after`` is ``None``
  when nothing changed.
- **Generation** replaces the draft with one generated clip (10–30 s, 1920x1080 unless the same
  message asks for another aspect ratio). The backend's own post-production arrives after the
  turn in ``post``: BGM 20–60 s after the stream ends, then a title 20–60 s later (each stage
  only if the turn did not already add one).
- **Events**: for each edit a ``tool_call`` then its ``tool_result``, in time slices of the turn
  (generation takes most of it); then the reply text at 90% of the turn, unless the turn is
  *silent* (edits only, with probability ``config.silent_rate``; generation always speaks since
  it announces the post-production). Replies say what changed, in Chinese when the message has
  CJK characters, and half the time end with a GUI instruction ("Click the Export button to
  download.", "点击导出按钮下载。"...) that a client must translate. With probability
  ``config.noise_rate`` any turn ends with a separate text starting with ``contract.NOISE_PHRASE``
  (also after a silent turn, where it is the only text). With ``config.partial_text`` every reply
  is preceded by ``partial`` chunks of about three words that join to exactly the reply (the
  endpoint passes ``config.replace(partial_text=True)`` when the request asks
  ``streaming: true``); the noise text is never chunked.
- ``applied_at`` is when the edit lands in the session: the last tool result, even if the client
  has gone by then (that is what makes disconnect recovery observable).

Payloads: ``text``/``partial``/``error`` → ``{"text"}``; ``tool_call`` → ``{"id", "name",
"args"}``; ``tool_result`` → ``{"id", "name", "response"}``.
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nemokit import contract

from .._config import MockConfig
from ._drafts import find_track, has_segments, seed_from_media
from ._edits import Change, apply
from ._intents import CJK, Context, operations
from ._phrases import NOISE_TAILS, chat_reply, edit_reply, no_footage_reply, track_summary

__all__ = ["ItemKind", "ScriptItem", "TurnScript", "plan_turn", "track_summary"]


ItemKind = Literal["text", "partial", "tool_call", "tool_result", "error"]


@dataclass(frozen=True, slots=True)
class ScriptItem:
    """One event of a turn, ``at`` virtual seconds after the turn starts."""

    at: float
    kind: ItemKind
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TurnScript:
    """Everything a turn will do, planned in advance (times relative to the turn's start)."""

    items: tuple[ScriptItem, ...]
    #: When the stream ends (the connection closes).
    duration: float
    #: Credits charged when the turn ends.
    cost: int
    #: The draft once the turn's edit has landed; ``None``: no change.
    draft_after: dict[str, Any] | None
    #: Post-production after the turn: ``(seconds after start, the whole draft then)``.
    post: tuple[tuple[float, dict[str, Any]], ...]
    #: An edit that ends after its tool results with no text.
    silent: bool
    #: ``text``, ``edit`` or ``generate``.
    kind: str
    #: When ``draft_after`` lands (the last tool result); ``None`` means at ``duration``.
    applied_at: float | None = None


def plan_turn(
    message: str,
    draft: dict[str, Any],
    media: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    turn_index: int,
    config: MockConfig,
) -> TurnScript:
    """Plan one turn of the scripted agent (see the module docstring for every choice)."""
    rng = random.Random(_seed_of(seed, turn_index, message))
    ctx = Context(rng=rng, message=message, zh=bool(CJK.search(message)), media=media)
    ops = operations(message.lower())
    work = copy.deepcopy(draft) if isinstance(draft, dict) else {}
    if "generate" not in ops and ops and not has_segments(work):
        work = seed_from_media(media)
        if not has_segments(work):
            return _text_turn(ctx, config, no_footage_reply(ctx))
    if not ops:
        return _text_turn(ctx, config, chat_reply(ctx, work))
    return _edit_turn(ctx, config, ops, work, draft)


def _seed_of(seed: int, turn_index: int, message: str) -> int:
    digest = hashlib.sha256(f"{seed}\x1f{turn_index}\x1f{message}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _text_turn(ctx: Context, config: MockConfig, reply: str) -> TurnScript:
    total = ctx.rng.uniform(5, 15) * config.duration_scale
    items = _speak(ctx, config, reply, total * 0.9, after=0.0)
    items += _noise(ctx, config, total)
    return TurnScript(tuple(items), total, contract.TEXT_TURN_COST, None, (), False, "text")


def _edit_turn(
    ctx: Context, config: MockConfig, ops: list[str], work: dict[str, Any], draft: dict[str, Any]
) -> TurnScript:
    generating = ops[0] == "generate"
    span = (100, 300) if generating else (10, 30)
    total = ctx.rng.uniform(*span) * config.duration_scale
    silent = not generating and ctx.rng.random() < config.silent_rate
    weights = [20.0 if op == "generate" else 1.0 for op in ops]
    slot_start, usable = 0.05 * total, 0.8 * total
    items: list[ScriptItem] = []
    summaries: list[str] = []
    for op, weight in zip(ops, weights, strict=True):
        width = usable * weight / sum(weights)
        call_id = f"call_{ctx.rng.getrandbits(48):012x}"
        work, change = apply(op, work, ctx)
        items.append(ScriptItem(slot_start, "tool_call", _call(call_id, change)))
        done = slot_start + 0.9 * width
        items.append(ScriptItem(done, "tool_result", _result(call_id, change, work)))
        summaries.append(change.summary)
        slot_start += width
    applied_at = items[-1].at
    if not silent:
        reply = edit_reply(ctx, summaries, generating)
        items += _speak(ctx, config, reply, total * 0.9, after=applied_at)
    items += _noise(ctx, config, total)
    post = _post_production(ctx, work, total, config.duration_scale) if generating else ()
    cost = contract.GENERATION_COST if generating else contract.EDIT_TURN_COST
    kind = "generate" if generating else "edit"
    after = None if work == draft else work  # None: every edit was a no-op on the draft
    return TurnScript(tuple(items), total, cost, after, post, silent, kind, applied_at)


def _call(call_id: str, change: Change) -> dict[str, Any]:
    return {"id": call_id, "name": change.tool, "args": change.args}


def _result(call_id: str, change: Change, work: dict[str, Any]) -> dict[str, Any]:
    response = {"status": change.status, "summary": change.summary, "duration_ms": work.get("d")}
    return {"id": call_id, "name": change.tool, "response": response}


def _speak(
    ctx: Context, config: MockConfig, text: str, at: float, *, after: float
) -> list[ScriptItem]:
    """The reply at ``at``, preceded by partial chunks between ``after`` and ``at`` if asked."""
    items: list[ScriptItem] = []
    if config.partial_text:
        chunks = _chunks(text)
        step = (at - after) / (len(chunks) + 1)
        items = [
            ScriptItem(after + step * (i + 1), "partial", {"text": chunk})
            for i, chunk in enumerate(chunks)
        ]
    items.append(ScriptItem(at, "text", {"text": text}))
    return items


def _chunks(text: str) -> list[str]:
    """Pieces of about three words (or eight CJK characters) that join to exactly ``text``."""
    if CJK.search(text):
        return [text[i : i + 8] for i in range(0, len(text), 8)]
    words = re.findall(r"\S+\s*", text)
    return ["".join(words[i : i + 3]) for i in range(0, len(words), 3)] or [text]


def _noise(ctx: Context, config: MockConfig, total: float) -> list[ScriptItem]:
    if ctx.rng.random() >= config.noise_rate:
        return []
    tail = ctx.rng.choice(NOISE_TAILS)
    return [ScriptItem(total * 0.97, "text", {"text": f"{contract.NOISE_PHRASE}{tail}"})]


def _post_production(
    ctx: Context, draft: dict[str, Any], total: float, scale: float
) -> tuple[tuple[float, dict[str, Any]], ...]:
    """The backend's own BGM, then title, after a generation (each only if still missing)."""
    stages: list[tuple[float, dict[str, Any]]] = []
    work, at = copy.deepcopy(draft), total
    if not find_track(work, contract.TrackType.AUDIO):
        at += ctx.rng.uniform(20, 60) * scale
        apply("bgm", work, ctx)
        stages.append((at, copy.deepcopy(work)))
    if not find_track(work, contract.TrackType.TEXT, "Title"):
        at += ctx.rng.uniform(20, 60) * scale
        apply("title", work, ctx)
        stages.append((at, copy.deepcopy(work)))
    return tuple(stages)
