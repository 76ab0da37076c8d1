"""The document's own numbers against the contract's: waits, limits, formats, error codes.

Each check reads sentences in their common wordings ("poll every 10 s", "at most 30 times",
"429 — wait 60s", "Every 2 min: Still working", "5 tokens per IP per hour", "Accepted file
types: ...", an error-code table). A number it cannot find is not a finding; a number that
differs from the contract is a warning naming both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nemokit import contract

from ._model import Finding, Rule, Severity

__all__ = ["judge_numbers"]

#: Sentences are read up to this many characters (a longer line is not a sentence a person wrote).
_LINE_CAP = 4000
_UNIT = r"(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b"
_POLL_EVERY = re.compile(
    r"\bpoll\w*\b[^.\n]{0,60}?\bevery\s+(?P<n>\d+(?:\.\d+)?)\s*"
    + _UNIT
    + r"|\bevery\s+(?P<n2>\d+(?:\.\d+)?)\s*(?P<unit2>s|secs?|seconds?|m|mins?|minutes?)\b"
    r"[^.\n]{0,40}\bpoll",
    re.I,
)
_POLL_COUNT = re.compile(
    r"\b(?:at most|max(?:imum)?(?: of)?|up to|no more than)\s+(?P<n>\d+)\s+"
    r"(?:polls|times|attempts|tries|checks|requests)\b",
    re.I,
)
_TIMEOUT = re.compile(r"\btime-?out\b\s*:?\s*(?:of\s+)?(?P<n>\d+(?:\.\d+)?)\s*" + _UNIT, re.I)
_MAX_TIME = re.compile(r"--max-time\s+(?P<n>\d+)|-m\s+(?P<m>\d+)\b")
_RETRY_429 = re.compile(r"\b429\b[^\n]{0,80}?\bwait\s+(?P<n>\d+(?:\.\d+)?)\s*" + _UNIT, re.I)
_STILL_EVERY = re.compile(r"\bevery\s+(?P<n>\d+(?:\.\d+)?)\s*" + _UNIT, re.I)
_PER_IP = re.compile(
    r"(?P<n>\d+)\s+(?:new\s+)?(?:anonymous\s+)?tokens?\s+(?:per|/|each)\s+IP"
    r"(?:\s+(?:per|/|each)\s+(?P<window>hour|day|week|7\s*days|month))?",
    re.I,
)
_NO_EXPIRY = re.compile(r"\b(?:do(?:es)?\s+not|don't|doesn't|never)\s+expire", re.I)
_DAYS = re.compile(r"\b(?P<n>\d+)[- ]day\b", re.I)
_SIZE = re.compile(r"\b(?P<n>\d+)\s*(?P<unit>MB|GB)\b", re.I)
_FORMATS_LINE = re.compile(
    r"\b(?:accepted|supported|allowed)\b[^:\n]{0,30}\b(?:formats?|file types?|types|extensions)",
    re.I,
)
_MEDIA_EXTENSIONS = frozenset(contract.ACCEPTED_EXTENSIONS) | frozenset(
    [
        "jpeg",
        "flac",
        "ogg",
        "heic",
        "heif",
        "tiff",
        "bmp",
        "wmv",
        "flv",
        "m4v",
        "3gp",
        "mpeg",
        "mpg",
        "svg",
        "opus",
    ]
)
_CODE_ENTRY = re.compile(
    r"(?<![\d.,x])(?P<code>[1-9]\d{2,3})(?![\d.,])(?:\s*(?:—|–|:|\|)|\s+--?\s)\s*(?!\d)"
)
_CONTRACT_CODES: dict[int, tuple[str, tuple[str, ...]]] = {
    1001: ("token expired or invalid", ("token", "auth", "expired", "invalid", "unauthori")),
    1002: ("session not found", ("session",)),
    2001: ("out of credits", ("credit", "balance", "quota", "insufficient")),
    4001: ("unsupported file type", ("type", "format", "unsupported", "extension")),
    4002: ("file too large", ("large", "size", "big", "exceed")),
    400: ("X-Client-Id missing", ("client", "header", "bad request")),
    402: ("free plan export blocked", ("plan", "export", "subscription", "tier", "payment")),
    429: ("rate limited", ("rate", "limit", "too many", "throttl")),
}


def _seconds(number: str, unit: str) -> float:
    value = float(number)
    unit = unit.lower()
    if unit.startswith("h"):
        return value * 3600
    if unit.startswith("m"):
        return value * 60
    return value


def _g(value: float) -> str:
    return f"{value:g} s" if value < 120 or value % 60 else f"{value / 60:g} min"


def _warn(line: int, rule: Rule, message: str) -> Finding:
    return Finding(line, Severity.WARNING, rule, message)


def judge_numbers(lines: list[str], start: int) -> list[Finding]:
    findings: list[Finding] = []
    for index in range(start, len(lines)):
        findings += list(_line_numbers(index + 1, lines[index].strip()[:_LINE_CAP]))
    findings += _error_codes(lines, start)
    return findings


def _line_numbers(number: int, text: str) -> Iterator[Finding]:
    lower = text.lower()
    for match in _POLL_EVERY.finditer(text):
        seconds = _seconds(match["n"] or match["n2"], match["unit"] or match["unit2"])
        if seconds != contract.RENDER_POLL_INTERVAL:
            yield _warn(
                number,
                Rule.NUMBER,
                f"polls every {_g(seconds)}; the contract polls every "
                f"{_g(contract.RENDER_POLL_INTERVAL)}",
            )
    if "poll" in lower or "render" in lower or "status" in lower:
        for match in _POLL_COUNT.finditer(text):
            if int(match["n"]) != contract.MAX_RENDER_POLLS:
                yield _warn(
                    number,
                    Rule.NUMBER,
                    f"at most {match['n']} polls; the contract polls at most "
                    f"{contract.MAX_RENDER_POLLS} times",
                )
    if any(word in lower for word in ("sse", "stream", "turn", "run_sse", "message")):
        for match in _TIMEOUT.finditer(text):
            seconds = _seconds(match["n"], match["unit"])
            if seconds != contract.TURN_LIMIT:
                yield _warn(
                    number,
                    Rule.NUMBER,
                    f"a turn times out after {_g(seconds)}; the contract allows "
                    f"{_g(contract.TURN_LIMIT)}",
                )
    if "run_sse" in text:
        for match in _MAX_TIME.finditer(text):
            seconds = float(match["n"] or match["m"])
            if seconds != contract.TURN_LIMIT:
                yield _warn(
                    number,
                    Rule.NUMBER,
                    f"--max-time {seconds:g} for a turn; the contract allows "
                    f"{contract.TURN_LIMIT:g} s (15 min)",
                )
    for match in _RETRY_429.finditer(text):
        seconds = _seconds(match["n"], match["unit"])
        if seconds != contract.RATE_LIMIT_WAIT:
            yield _warn(
                number,
                Rule.NUMBER,
                f"waits {_g(seconds)} after a 429; the contract waits "
                f"{_g(contract.RATE_LIMIT_WAIT)} (or Retry-After) and retries once",
            )
    if "still working" in lower:
        for match in _STILL_EVERY.finditer(text):
            seconds = _seconds(match["n"], match["unit"])
            if seconds != contract.STILL_WORKING_EVERY:
                yield _warn(
                    number,
                    Rule.NUMBER,
                    f'"Still working" every {_g(seconds)}; the contract says every '
                    f"{_g(contract.STILL_WORKING_EVERY)} without text",
                )
    for match in _PER_IP.finditer(text):
        window = (match["window"] or "").lower()
        if int(match["n"]) != contract.TOKEN_LIMIT_PER_IP or window in ("hour", "day", "month"):
            per = f" per {window}" if window else ""
            yield _warn(
                number,
                Rule.NUMBER,
                f"{match['n']} tokens per IP{per}; the contract allows "
                f"{contract.TOKEN_LIMIT_PER_IP} new tokens per IP per 7 days",
            )
    if "token" in lower:
        if _NO_EXPIRY.search(text):
            yield _warn(
                number,
                Rule.NUMBER,
                "tokens that do not expire (guide 0.x); the contract's tokens live 7 days",
            )
        for match in _DAYS.finditer(text):
            if int(match["n"]) * 86400 != contract.TOKEN_TTL and "expir" in lower:
                yield _warn(
                    number,
                    Rule.NUMBER,
                    f"a {match['n']}-day token; the contract's tokens live 7 days",
                )
    if any(w in lower for w in ("max file", "file size", "larger than", "too large", "max size")):
        for match in _SIZE.finditer(text):
            size = int(match["n"]) * (1024 if match["unit"].upper() == "GB" else 1)
            if size * 1024 * 1024 != contract.MAX_UPLOAD_BYTES:
                yield _warn(
                    number,
                    Rule.NUMBER,
                    f"a {match['n']} {match['unit']} file limit; the contract's is 500 MB",
                )
    if _FORMATS_LINE.search(text):
        yield from _formats(number, text)


def _formats(number: int, text: str) -> Iterator[Finding]:
    named = {w.lower() for w in re.findall(r"\b[A-Za-z0-9]{2,5}\b", text)} & _MEDIA_EXTENSIONS
    if len(named) < 3:
        return
    accepted = set(contract.ACCEPTED_EXTENSIONS)
    missing, extra = sorted(accepted - named), sorted(named - accepted)
    if extra:
        yield _warn(
            number,
            Rule.ACCEPTED_FORMATS,
            f"lists {', '.join(extra)} as accepted; the API answers 4001 for them",
        )
    if missing:
        yield _warn(
            number,
            Rule.ACCEPTED_FORMATS,
            f"leaves out accepted types: {', '.join(missing)}",
        )


def _error_codes(lines: list[str], start: int) -> list[Finding]:
    entries: list[tuple[int, int, str]] = []
    for index in range(start, len(lines)):
        text = lines[index].strip()[:_LINE_CAP]
        heads = list(_CODE_ENTRY.finditer(text))
        for position, match in enumerate(heads):
            later = [h for h in heads[position + 1 :] if h["code"] != match["code"]]
            end = later[0].start() if later else None
            meaning = text[match.end() : end].split("|", 1)[0][:120]
            entries.append((index + 1, int(match["code"]), meaning.strip()))
    business = {code for _, code, _ in entries if code in _CONTRACT_CODES and code >= 1000}
    if len(business) < 2:
        return []
    findings: list[Finding] = []
    first_line = next(line for line, code, _ in entries if code in business)
    seen: set[int] = set()
    for line, code, meaning in entries:
        if code in seen:
            continue
        seen.add(code)
        if code in _CONTRACT_CODES:
            described, keywords = _CONTRACT_CODES[code]
            if meaning and not any(k in meaning.lower() for k in keywords):
                findings.append(
                    _warn(
                        line,
                        Rule.ERROR_CODES,
                        f"code {code} is described as {meaning[:50]!r}; the contract: {described}",
                    )
                )
        elif code >= 1000 and code < 10000 and not 1900 <= code <= 2100:
            findings.append(_warn(line, Rule.ERROR_CODES, f"code {code} is not a code of this API"))
    missing = sorted(set(_CONTRACT_CODES) - seen)
    if missing:
        findings.append(
            _warn(
                first_line,
                Rule.ERROR_CODES,
                "the error-code table leaves out "
                + ", ".join(f"{c} ({_CONTRACT_CODES[c][0]})" for c in missing),
            )
        )
    return findings
