"""The contract's history as data: the guide's versions and the forms earlier versions documented.

Public skill documents were written from every version of the guide and copied on, so clients in
the wild still use forms the current guide no longer documents. Whether the production API still
accepts them is not published; the kit treats them as *documented earlier forms*: the mock can
answer them as they were documented (``--guide any``) and flags each in its journal, the skill
checker reports them, and the conformance suite fails a client that uses one. All three read the
records below, so the history is written once (``docs/contract.md`` tells it in prose).

A :class:`DeprecatedForm` says what the form is, the last guide version that documented it, and
the current form. :func:`deprecated_forms_of` recognises them in a request (method, path, query,
headers and JSON body), which is all the mock and the checker have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from . import contract

__all__ = [
    "API_KEY_HEADERS",
    "CURRENT_GUIDE",
    "DEPRECATED_FORMS",
    "GUIDE_VERSIONS",
    "NOT_THIS_API",
    "RENDER_DRAFT",
    "RENDER_DRAFT_PATH",
    "RENDER_DRAFT_POLL",
    "RENDER_POLL_BY_ID",
    "SSE_REAL_USER_ID",
    "STATE_BY_USER",
    "TOKEN_LINK",
    "TOKEN_LINK_PATH",
    "UPLOAD_BY_USER",
    "USER_ID_STATE",
    "USER_ID_UPLOAD",
    "DeprecatedForm",
    "ForeignForm",
    "GuideVersion",
    "current_path_of",
    "deprecated_forms_of",
    "foreign_form_of",
    "guide_index",
    "is_guide_version",
]


@dataclass(frozen=True, slots=True)
class GuideVersion:
    """One published version of the guide and what it introduced."""

    version: str
    date: str  # ISO date, or "" when the source gives none
    introduced: str


#: Oldest first. "0.x" stands for every version before 1.0 (and the early Chinese guides).
GUIDE_VERSIONS: Final[tuple[GuideVersion, ...]] = (
    GuideVersion(
        "0.x",
        "",
        "user-id upload and state paths; the real user_id in the SSE body; anonymous tokens "
        "that do not expire, 5 per IP per hour; render by POST /api/render/proxy/draft, polled "
        "at GET /api/render/proxy/{id}; X-API-Key + X-User-Id beside Bearer",
    ),
    GuideVersion("1.0", "2025-02-18", "paths use `me` instead of the user id"),
    GuideVersion("1.1", "2025-02-25", "NEMO_WEB_URL; a browser link after creating a session"),
    GuideVersion("1.2", "2025-03-03", "the browser link also after an export"),
    GuideVersion(
        "1.3", "2025-03-10", 'the SSE body gains "user_id": "me"; keep X-Client-Id per machine'
    ),
    GuideVersion("1.4", "2025-03-18", "the browser link carries the API token (?token=...)"),
    GuideVersion(
        "1.5",
        "2026-03-18",
        "attribution headers on every request (export answers 402 without them); the link "
        "gains skill_name, skill_version, skill_source",
    ),
    GuideVersion(
        "1.7", "2026-03-19", "SKILL_SOURCE no longer read from git remotes; tokens are revocable"
    ),
    GuideVersion("1.9", "", "the claim-token flow: POST /api/auth/claim-token and a clm_ link"),
)
CURRENT_GUIDE: Final = GUIDE_VERSIONS[-1].version
_ORDER: Final = {g.version: i for i, g in enumerate(GUIDE_VERSIONS)}


def is_guide_version(version: str) -> bool:
    return version in _ORDER


def guide_index(version: str) -> int:
    """The position of ``version`` among :data:`GUIDE_VERSIONS` (oldest 0); ``ValueError`` if
    the guide has no such version."""
    try:
        return _ORDER[version]
    except KeyError:
        known = ", ".join(_ORDER)
        raise ValueError(f"no guide version {version!r}; known versions: {known}") from None


@dataclass(frozen=True, slots=True)
class DeprecatedForm:
    """A form an earlier guide documented and the current one does not."""

    key: str
    what: str
    since: str  # the first guide version that documented it
    until: str  # the last guide version that documented it
    now: str  # the current form

    @property
    def flag(self) -> str:
        """The journal's ``deprecated`` text: what; documented until guide X; now: current."""
        return f"{self.what}; documented until guide {self.until}; now: {self.now}"

    def documented_in(self, version: str) -> bool:
        """Whether guide ``version`` documented this form."""
        return guide_index(self.since) <= guide_index(version) <= guide_index(self.until)


USER_ID_UPLOAD = DeprecatedForm(
    "user-id-upload-path",
    "the user id in the upload path (/api/upload-video/nemo_agent/{user_id}/{sid})",
    "0.x",
    "0.x",
    f"POST {contract.PATH_UPLOAD}",
)
USER_ID_STATE = DeprecatedForm(
    "user-id-state-path",
    "the user id in the state path (/api/state/nemo_agent/{user_id}/{sid}/latest)",
    "0.x",
    "0.x",
    f"GET {contract.PATH_STATE}",
)
SSE_REAL_USER_ID = DeprecatedForm(
    "sse-real-user-id",
    "the real user_id in the /run_sse body",
    "0.x",
    "0.x",
    '"user_id": "me"',
)
RENDER_DRAFT = DeprecatedForm(
    "render-draft-path",
    "POST /api/render/proxy/draft to render",
    "0.x",
    "0.x",
    f"POST {contract.PATH_RENDER}",
)
RENDER_DRAFT_POLL = DeprecatedForm(
    "render-draft-poll",
    "GET /api/render/proxy/{id} to poll a render",
    "0.x",
    "0.x",
    f"GET {contract.PATH_RENDER_STATUS}",
)
API_KEY_HEADERS = DeprecatedForm(
    "api-key-headers",
    "X-API-Key + X-User-Id headers instead of Bearer",
    "0.x",
    "0.x",
    "Authorization: Bearer <token>",
)
TOKEN_LINK = DeprecatedForm(
    "token-claim-link",
    "the API token in the browser link (/workspace/claim?token=...)",
    "1.4",
    "1.7",
    f"POST {contract.PATH_CLAIM_TOKEN}, then {contract.CLAIM_PATH}",
)

