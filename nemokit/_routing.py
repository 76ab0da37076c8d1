"""What the user typed or sent → what the client does (the contract's routing table).

| user says | action |
|---|---|
| export, 导出, download, send me the video | ``EXPORT`` |
| credits, 积分, balance, 余额 | ``CREDITS`` |
| status, 状态, show tracks | ``STATE`` |
| upload, 上传, or sends a file | ``UPLOAD`` |
| anything else | ``MESSAGE`` (one ``/run_sse`` turn) |

The rules this module settles, since the table does not:

- English keywords match whole words, case-insensitively (after NFKC and case folding): "Export"
  and "re-export" route, "exported", "exports", "downloadable" and "credit" do not. A word is a
  keyword wherever it stands, so "status quo" routes to ``STATE``, "roll the credits" and "white
  balance" to ``CREDITS``, and "don't export" to ``EXPORT``: the contract forbids sending those
  words to the backend, so the client errs on its own side. Chinese keywords match as substrings.
  "show tracks" also matches "show the tracks" and "show me the tracks".
- A request is cut into clauses at ``, ; 、 ，；``, sentence ends, new lines, "and", "then", "and
  then", "然后", "并且" and "再". Every clause holding a keyword belongs to the client and is cut
  out of the message whole; the other clauses stay verbatim with the separators that stood
  between them, so the backend never sees "export" or "credits". A clause left over that is only
  politeness ("please", "thanks", "好的") is dropped with them.
- Routes come in the order the client runs them: ``UPLOAD`` (attachments and the links in an
  upload clause), ``MESSAGE``, then ``STATE``, ``CREDITS`` and ``EXPORT`` last, each at most once.
"""

from __future__ import annotations

import enum
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["KEYWORDS", "Action", "Route", "route"]


class Action(str, enum.Enum):
    """What the client does with (part of) what the user said."""

    EXPORT = "export"
    CREDITS = "credits"
    STATE = "state"
    UPLOAD = "upload"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Route:
    """One step: ``text`` is the message of ``MESSAGE``, ``files`` the paths/URLs of ``UPLOAD``."""

    action: Action
    text: str = ""
    files: tuple[str, ...] = ()


#: The routing table's keywords (English whole words or phrases; Chinese substrings).
KEYWORDS: Final[dict[Action, tuple[str, ...]]] = {
    Action.EXPORT: ("export", "download", "send me the video", "导出"),
    Action.CREDITS: ("credits", "balance", "积分", "余额"),
    Action.STATE: ("status", "show tracks", "状态"),
    Action.UPLOAD: ("upload", "上传"),
}

#: Client actions in the order they run after the message.
_AFTER_MESSAGE = (Action.STATE, Action.CREDITS, Action.EXPORT)


def _pattern(keyword: str) -> str:
    if not keyword.isascii():
        return re.escape(keyword)
    words = keyword.split()
    if words == ["show", "tracks"]:
        words = ["show(?:\\s+me)?(?:\\s+the)?", "tracks"]
    return r"(?<![a-z])" + r"\s+".join(words) + r"(?![a-z])"


_MATCHERS: Final = {
    action: re.compile("|".join(_pattern(k) for k in keywords))
    for action, keywords in KEYWORDS.items()
}

_PHRASES: Final = re.compile(
    "|".join(_pattern(k) for ks in KEYWORDS.values() for k in ks if " " in k), re.IGNORECASE
)
# Separators are kept so that the clauses left for the message are joined as they were written.
_SEPARATOR: Final = re.compile(
    r"(?:\s*(?:[,;，、；\n]|[.!?](?=\s|$)|[。！？])\s*(?:(?:and\s+then|and|then)\b\s*)?"
    r"|\s+(?:and\s+then|and|then|&)\s+"
    r"|\s*(?:然后|并且|再)\s*)",
    re.IGNORECASE,
)
_URL: Final = re.compile(r"https?://[^\s,，;；]+", re.IGNORECASE)
_FILLER: Final = frozenset(
    {"please", "pls", "ok", "okay", "now", "thanks", "thank", "you", "also", "so", "yes"}
    | {"great", "cool", "好的", "好", "请", "谢谢", "现在"}
)


