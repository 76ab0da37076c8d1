"""The intent router on its labelled corpus (``tests/data/routing_corpus.tsv``).

Every example the contract and the guide give is routed as meant; the whole corpus at least 98%
(the accuracy is printed, and ``python -m bench.routing`` reports it with the time per phrase).
"""

from __future__ import annotations

import pathlib

import pytest

from bench.routing import CORPUS, TARGET, Labelled, load_corpus, routes_of

ITEMS = load_corpus()
CONTRACT = [item for item in ITEMS if item.source in ("contract", "guide", "issue")]


def test_the_corpus_is_big_and_covers_both_languages_and_mixed_clauses() -> None:
    assert len(ITEMS) >= 200
    assert len({item.phrase for item in ITEMS}) == len(ITEMS), "a phrase is labelled twice"
    for lang in ("en", "zh"):
        mine = [item for item in ITEMS if item.lang == lang]
        assert any(item.routes == ("message",) for item in mine)
        assert any("message" not in item.routes for item in mine)
        assert any(len(item.routes) > 1 and "message" in item.routes for item in mine)


# The contract's routing table and its paragraph on intent, restated here (not read from the
# corpus) so that dropping one from the corpus fails this test.
CONTRACT_EXAMPLES = (
    "export", "导出", "download", "send me the video", "credits", "积分", "balance", "余额",
    "status", "状态", "show tracks", "upload", "上传", "how many credits do I have",
    "add end credits", "fix the white balance", "add a status bar",
    "download the music from the library",
)  # fmt: skip


def test_every_contract_example_is_in_the_corpus() -> None:
    labelled = {item.phrase for item in ITEMS if item.source == "contract"}
    assert set(CONTRACT_EXAMPLES) <= labelled


@pytest.mark.parametrize("item", CONTRACT, ids=[i.phrase for i in CONTRACT])
def test_contract_guide_and_issue_examples_route_as_meant(item: Labelled) -> None:
    assert routes_of(item.phrase) == item.routes


def test_corpus_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    wrong = [item for item in ITEMS if routes_of(item.phrase) != item.routes]
    accuracy = 1 - len(wrong) / len(ITEMS)
    with capsys.disabled():
        print(f"\nrouting corpus: {accuracy:.1%} of {len(ITEMS)} phrases routed as meant")
    assert accuracy >= TARGET, [(i.phrase, routes_of(i.phrase), i.routes) for i in wrong]


def test_a_bad_corpus_line_is_named(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "corpus.tsv"
    header = CORPUS.read_text(encoding="utf-8").splitlines()
    heading = next(line for line in header if line.startswith("phrase\t"))
    bad.write_text(f"{heading}\nexport\tteleport\ten\tcorpus\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"corpus.tsv:2"):
        load_corpus(bad)
