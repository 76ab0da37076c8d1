"""A curl command's words (already split by :mod:`shlex`) read as the HTTP call they describe.

Only the options that shape a request are read; output options (``-o``, ``-w``...) are skipped
with their argument. ``-d @file`` and ``-F name=@path`` name files: the checker never opens them
(an upload becomes a small generated clip with the same extension, see :mod:`._run`).
"""

from __future__ import annotations

from ._model import Call, FormField

__all__ = ["parse_curl"]

_DATA = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json"}
)
_HEADER = frozenset({"-H", "--header"})
_METHOD = frozenset({"-X", "--request"})
_FORM = frozenset({"-F", "--form", "--form-string"})
_MAX_TIME = frozenset({"-m", "--max-time"})
_URL = frozenset({"--url"})
#: Options that take an argument the checker does not need.
_SKIPPED_WITH_ARG = frozenset(
    {
        "-o",
        "--output",
        "-w",
        "--write-out",
        "-u",
        "--user",
        "-A",
        "--user-agent",
        "-e",
        "--referer",
        "-b",
        "--cookie",
        "-c",
        "--cookie-jar",
        "-T",
        "--upload-file",
        "-x",
        "--proxy",
        "--connect-timeout",
        "--retry",
        "--retry-delay",
        "--retry-max-time",
        "-r",
        "--range",
        "-K",
        "--config",
    }
)
_SHORT_WITH_ARG = frozenset("XHdFmouAebcTxrwK")


def parse_curl(words: list[str], line: int, text: str) -> Call:
    """The call ``curl words...`` makes (``words[0]`` is ``curl``)."""
    call = Call(line=line, method="", url="", source="curl", text=text)
    data: list[str] = []
    get = False
    args = _expand_short_clusters(words[1:])
    index = 0
    while index < len(args):
        word = args[index]
        option, _, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        takes = (
            option in _DATA
            or option in _HEADER
            or option in _METHOD
            or option in _FORM
            or option in _MAX_TIME
            or option in _URL
            or option in _SKIPPED_WITH_ARG
        )
        if takes:
            if inline:
                value = inline
            elif index + 1 < len(args):
                index += 1
                value = args[index]
            else:
                value = ""
            _apply(call, option, value, data)
        elif word in ("-G", "--get"):
            get = True
        elif word == "-I" or word == "--head":
            call.method = "HEAD"
        elif not word.startswith("-") and not call.url:
            call.url = word
        index += 1
    if data:
        call.body = "&".join(data)
    if not call.method:
        call.method = "GET" if get or (not data and not call.form) else "POST"
    return call


def _apply(call: Call, option: str, value: str, data: list[str]) -> None:
    if option in _HEADER:
        name, colon, header_value = value.partition(":")
        if colon:
            call.headers.append((name.strip(), header_value.strip()))
    elif option in _METHOD:
        call.method = value.upper()
    elif option in _DATA:
        data.append(value)
        if option == "--json":
            call.headers.append(("Content-Type", "application/json"))
    elif option in _FORM:
        name, _, field_value = value.partition("=")
        if field_value.startswith("@"):
            path = field_value[1:].split(";", 1)[0]
            call.form.append(FormField(name, "", path))
        else:
            call.form.append(FormField(name, field_value))
    elif option in _MAX_TIME:
        try:
            call.max_time = float(value)
        except ValueError:
            call.max_time = None
    elif option in _URL:
        call.url = value


def _expand_short_clusters(words: list[str]) -> list[str]:
    """``-sSX POST`` → ``-s -S -X POST``; ``-HAccept:x`` → ``-H Accept:x``."""
    out: list[str] = []
    for word in words:
        if len(word) > 2 and word[0] == "-" and word[1] != "-":
            for position, letter in enumerate(word[1:], start=1):
                if letter in _SHORT_WITH_ARG:
                    out.append("-" + letter)
                    rest = word[position + 1 :]
                    if rest:
                        out.append(rest)
                    break
                out.append("-" + letter)
        else:
            out.append(word)
    return out