def _forms(text: str) -> tuple[str, str]:
    """What keywords are matched against: the text case-folded, and also NFKC-folded (so that
    "ＥＸＰＯＲＴ" routes); a keyword in either form counts."""
    return text.casefold(), unicodedata.normalize("NFKC", text).casefold()


def _actions_in(clause: str) -> list[Action]:
    forms = _forms(clause)
    return [a for a, matcher in _MATCHERS.items() if any(map(matcher.search, forms))]


def _is_filler(clause: str) -> bool:
    words = re.findall(r"\w+", _forms(clause)[1])
    return all(word in _FILLER for word in words)


def _attachments(attachments: Sequence[str] | str) -> tuple[str, ...]:
    # A lone string is one attachment, not a sequence of one-letter paths.
    items: Iterable[object] = (attachments,) if isinstance(attachments, str) else attachments
    files = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"attachments must be file paths or URLs, got {type(item).__name__}")
        path = os.fspath(item)
        if not isinstance(path, str):
            raise TypeError("attachments must be text paths, got a bytes path")
        if path.strip():
            files.append(path)
    return tuple(files)


def _links(clause: str) -> list[str]:
    """The links in an upload clause ("upload https://…/a.mp4"): the API uploads them by URL."""
    return [url.rstrip(".)!?") for url in _URL.findall(clause)]


def _split(text: str) -> tuple[list[str], list[str]]:
    """Clauses and the separators between them (``len(separators) == len(clauses) - 1``).

    A separator inside a keyword phrase ("send me⏎the video") does not split it."""
    phrases = [m.span() for m in _PHRASES.finditer(text)]
    clauses, separators, last = [], [], 0
    for sep in _SEPARATOR.finditer(text):
        if any(start < sep.end() and sep.start() < end for start, end in phrases):
            continue
        clauses.append(text[last : sep.start()])
        separators.append(sep.group())
        last = sep.end()
    clauses.append(text[last:])
    return clauses, separators


def _join(clauses: list[str], separators: list[str], kept: list[int]) -> str:
    """The kept clauses, each after the separator that stood before it."""
    message = "".join((separators[i - 1] if n else "") + clauses[i] for n, i in enumerate(kept))
    if _actions_in(message):
        # Dropping a clause brought two halves of a phrase together ("send me⏎…⏎the video"):
        # a separator without whitespace keeps them apart.
        message = "; ".join(clauses[i].strip() for i in kept)
    return message.strip()


def route(text: str, attachments: Sequence[str] = ()) -> tuple[Route, ...]:
    """The steps for what the user typed and sent; ``()`` when there is nothing to do."""
    if not isinstance(text, str):
        raise TypeError(f"route() takes the user's text as a str, got {type(text).__name__}")
    files = list(_attachments(attachments))
    clauses, separators = _split(text)
    found: set[Action] = set()
    kept: list[int] = []
    for index, clause in enumerate(clauses):
        actions = _actions_in(clause)
        found.update(actions)
        if Action.UPLOAD in actions:
            files += _links(clause)
        if not actions and clause.strip():
            kept.append(index)
    if found:
        kept = [i for i in kept if not _is_filler(clauses[i])]
        message = _join(clauses, separators, kept)
    else:
        message = text.strip()
    files = list(dict.fromkeys(files))
    routes = []
    if files or Action.UPLOAD in found:
        routes.append(Route(Action.UPLOAD, files=tuple(files)))
    if message:
        routes.append(Route(Action.MESSAGE, message))
    routes += (Route(action) for action in _AFTER_MESSAGE if action in found)
    return tuple(routes)