DEPRECATED_FORMS: Final[tuple[DeprecatedForm, ...]] = (
    USER_ID_UPLOAD,
    USER_ID_STATE,
    SSE_REAL_USER_ID,
    RENDER_DRAFT,
    RENDER_DRAFT_POLL,
    API_KEY_HEADERS,
    TOKEN_LINK,
)

# The path shapes, built from the contract's own templates so they cannot drift from it.
UPLOAD_BY_USER: Final = re.compile(r"/api/upload-video/nemo_agent/(?P<user>[^/]+)/(?P<sid>[^/]+)")
STATE_BY_USER: Final = re.compile(r"/api/state/nemo_agent/(?P<user>[^/]+)/(?P<sid>[^/]+)/latest")
RENDER_DRAFT_PATH: Final = "/api/render/proxy/draft"
RENDER_POLL_BY_ID: Final = re.compile(r"/api/render/proxy/(?P<id>[^/]+)")
TOKEN_LINK_PATH: Final = "/workspace/claim"
_NOT_IDS: Final = frozenset({"me", "lambda", "draft"})


def deprecated_forms_of(
    method: str,
    path: str,
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: Any = None,
) -> list[DeprecatedForm]:
    """The documented earlier forms this request uses (none for a current request).

    ``headers`` are matched case-insensitively; ``body`` is the decoded JSON body, if any.
    """
    found: list[DeprecatedForm] = []
    method = method.upper()
    lowered = {k.lower(): v for k, v in headers.items()} if headers else {}
    # The mock asks this of every request it serves: each pattern runs only for its method.
    upload = UPLOAD_BY_USER.fullmatch(path) if method == "POST" else None
    state = STATE_BY_USER.fullmatch(path) if method == "GET" else None
    if upload and upload["user"] != "me":
        found.append(USER_ID_UPLOAD)
    elif state and state["user"] != "me":
        found.append(USER_ID_STATE)
    elif method == "POST" and path == RENDER_DRAFT_PATH:
        found.append(RENDER_DRAFT)
    elif method == "GET" and (poll := RENDER_POLL_BY_ID.fullmatch(path)):
        if poll["id"] not in _NOT_IDS:
            found.append(RENDER_DRAFT_POLL)
    elif path == TOKEN_LINK_PATH and re.search(r"(?:^|&)token=", query):
        found.append(TOKEN_LINK)
    if path == contract.PATH_RUN_SSE and isinstance(body, dict):
        user = body.get("user_id", body.get("userId"))
        if isinstance(user, str) and user not in ("me", ""):
            found.append(SSE_REAL_USER_ID)
    if "x-api-key" in lowered and "authorization" not in lowered:
        found.append(API_KEY_HEADERS)
    return found


def current_path_of(method: str, path: str) -> str | None:
    """The current path for a documented earlier path (``None`` if ``path`` is not one).

    The user-id paths map to their ``me`` paths whatever user id they name; whether that is the
    caller's own id is for a server to decide.
    """
    method = method.upper()
    if method == "POST" and (upload := UPLOAD_BY_USER.fullmatch(path)) and upload["user"] != "me":
        return contract.PATH_UPLOAD.format(sid=upload["sid"])
    if method == "GET" and (state := STATE_BY_USER.fullmatch(path)) and state["user"] != "me":
        return contract.PATH_STATE.format(sid=state["sid"])
    if method == "POST" and path == RENDER_DRAFT_PATH:
        return contract.PATH_RENDER
    if (
        method == "GET"
        and (poll := RENDER_POLL_BY_ID.fullmatch(path))
        and poll["id"] not in _NOT_IDS
    ):
        return contract.PATH_RENDER_STATUS.format(id=poll["id"])
    return None


@dataclass(frozen=True, slots=True)
class ForeignForm:
    """An endpoint or host that public skill documents cite and that no version of this API has."""

    pattern: re.Pattern[str]
    what: str


#: Matched against ``host + path``.
NOT_THIS_API: Final[tuple[ForeignForm, ...]] = (
    ForeignForm(re.compile(r"/api/v1/generate\b"), "/api/v1/generate"),
    ForeignForm(re.compile(r"^api\.nemovideo\.ai/v1/"), "api.nemovideo.ai/v1/..."),
    ForeignForm(re.compile(r"/v1/shorts/"), "/v1/shorts/..."),
    ForeignForm(
        re.compile(r"^mega-x-api-prod\."),
        "mega-x-api-prod (the official CLI's gateway: WebSocket and API keys, another API)",
    ),
)


def foreign_form_of(host: str, path: str) -> ForeignForm | None:
    """The :data:`NOT_THIS_API` record that ``host`` + ``path`` matches, if any."""
    where = f"{host.lower()}{path}"
    return next((f for f in NOT_THIS_API if f.pattern.search(where)), None)
