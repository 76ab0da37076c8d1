"""What the suite must exercise at every profile, and the explicit scenarios that make sure of it.

Generated scenarios are few at the ci profile (10 per rule), so by chance alone some branches are
never reached: a client that mishandles the Chinese keywords passed ci and failed only at
``thorough``. :data:`EXAMPLES` gives each rule a few explicit scenarios (run first, at every
profile, as hypothesis ``@example``\\ s) that together reach every variant a rule is about:

- every word of the routing table, in both languages, asked for, and routing words inside edits
  (T2, T3);
- every event dialect (S2, S8), heartbeat form (S1) and WHATWG framing (S9);
- every fault kind, and every error code and HTTP status a rule is about (R1–R8, S4, S7, S10).

:func:`variants_of` names the variants one scenario reaches and :data:`REQUIRED` those each rule
must reach; ``tests/conformance/test_coverage.py`` checks that the ci profile reaches them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from hypothesis import example

from conformance.drivers._protocol import Step
from mockserver._config import SSE_FRAMINGS

from ._intent import AMBIGUOUS_EDITS, TABLE_WORDS, ask, edit, intent_of, mixed
from ._model import Fault, Scenario, ServerVariant

__all__ = ["EXAMPLES", "REQUIRED", "variants_of", "with_examples"]

_UPLOAD = Step("upload", files=("clip.mp4",))
_QUIET = ServerVariant(silent_rate=0.0, noise_rate=0.0)
_EDIT = Step("say", "trim the pauses")
_EXPORT = (_UPLOAD, _EDIT, Step("say", "export"))
DIALECTS = ("adk", "simple")
HEARTBEATS = ("json", "empty", "comment")


def _words(zh: bool) -> list[Step]:
    return [
        ask(action, word)
        for action, words in TABLE_WORDS.items()
        for word in words
        if word.isascii() != zh
    ]


def _routing(zh: bool) -> Scenario:
    """Every table word of one language asked for, the ambiguous edits, and a mixed request."""
    edits = [edit(text) for text in AMBIGUOUS_EDITS if text.isascii() != zh]
    both = mixed("剪掉停顿", "然后", "export", "导出") if zh else None
    both = both or mixed("trim the pauses", " and then ", "export", "export")
    upload = Step("upload", text="上传" if zh else "upload", files=("clip.mp4",))
    first = edit("剪掉停顿" if zh else "trim the pauses")  # so that there is something to export
    return Scenario(_QUIET, (upload, first, *_words(zh), *edits, both))


def _faulted(*faults: Fault, steps: tuple[Step, ...] = (Step("say", "credits"),)) -> Scenario:
    return Scenario(_QUIET, steps, faults)


def _code(code: int, style: str, target: str = "credits", mode: str = "anonymous") -> Scenario:
    steps = (_UPLOAD, Step("say", "hello")) if target == "run_sse" else (Step("say", "credits"),)
    server = ServerVariant(error_style=style, silent_rate=0.0, noise_rate=0.0)
    return Scenario(server, steps, (Fault(target, "code", code=code),), mode)  # type: ignore[arg-type]


def _spoken(**server: Any) -> Scenario:
    return Scenario(ServerVariant(silent_rate=0.0, noise_rate=0.0, **server), (_UPLOAD, _EDIT))


#: rule id → the explicit scenarios run before the generated ones.
EXAMPLES: Mapping[str, tuple[Scenario, ...]] = {
    "T2": (_routing(zh=False), _routing(zh=True)),
    "T3": (_routing(zh=False), _routing(zh=True)),
    "S1": tuple(
        _spoken(heartbeat_form=form, heartbeat_interval=2.0, dialect=DIALECTS[i % 2])
        for i, form in enumerate(HEARTBEATS)
    ),
    "S2": tuple(_spoken(dialect=dialect) for dialect in DIALECTS),
    "S8": tuple(_spoken(dialect=dialect, partial_text=True) for dialect in DIALECTS),
    "S9": tuple(_spoken(sse_framing=framing) for framing in SSE_FRAMINGS[1:]),
    "R1": (_faulted(Fault("credits", "status", status=429, retry_after=45.0)),),
    "R2": (_faulted(Fault("render", "status", status=402), steps=_EXPORT),),
    "R3": (
        _code(1001, "code_200"),
        _code(1001, "http_status", "run_sse"),
        _code(1001, "code_200", mode="user"),
    ),
    "R4": (_code(1002, "code_200", "run_sse"), _code(1002, "http_status", "run_sse")),
    "R5": (Scenario(_QUIET, (Step("say", "credits"),), (Fault("token", "status", status=400),)),),
    "R6": (_faulted(Fault("render", "status", status=503), steps=_EXPORT),),
    "R7": (
        _faulted(Fault("run_sse", "drop"), steps=(_UPLOAD, _EDIT)),
        _faulted(Fault("run_sse", "cut", cut_after=1), steps=(_UPLOAD, _EDIT)),
        _faulted(Fault("run_sse", "stall"), steps=(_UPLOAD, _EDIT)),
    ),
    "R8": (
        _faulted(Fault("render", "slow_render"), steps=_EXPORT),
        _faulted(Fault("render", "render_failed"), steps=_EXPORT),
    ),
    "S4": (_faulted(Fault("run_sse", "stall"), steps=(_UPLOAD, _EDIT)),),
    "S7": (_faulted(Fault("run_sse", "cut", cut_after=2), steps=(_UPLOAD, _EDIT)),),
    "S10": (_faulted(Fault("run_sse", "long"), steps=(_UPLOAD, _EDIT)),),
}

_KEYWORD_LABELS = {word: f"keyword:{word}" for words in TABLE_WORDS.values() for word in words}

#: rule id → the variants the rule's scenarios must reach at every profile.
REQUIRED: Mapping[str, frozenset[str]] = {
    "T2": frozenset({*_KEYWORD_LABELS.values(), "edit-with-keyword:en", "edit-with-keyword:zh"}),
    "T3": frozenset({*_KEYWORD_LABELS.values(), "edit-with-keyword:en", "edit-with-keyword:zh"}),
    "S1": frozenset(f"heartbeat:{form}" for form in HEARTBEATS),
    "S2": frozenset(f"dialect:{d}" for d in DIALECTS),
    "S8": frozenset(f"dialect:{d}" for d in DIALECTS),
    "S9": frozenset(f"framing:{f}" for f in SSE_FRAMINGS[1:]),
    "R1": frozenset({"fault:status", "status:429"}),
    "R2": frozenset({"fault:status", "status:402"}),
    "R3": frozenset({"fault:code", "code:1001", "error_style:code_200", "error_style:http_status"}),
    "R4": frozenset({"fault:code", "code:1002", "error_style:code_200", "error_style:http_status"}),
    "R5": frozenset({"fault:status", "status:400"}),
    "R6": frozenset({"fault:status", "status:5xx"}),
    "R7": frozenset({"fault:drop", "fault:cut", "fault:stall"}),
    "R8": frozenset({"fault:render_failed", "fault:slow_render"}),
    "S4": frozenset({"fault:stall"}),
    "S7": frozenset({"fault:cut"}),
    "S10": frozenset({"fault:long"}),
}


def variants_of(scenario: Scenario) -> set[str]:
    """The variants ``scenario`` reaches, as labels (``dialect:simple``, ``fault:cut``,
    ``code:1001``, ``keyword:余额``, ``edit-with-keyword:zh`` …)."""
    server = scenario.server
    out = {
        f"dialect:{server.dialect}",
        f"heartbeat:{server.heartbeat_form}",
        f"framing:{server.sse_framing}",
        f"error_style:{server.error_style}",
    }
    for fault in scenario.faults:
        out.add(f"fault:{fault.kind}")
        if fault.status is not None:
            out.add(f"status:{'5xx' if fault.status >= 500 else fault.status}")
        if fault.code is not None:
            out.add(f"code:{fault.code}")
    for step in scenario.steps:
        if step.op != "say":
            continue
        for action, clause in intent_of(step):
            folded = clause.casefold()
            for word, label in _KEYWORD_LABELS.items():
                if word not in folded:
                    continue
                if action == "message":
                    out.add(f"edit-with-keyword:{'en' if clause.isascii() else 'zh'}")
                elif folded == word:
                    out.add(label)
    return out


T = TypeVar("T", bound=Callable[..., None])


def with_examples(rule_id: str, test: T) -> T:
    """``test`` (a hypothesis ``@given`` test) with ``rule_id``'s explicit scenarios added."""
    for scenario in reversed(EXAMPLES.get(rule_id.upper(), ())):
        test = example(scenario)(test)
    return test
