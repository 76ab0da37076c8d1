"""The intent router on its labelled corpus: accuracy, and time per phrase.

The corpus is ``tests/data/routing_corpus.tsv``: what users type (English and Chinese; requests,
edits, mixed clauses, and every example of the contract's routing table and the guide), each with
the routes nemokit should take, labelled by what the phrase means. A phrase counts as right when
``nemokit.route()`` gives exactly its routes, in order. The baseline, run on the same corpus in
the same process, is the literal reading of the routing table: a phrase holding one of the
table's words anywhere takes that action (what the router did before it routed by intent).

Targets: at least 98% of the corpus right, and every contract example right.

    python -m bench.routing [--quick]
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nemokit._routing import Action, route

from ._common import Result, interleaved, parse_args, table

__all__ = ["CORPUS", "TARGET", "Labelled", "load_corpus", "main", "routes_of", "run", "substring"]

TARGET = 0.98
COMMAND = "python -m bench.routing"
CORPUS = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "routing_corpus.tsv"
_HEADER = ["phrase", "routes", "lang", "source"]
_SOURCES = ("contract", "guide", "issue", "corpus")


@dataclass(frozen=True, slots=True)
class Labelled:
    """One corpus line: the phrase, its intended routes (action names in order), its language
    and where it comes from."""

    phrase: str
    routes: tuple[str, ...]
    lang: str
    source: str
    line: int


def load_corpus(path: pathlib.Path = CORPUS) -> list[Labelled]:
    """The corpus lines (``#`` lines are comments); a bad line raises ``ValueError`` naming it."""
    known = {a.value for a in Action}
    out: list[Labelled] = []
    header_seen = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if not header_seen:
            if cells != _HEADER:
                raise ValueError(f"{path.name}:{number}: the header must be {_HEADER}")
            header_seen = True
            continue
        if len(cells) != len(_HEADER):
            raise ValueError(f"{path.name}:{number}: want 4 tab-separated cells, got {len(cells)}")
        phrase, routes, lang, source = cells
        actions = tuple(routes.split("+"))
        if not set(actions) <= known or lang not in ("en", "zh") or source not in _SOURCES:
            raise ValueError(f"{path.name}:{number}: bad routes, language or source: {raw!r}")
        out.append(Labelled(phrase, actions, lang, source, number))
    return out


def routes_of(phrase: str) -> tuple[str, ...]:
    """What ``nemokit.route()`` does with ``phrase``, as action names in order."""
    return tuple(r.action.value for r in route(phrase))


_LITERAL = {
    Action.EXPORT: re.compile(r"(?<![a-z])(?:export|download|send me the video)(?![a-z])|导出"),
    Action.CREDITS: re.compile(r"(?<![a-z])(?:credits|balance)(?![a-z])|积分|余额"),
    Action.STATE: re.compile(r"(?<![a-z])(?:status|show tracks)(?![a-z])|状态"),
    Action.UPLOAD: re.compile(r"(?<![a-z])upload(?![a-z])|上传"),
}
_SPLIT = re.compile(r"\s*(?:[,;，、；]|\band then\b|\band\b|\bthen\b|然后|再)\s*")


def substring(phrase: str) -> tuple[str, ...]:
    """The baseline: the table's words as substrings, clause by clause."""
    found: set[Action] = set()
    message = False
    for clause in _SPLIT.split(phrase.casefold()):
        hits = {a for a, pattern in _LITERAL.items() if pattern.search(clause)}
        found |= hits
        message = message or (not hits and bool(clause.strip(" .!?。！？")))
    order = [Action.UPLOAD] * (Action.UPLOAD in found) + [Action.MESSAGE] * message
    order += [a for a in (Action.STATE, Action.CREDITS, Action.EXPORT) if a in found]
    return tuple(a.value for a in order)


def _score(
    corpus: Sequence[Labelled], router: Callable[[str], tuple[str, ...]]
) -> tuple[float, list[Labelled]]:
    wrong = [item for item in corpus if router(item.phrase) != item.routes]
    return 1 - len(wrong) / len(corpus), wrong


def run(quick: bool = False) -> Result:
    """Score both routers on the corpus and time them; the headline is the router's accuracy."""
    corpus = load_corpus()
    accuracy, wrong = _score(corpus, routes_of)
    base_accuracy, _ = _score(corpus, substring)
    contract = [item for item in corpus if item.source == "contract"]
    contract_accuracy, _ = _score(contract, routes_of)
    phrases = [item.phrase for item in corpus]

    def all_routed(router: Callable[[str], object]) -> Callable[[], None]:
        def go() -> None:
            for phrase in phrases:
                router(phrase)

        return go

    calls, rounds = (2, 2) if quick else (20, 5)
    best = interleaved(
        {"router": all_routed(route), "substring": all_routed(substring)},
        calls=calls,
        rounds=rounds,
    )
    per_phrase = {name: seconds / len(phrases) * 1e6 for name, seconds in best.items()}
    rows: list[list[object]] = []
    for name, subset in _subsets(corpus):
        rows.append(
            [
                name,
                len(subset),
                f"{_score(subset, routes_of)[0]:.1%}",
                f"{_score(subset, substring)[0]:.1%}",
            ]
        )
    speed = [f"{per_phrase[name]:.1f}" for name in ("router", "substring")]
    rows.append(["µs per phrase (best round)", "", *speed])
    met = accuracy >= TARGET and contract_accuracy == 1.0
    notes = [
        f"{len(corpus)} phrases ({sum(i.lang == 'zh' for i in corpus)} Chinese); "
        f"{rounds} interleaved rounds of {calls} passes over the corpus",
        f"the literal baseline gets {base_accuracy:.1%}: it answers edits with a client action",
    ]
    notes += [
        f"wrong: {item.phrase!r} (line {item.line}) → {'+'.join(routes_of(item.phrase))}, "
        f"meant {'+'.join(item.routes)}"
        for item in wrong
    ]
    return Result(
        name="Intent routing on the labelled corpus",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(["phrases", "count", "intent router", "substring baseline"], rows),
        headline=(
            f"{accuracy:.1%} of {len(corpus)} phrases routed as meant (target ≥ {TARGET:.0%}), "
            f"contract examples {contract_accuracy:.0%} (target 100%); "
            f"{per_phrase['router']:.0f} µs per phrase"
        ),
        met=met,
        notes=tuple(notes),
    )


def _subsets(corpus: Sequence[Labelled]) -> list[tuple[str, list[Labelled]]]:
    def mixed(item: Labelled) -> bool:
        return len(item.routes) > 1

    return [
        ("all", list(corpus)),
        ("contract and guide examples", [i for i in corpus if i.source in ("contract", "guide")]),
        ("English", [i for i in corpus if i.lang == "en"]),
        ("Chinese", [i for i in corpus if i.lang == "zh"]),
        ("edits only (message)", [i for i in corpus if i.routes == ("message",)]),
        ("requests only", [i for i in corpus if "message" not in i.routes]),
        ("mixed clauses", [i for i in corpus if mixed(i)]),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()
