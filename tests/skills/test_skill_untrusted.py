"""The document is untrusted: nothing in it runs, no file it names is read, hostile input ends
in a clear report or a clear error."""

from __future__ import annotations

import builtins
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _skill_docs import ATTR, AUTH, FRONT, bash, found

from conformance.skills import (
    Severity,
    SkillDocumentError,
    check_document,
    check_path,
    check_text,
    parse_document,
)
from conformance.skills._extract import MAX_STEPS
from conformance.skills._run import MAX_CALLS
from mockserver import tiny_mp4

HOSTILE_SHELL = bash(
    "rm -rf / --no-preserve-root",
    "X=$(python -c \"import os; os.system('touch /tmp/pwned')\")",
    f'curl -s "$API/api/credits/balance/simple" {AUTH} {ATTR} -o /etc/passwd',
    "curl -s file:///etc/passwd",
    f'curl -s "$API/api/credits/balance/simple" {AUTH} {ATTR} | sh',
)


def test_no_program_is_ever_started(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the checker tried to run a program: {args!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(os, "execvp", refuse)
    report = check_text(FRONT + HOSTILE_SHELL)
    reasons = {f.message for f in report.findings if f.rule.value == "not-checked"}
    assert any("`rm` is not curl" in r for r in reasons)
    assert any("command substitution is not run" in r for r in reasons)
    assert any("`sh` is not curl" in r for r in reasons)
    assert (9, "error", "unknown-host") in found(report)  # file:// is not the API


def test_an_upload_sends_a_generated_clip_and_never_opens_the_named_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "holiday.mov"
    secret.write_bytes(b"TOP SECRET BYTES")
    text = FRONT + bash(
        f'curl -s -X POST "$API/api/upload-video/nemo_agent/me/$SID" {AUTH} {ATTR} '
        f"-F files=@{secret}"
    )
    document = parse_document(text)
    opened: list[str] = []
    real_open = builtins.open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: spy(self, *a, **k))
    report = check_document(document)
    assert str(secret) not in opened
    assert report.calls[0].status == 200
    assert report.errors == 0


def test_the_generated_clip_keeps_the_documents_file_name() -> None:
    from conformance.skills._bind import Bindings
    from conformance.skills._model import Call, FormField
    from conformance.skills._run import Runner

    call = Call(1, "POST", "/x", "curl", form=[FormField("files", "", "/home/u/My Trip.mov")])
    with Runner(Bindings.initial("t", "1.0.0")) as runner:
        files, data = runner._form(call)
    assert files == [("files", ("My Trip.mov", tiny_mp4(), "application/octet-stream"))]
    assert data == {}


def test_a_10_mb_document_is_refused_with_a_sentence(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_bytes(b"curl https://x\n" * (10 * 1024 * 1024 // 15))
    with pytest.raises(SkillDocumentError, match="larger than 2 MB"):
        check_path(big)


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"# ok\x00\x01\x02", "binary content"), (b"# caf\xe9\n", "not UTF-8")],
)
def test_binary_and_non_utf8_documents_are_refused(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "doc.md"
    path.write_bytes(content)
    with pytest.raises(SkillDocumentError, match=says):
        check_path(path)


def test_deeply_nested_and_invalid_front_matter_ends_in_a_report() -> None:
    nested = "".join(" " * depth + f"k{depth}:\n" for depth in range(3000))
    report = check_text("---\nname: t\n" + nested + "- [ {{ &anchor *alias\n---\nJust prose.\n")
    assert report.findings  # a report, not an exception
    never_closed = check_text("---\n" + "a: [\n" * 10_000)
    assert (1, "warning", "front-matter") in found(never_closed)


def test_ten_thousand_code_blocks_end_in_a_report_that_says_what_was_not_run() -> None:
    block = bash(f'curl -s "$API/api/credits/balance/simple" {AUTH} {ATTR}')
    report = check_text(FRONT + block * 10_000)
    assert len(report.calls) == MAX_STEPS
    ran = [c for c in report.calls if c.status is not None]
    assert len(ran) == MAX_CALLS
    assert all(c.status == 200 for c in ran)
    notes = [f for f in report.findings if f.severity is Severity.NOTE]
    assert any("not run: only the first" in f.message for f in notes)
    assert any(f"more than {MAX_STEPS} calls" in f.message for f in notes)
    assert len(report.findings) < 200  # notes beyond the cap are summed up
