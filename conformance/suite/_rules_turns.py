"""The rules on turns the user did not ask for (T4, T5), as judges of an observation.

A ``/run_sse`` turn costs credits. The contract's GUI table says "drag/drop → send the edit
through SSE": when the backend tells the user to do, in a GUI, what the user asked for, the
client does it through the API instead. A suggestion of what the user *could* do ("you can
drag…", 可以…, "to fine-tune…") is content, not an order. So:

- T4: a message the user did not ask for (one naming words that are not in what the user typed
  in that step) is a violation unless it carries out a GUI instruction of the backend's reply in
  that step that is not a tip and that completes the user's request (every word it names, GUI
  verbs aside, is the user's);
- T5: such a message is a whole sentence or clause of the backend's instruction (its GUI verb
  made plain), never a fragment cut out of one, and there is at most one per user message.

Written from the contract, not from the client's code: the words below are the judge's own.
Registered in :data:`._rules.RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._judging import _turn_of, _v
from ._model import Observation, Request, Scenario, Violation

_CJK = re.compile(r"[\u3400-\u9fff]")
#: The GUI verbs of an edit instruction (a click or a drag), and the plain verbs that replace
#: them in the message a client sends instead.
_GUI_VERB = re.compile(
    r"\b(?:drag(?:\s*(?:and|&)\s*drop)?|drop|click|tap|press)\b|拖拽|拖动|拖放|点击|单击|双击|点按",
    re.IGNORECASE,
)
_PLAIN_VERB = re.compile(r"\b(?:move|put|place)\b|移动", re.IGNORECASE)
#: A suggestion of what the user could do.
_TIP = re.compile(
    r"\byou\s+(?:can|could|may|might)\b|\bfeel\s+free\b|\bif\s+you\b|\bif\s+needed\b"
    r"|\boptionally\b|\bto\s+(?:fine-?\s?tune|tweak|adjust|reorder|rearrange|refine)\b"
    r"|可以|如需|如果|随时|微调|调整|不妨|试试",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
_CLAUSE_END = re.compile(r"\s*[,;，；]\s*")
_PURPOSE = re.compile(r"\bto\s+|(?:以便|以|来)", re.IGNORECASE)
#: Words an instruction names that are not the edit itself.
_NOT_NAMED = frozenset(
    {"the", "a", "an", "to", "of", "in", "on", "at", "it", "them", "this", "that", "your"}
    | {"and", "please", "then", "now", "just", "timeline", "button", "panel", "onto", "into"}
    | set("把将到在上的中里处请您你时间线面板按钮")
)


def _words(text: str) -> set[str]:
    folded = _PLAIN_VERB.sub(" ", _GUI_VERB.sub(" ", text.casefold()))
    words = {w.removesuffix("s") if len(w) > 3 else w for w in re.findall(r"\w+", folded)}
    return {w for w in words if not _CJK.search(w)} | set(_CJK.findall(folded))


def _key(text: str) -> str:
    """A text with its GUI and plain verbs, spaces and punctuation gone (case-folded)."""
    plain = _PLAIN_VERB.sub("", _GUI_VERB.sub("", text.casefold()))
    return "".join(re.findall(r"\w+", plain))


def _units(text: str) -> Iterator[tuple[str, str]]:
    """``(sentence, unit)`` for every sentence, clause and purpose clause ("to add the
    subtitles") of ``text``: the whole pieces a client may send."""
    for sentence in filter(str.strip, _SENTENCE_END.split(text)):
        yield sentence, sentence
        for clause in filter(str.strip, _CLAUSE_END.split(sentence)):
            yield sentence, clause
            for purpose in _PURPOSE.finditer(clause):
                yield sentence, clause[purpose.end() :]


def _requested(message: str, typed: str) -> bool:
    """Whether every word of ``message`` is in what the user typed (routing cut it from there)."""
    return _words(message) <= _words(typed)


def _replies_before(obs: Observation, r: Request) -> list[str]:
    """What the backend said in the turns of ``r``'s step that started before ``r``."""
    texts: list[str] = []
    for earlier in obs.of_kind("run_sse"):
        if earlier.step == r.step and earlier.seq < r.seq:
            turn = _turn_of(obs, earlier)
            if turn is not None and turn.message == earlier.message:
                texts += turn.texts
    return texts


def _unrequested(scenario: Scenario, obs: Observation) -> Iterator[tuple[Request, str]]:
    """``(request, what the user typed)`` for every ``/run_sse`` message the user did not ask
    for, in order."""
    for r in obs.of_kind("run_sse"):
        if r.message is None or not 0 <= r.step < len(scenario.steps):
            continue
        typed = scenario.steps[r.step].text
        if not _requested(r.message, typed):
            yield r, typed


def _source(message: str, replies: list[str]) -> str | None:
    """The backend's sentence ``message`` is a whole piece of, if any."""
    key = _key(message)
    found = (s for text in replies for s, unit in _units(text) if key and _key(unit) == key)
    return next(found, None)


def t4(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    for r, typed in _unrequested(scenario, obs):
        assert r.message is not None
        sentence = _source(r.message, _replies_before(obs, r))
        if sentence is None or not _GUI_VERB.search(sentence):
            why = "carries out no GUI instruction of the backend's reply"
        elif _TIP.search(sentence):
            why = f"carries out a tip, not an order: {sentence.strip()!r}"
        elif not (named := _words(r.message) - _NOT_NAMED) or not named <= _words(typed):
            why = f"does more than the user asked for ({typed!r}): {sentence.strip()!r}"
        else:
            continue
        out.append(
            _v(
                "T4",
                f"{r.describe()} sent {r.message!r}, which the user did not ask for in step "
                f"{r.step}; it costs credits and {why}",
            )
        )
    return out


def t5(scenario: Scenario, obs: Observation) -> list[Violation]:
    out = []
    per_step: dict[int, int] = {}
    for r, _typed in _unrequested(scenario, obs):
        assert r.message is not None
        per_step[r.step] = per_step.get(r.step, 0) + 1
        if per_step[r.step] == 2:
            out.append(
                _v(
                    "T5",
                    f"{r.describe()} is a second message the user did not type in "
                    f"step {r.step}: at most one follow-up per user message",
                )
            )
        if _source(r.message, _replies_before(obs, r)) is None:
            out.append(
                _v(
                    "T5",
                    f"{r.describe()} sent {r.message!r}, which is not a whole sentence of the "
                    "user's request or of the backend's instruction (a fragment)",
                )
            )
    return out
