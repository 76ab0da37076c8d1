"""Calls stated in prose and tables, in their common forms.

- "POST to ``URL`` with header X-Client-Id: <uuid> and body ``{...}``"
- "GET ``$API/path``", and numbered endpoint lists ("1. ``POST /api/...`` — ...")
- table rows with a path cell and a method cell (``| /api/... | POST | ... Body: {...} |``)
- links a reader opens (``$WEB/workspace/claim?...``): judged for a token in the URL

Headers that the document says go on *every request* are collected once
(:func:`document_headers`) and assumed on every prose call.
"""

from __future__ import annotations

import re

from ._model import Call

__all__ = ["calls_in_line", "document_headers", "links_in_line"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_URL = r"(?:https?://|\$\{?[A-Za-z_]|/)(?:[^\s`'\"<>|),\]]|<[^>\s]{1,40}>)*"
_METHOD_URL = re.compile(
    r"(?<![\w/])(?P<method>GET|POST|PUT|PATCH|DELETE)\b(?:\s+(?:request\s+)?(?:to|on|at)\b)?"
    r"[\s:]+`?(?P<url>" + _URL + ")"
)
_LINK = re.compile(
    r"(?P<url>(?:https?://|\$\{?[A-Za-z_]\w*\}?)[^\s`'\"<>)\]]*/workspace/[^\s`'\"<>)\]?]*\?"
    r"(?:[^\s`'\")\]<>]|<[^>\s]{1,40}>)*)"
)
_HEADER_NAME = re.compile(r"\b(X-[A-Z][A-Za-z-]*[A-Za-z]|Authorization)\b")
_WITH_HEADER = re.compile(
    r"\bheaders?\s+`?(?P<name>[A-Za-z][A-Za-z-]*[A-Za-z])(?::\s*`?(?P<value><[^>]+>|[^\s`,]+))?"
)
_EVERY = re.compile(r"\b(?:every|all|each)\s+(?:api\s+)?(?:requests?|calls?)\b", re.I)
_BODY = re.compile(r"\bbody\b[^{]{0,12}\{", re.I)


def _trim(url: str) -> str:
    return url.rstrip(".,:;")


def _body_after(text: str) -> str | None:
    match = _BODY.search(text)
    if match is None:
        return None
    start = match.end() - 1
    depth, quote, index = 0, False, start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == '"':
                quote = False
        elif char == '"':
            quote = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
        index += 1
    return None


def _headers_named(text: str) -> list[tuple[str, str]]:
    headers = [(m["name"], m["value"] or "") for m in _WITH_HEADER.finditer(text)]
    if re.search(r"\bBearer\b", text) and not any(n == "Authorization" for n, _ in headers):
        headers.append(("Authorization", "Bearer <NEMO_TOKEN>"))
    return [(n, v) for n, v in headers if n.lower() != "and"]


def calls_in_line(number: int, text: str) -> list[Call]:
    """The calls one prose or table line states."""
    cells = [c.strip().strip("`").strip() for c in text.strip().strip("|").split("|")]
    if len(cells) >= 2 and not set(text.strip()) <= set("|-: "):
        method = next((c for c in cells if c in _METHODS), None)
        path = next((c for c in cells if re.fullmatch(_URL, c)), None)
        if method and path:
            call = Call(number, method, _trim(path), "table", text=text)
            call.body = _body_after(text)
            call.headers = _headers_named(text)
            return [call]
    calls = []
    for match in _METHOD_URL.finditer(text):
        rest = text[match.end() :]
        following = _METHOD_URL.search(rest)
        scope = rest[: following.start()] if following else rest
        call = Call(number, match["method"], _trim(match["url"]), "prose", text=text)
        call.body = _body_after(scope)
        call.headers = _headers_named(scope)
        calls.append(call)
    return calls


def links_in_line(number: int, text: str) -> list[Call]:
    """Browser links into the web app's workspace (claim and task pages) a reader opens."""
    return [Call(number, "GET", _trim(m["url"]), "link", text=text) for m in _LINK.finditer(text)]


def document_headers(lines: list[str], start: int) -> list[str]:
    """Header names the document says go on every request (lines from index ``start``)."""
    names: list[str] = []
    for index in range(start, len(lines)):
        if not _EVERY.search(lines[index][:4000]):
            continue
        window = lines[index : index + 7]
        for line in window:
            for name in _HEADER_NAME.findall(line):
                if name not in names:
                    names.append(name)
        if "bearer" in " ".join(window).lower() and "Authorization" not in names:
            names.append("Authorization")
    return names
