"""The repository stands alone: nothing in it points at files a clone does not have.

The kit was written beside a folder of working notes (the contract, the design notes) that is not
part of the repository. The contract now lives in ``docs/contract.md``; these tests keep every
tracked text file from sending a reader back to that folder, and every relative link in the
Markdown documents pointing at a file (and heading) that exists.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Spelled in pieces so that this file does not match itself.
_FOLDER = "shared"
FORBIDDEN = (
    "../" + _FOLDER,
    "/work/" + _FOLDER,
    _FOLDER + "/CONTRACT",
    # The notes' own file names: in this repository the contract is docs/contract.md (lower case).
    "CONTRACT" + ".md",
    "DESIGN" + ".md",
    "STYLE" + ".md",
)


def tracked_files() -> list[pathlib.Path]:
    """Every file git tracks in this checkout (skips the test outside a git checkout)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listing = subprocess.run(
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [ROOT / name for name in listing.decode().split("\0") if name]


def text_of(path: pathlib.Path) -> str | None:
    """The file's text, or ``None`` for a binary file (or one deleted but not yet committed)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def outside_references(text: str) -> list[tuple[int, str]]:
    """``(line number, forbidden string)`` for each mention of the working-notes folder."""
    return [
        (number, needle)
        for number, line in enumerate(text.splitlines(), start=1)
        for needle in FORBIDDEN
        if needle in line
    ]


def test_no_tracked_file_points_outside_the_repository() -> None:
    found = []
    for path in tracked_files():
        text = text_of(path)
        if text is not None:
            rel = path.relative_to(ROOT)
            found += [f"{rel}:{line}: {needle}" for line, needle in outside_references(text)]
    assert not found, "point these at docs/contract.md or docs/architecture.md:\n" + "\n".join(
        found
    )


def test_the_scan_sees_the_documents_and_the_code() -> None:
    # An empty listing would make the test above pass without judging anything.
    names = {path.relative_to(ROOT).as_posix() for path in tracked_files()}
    assert {"README.md", "docs/contract.md", "nemokit/_core.py"} <= names


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("see `../" + _FOLDER + "/CONTRACT" + ".md`", "../" + _FOLDER),
        ("# written from " + _FOLDER + "/CONTRACT" + ".md", _FOLDER + "/CONTRACT"),
        ("open /work/" + _FOLDER + "/seed/x.txt", "/work/" + _FOLDER),
        ("the rules of ``CONTRACT" + ".md``", "CONTRACT" + ".md"),
    ],
)
def test_a_planted_reference_is_found(line: str, needle: str) -> None:
    assert (2, needle) in outside_references("fine\n" + line + "\n")


def test_the_contract_document_itself_is_not_a_reference() -> None:
    assert outside_references("the contract is docs/contract.md, see contract.md#headers") == []


# --- relative links in the Markdown documents --------------------------------------------------

_LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def headings_of(document: pathlib.Path) -> set[str]:
    """The anchors of a Markdown file's headings (none for any other file)."""
    if document.suffix != ".md":
        return set()
    text = document.read_text(encoding="utf-8")
    return {github_anchor(match) for match in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M)}


def broken_links(document: pathlib.Path) -> list[str]:
    """The relative links of ``document`` whose file, or heading, does not exist."""
    broken = []
    text = document.read_text(encoding="utf-8")
    for target in _LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        file = (document.parent / path).resolve() if path else document
        if not file.exists() or (anchor and anchor not in headings_of(file)):
            broken.append(target)
    return broken


def test_relative_links_in_the_documents_resolve() -> None:
    documents = [path for path in tracked_files() if path.suffix == ".md" and path.exists()]
    found = {str(doc.relative_to(ROOT)): links for doc in documents if (links := broken_links(doc))}
    assert not found


def test_a_broken_link_is_found(tmp_path: pathlib.Path) -> None:
    (tmp_path / "other.md").write_text("# The turn: `POST /run_sse`\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[ok](other.md#the-turn-post-run_sse) [web](https://example.org/x) [self](#top)\n"
        "# Top\n[gone](missing.md) [no heading](other.md#nowhere)\n",
        encoding="utf-8",
    )
    assert broken_links(doc) == ["missing.md", "other.md#nowhere"]
