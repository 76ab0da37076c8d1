"""A generated skill document with planted defects gets exactly the planted findings, at the
planted lines.

The grammar: a front matter, a sentence that puts the headers on every request, then a sequence
of elements, each either a clean form (a curl command, a prose call, an endpoint table, the
contract's own numbers, plain prose) or a form with one known defect. Each element knows its
lines and the one finding its defect must produce.
"""

from __future__ import annotations

from collections.abc import Callable

from _skill_docs import ATTR, AUTH, FRONT, found
from hypothesis import given
from hypothesis import strategies as st

from conformance.skills import check_text

Expected = set[tuple[int, str, str]]
#: An element: given its first line number, its lines and the findings it plants.
Element = Callable[[int], tuple[list[str], Expected]]
HEADER = (
    "Every request carries Authorization: Bearer <NEMO_TOKEN>, X-Skill-Source, "
    "X-Skill-Version and X-Skill-Platform."
)


def _block(command: str, finding: tuple[str, str] | None) -> Element:
    def element(start: int) -> tuple[list[str], Expected]:
        planted = {(start + 1, *finding)} if finding else set()
        return ["```bash", command, "```"], planted

    return element


def _line(text: str, finding: tuple[str, str] | None) -> Element:
    def element(start: int) -> tuple[list[str], Expected]:
        return [text], ({(start, *finding)} if finding else set())

    return element


def _table(start: int) -> tuple[list[str], Expected]:
    return ["| Endpoint | Method |", "|---|---|", "| /api/credits/balance/simple | GET |"], set()


CREDITS = '"$API/api/credits/balance/simple"'
clean = st.sampled_from(
    [
        _block(f"curl -s {CREDITS} {AUTH} {ATTR}", None),
        _line("Then GET `$API/api/credits/balance/simple` for the balance.", None),
        _table,
        _line("Poll the render every 30 s, at most 10 times.", None),
        _line("Tell the user what changed, in one sentence.", None),
    ]
)
defect = st.one_of(
    # the document's own rule puts them on every request: leaving them out is a note
    st.just(_block(f"curl -s {CREDITS} {AUTH}", ("note", "attribution-headers"))),
    st.integers(2, 99).map(
        lambda n: _block(
            f'curl -s "$API/api/v2/thing{n}" {AUTH} {ATTR}', ("error", "unknown-endpoint")
        )
    ),
    st.sampled_from(["example.org", "api.example.com", "nemo.invalid"]).map(
        lambda host: _block(
            f"curl -s https://{host}/api/credits/balance/simple {AUTH} {ATTR}",
            ("error", "unknown-host"),
        )
    ),
    st.just(
        _block(
            f'curl -s "$API/api/state/nemo_agent/$USER_ID/$SID/latest" {AUTH} {ATTR}',
            ("warning", "deprecated-form"),
        )
    ),
    st.sampled_from([5, 10, 15, 60]).map(
        lambda n: _line(f"Poll the render every {n} s.", ("warning", "number"))
    ),
    st.just(_block(f'curl -s "$API/api/credits/balance/simple {AUTH}', ("error", "shell"))),
    st.sampled_from(["echo done", "sleep 30", "jq .data"]).map(
        lambda command: _block(command, ("note", "not-checked"))
    ),
    st.just(
        _block(
            f'curl -s "$API/api/credits/balance/simple?token=$TOKEN" {ATTR}',
            ("error", "token-in-url"),
        )
    ),
    st.integers(2, 99).map(
        lambda n: _line(
            f"GET `$API/api/v2/other{n}` to list things.", ("error", "unknown-endpoint")
        )
    ),
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, Expected]:
    elements = draw(st.lists(st.one_of(clean, defect), min_size=1, max_size=10))
    lines = [*FRONT.splitlines(), HEADER, *_block(f"curl -s {CREDITS} {AUTH} {ATTR}", None)(6)[0]]
    expected: Expected = set()
    for element in elements:
        if draw(st.booleans()):
            lines.append("")
        text, planted = element(len(lines) + 1)
        lines += text
        expected |= planted
    return "\n".join(lines) + "\n", expected


@given(documents())
def test_a_generated_document_gets_exactly_its_planted_findings(
    document: tuple[str, Expected],
) -> None:
    text, expected = document
    report = check_text(text)
    assert found(report) == expected, text
