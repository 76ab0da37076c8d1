"""Binding the variables and placeholders a reader of the document would bind.

A skill document writes values a reader fills in: shell variables (``$API``, ``${NEMO_API_URL:-
https://...}``, ``$TOKEN``), angle placeholders (``<sid>``, ``<NEMO_TOKEN>``), brace placeholders
(``{session_id}``) and ``render_<ts>``. Each name maps to a *slot* (the token, the session id, the
render id...) whose value the run carries from the responses, as a reader would. Names the
checker does not know are reported, once each, and bound to a visible stand-in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from nemokit import contract

__all__ = ["SLOT_OF", "Bindings", "slot_of"]

#: Normalised name (lower case, no ``_``/``-``) → slot.
SLOT_OF: dict[str, str] = {
    **dict.fromkeys(
        ("token", "nemotoken", "apitoken", "bearertoken", "accesstoken", "authtoken"), "token"
    ),
    **dict.fromkeys(("sid", "sessionid", "session", "nemosessionid"), "sid"),
    **dict.fromkeys(("taskid", "task", "tid"), "task_id"),
    **dict.fromkeys(("uid", "userid", "user", "nemouserid"), "user_id"),
    **dict.fromkeys(("renderid", "rid", "jobid", "id", "taskidrender"), "render_id"),
    **dict.fromkeys(("claimtoken", "ct", "clm"), "claim_token"),
    **dict.fromkeys(("clientid", "uuid", "nemoclientid", "xclientid", "cid"), "client_id"),
    **dict.fromkeys(("api", "nemoapiurl", "apiurl", "baseurl", "base", "apibase", "host"), "api"),
    **dict.fromkeys(("web", "nemoweburl", "weburl", "webbase"), "web"),
    **dict.fromkeys(("skillname", "name", "skill"), "skill_name"),
    **dict.fromkeys(("skillversion", "version", "ver"), "skill_version"),
    **dict.fromkeys(("skillsource", "platform", "skillplatform", "source"), "skill_source"),
    **dict.fromkeys(("ts", "timestamp", "time", "now", "epoch"), "ts"),
    **dict.fromkeys(("draft", "json", "draftjson", "draftdata", "draftobject"), "draft"),
    **dict.fromkeys(("lang", "language", "locale"), "language"),
    **dict.fromkeys(("message", "msg", "text", "prompt", "usermessage", "input"), "message"),
    **dict.fromkeys(("file", "filepath", "path", "video", "videofile"), "file"),
    **dict.fromkeys(("url", "videourl", "fileurl"), "media_url"),
}

_SHELL_VAR = re.compile(
    r"\$\{(?P<braced>[A-Za-z_]\w*)(?::?-(?P<default>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)
_ANGLE = re.compile(r"<(?P<name>[^<>\s/=\"'][^<>\"'=]{0,40})>")
#: A placeholder written as a phrase ("<the draft from the state>", "<从state获取的draft对象>")
#: names its slot by one of these words.
_KEYWORDS = (
    ("draft", "draft"),
    ("session", "sid"),
    ("task", "task_id"),
    ("user", "user_id"),
    ("claim", "claim_token"),
    ("token", "token"),
    ("timestamp", "ts"),
    ("uuid", "client_id"),
)
_BRACE = re.compile(r"(?<![{\w$])\{(?P<name>[A-Za-z_]\w{0,40})\}(?!\})")


def slot_of(name: str) -> str | None:
    return SLOT_OF.get(name.lower().replace("_", "").replace("-", "").replace(" ", ""))


@dataclass(slots=True)
class Bindings:
    """The slot values a reader carries through the document, and its own variables."""

    values: dict[str, str] = field(default_factory=dict)
    #: Variables the document assigns itself (``API=https://...``), by exact name.
    variables: dict[str, str] = field(default_factory=dict)
    unbound: set[str] = field(default_factory=set)

    @classmethod
    def initial(cls, skill_name: str, skill_version: str) -> Bindings:
        values = {
            "api": contract.DEFAULT_API_URL,
            "web": contract.DEFAULT_WEB_URL,
            "skill_name": skill_name,
            "skill_version": skill_version,
            "skill_source": "unknown",
            "client_id": str(uuid.UUID(int=0x5EED)),
            "language": "en",
            "message": "add a title that says Hello",
            "ts": "1767225600",
            "render_id": "render_1767225600",
            "draft": "{}",
            "file": "clip.mp4",
            "media_url": "https://example.com/clip.mp4",
        }
        return cls(values)

    def value_of(self, name: str) -> str | None:
        if name in self.variables:
            return self.variables[name]
        slot = slot_of(name)
        return self.values.get(slot) if slot else None

    def expand(self, text: str, substitution: Callable[[str], str] | None = None) -> str:
        """``text`` with every variable and placeholder a reader would fill in filled in.

        ``substitution`` gives the value of a ``$(...)`` marker. Unknown names are collected in
        :attr:`unbound` and left as they are.
        """

        def shell(match: re.Match[str]) -> str:
            name = match["braced"] or match["bare"]
            if name in self.variables:
                return self.variables[name]
            if match["default"] is not None:
                # A reader without the variable set gets the default: judge what it names.
                return self.expand(match["default"], substitution)
            value = self.value_of(name)
            if value is not None:
                return value
            self.unbound.add("$" + name)
            return match.group(0)

        def placeholder(match: re.Match[str]) -> str:
            value = self.value_of(match["name"])
            if value is None:
                name = match["name"].lower()
                slot = next((slot for word, slot in _KEYWORDS if word in name), None)
                value = self.values.get(slot) if slot else None
            return value if value is not None else match.group(0)

        text = _SHELL_VAR.sub(shell, text)
        if substitution is not None:
            text = re.sub(r"__nemokit_subst_\d+__", lambda m: substitution(m.group(0)), text)
        text = _ANGLE.sub(placeholder, text)
        return _BRACE.sub(placeholder, text)
