"""The documented earlier forms: served when the mock's ``guide`` setting says so, always flagged.

``MockConfig.guide`` is ``"1.9"`` by default (the current contract only, as before), ``"any"``
(every form an earlier guide documented, too), or one guide version (the current contract plus
the forms that version documented). The forms and their history are
:data:`nemokit.history.DEPRECATED_FORMS`; here they are answered as they were documented:

- the user-id upload and state paths are the ``me`` paths, for the token's own user id (another
  user's id is not a path this mock serves: 404);
- ``POST /api/render/proxy/draft`` is the render submit, ``GET /api/render/proxy/{id}`` its poll;
- ``X-API-Key`` + ``X-User-Id`` carry a valid token instead of ``Authorization: Bearer``;
- the real ``user_id`` in a ``/run_sse`` body is accepted (the endpoint never reads it);
- the 1.4 browser link ``/workspace/claim?token=...&task=...&session=...`` opens the session's
  project page when the token is valid.

Whether served or not, every request that uses one is flagged in its journal entry
(``deprecated``), which the conformance suite and the skill checker read. The journal keeps the
request exactly as received; only the scope the endpoints see is rewritten.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.responses import HTMLResponse, Response
from starlette.types import Scope

from nemokit import history

from ..state import JournalEntry
from ._errors import ApiError

if TYPE_CHECKING:
    from ..state import MockState

__all__ = ["GUIDE_CHOICES", "adapt", "flag"]

#: The values of ``MockConfig.guide``.
GUIDE_CHOICES = ("any", *(g.version for g in history.GUIDE_VERSIONS))


_API_KEY = b"x-api-key"


def _serves(guide: str, form: history.DeprecatedForm) -> bool:
    return guide == "any" or form.documented_in(guide)


def flag(entry: JournalEntry) -> None:
    """Note in ``entry`` the documented earlier forms the request used (after its body is read)."""
    # Every request passes here: its headers are decoded only when it carries the one header
    # an earlier form is told by (most carry none; decoding them all was a tenth of a poll).
    keyed = any(name.lower() == _API_KEY for name, _ in entry.raw_headers)
    headers = dict(entry.headers) if keyed else None
    body = entry.body if entry.body_kind == "json" else None
    forms = history.deprecated_forms_of(entry.method, entry.path, entry.query, headers, body)
    if forms:
        entry.deprecated = " | ".join(form.flag for form in forms)


def adapt(guide: str, scope: Scope, state: MockState) -> tuple[Scope, Response | None]:
    """The scope the endpoints should see, or a response the mock gives itself."""
    if guide == history.CURRENT_GUIDE:
        return scope, None
    method, path = scope["method"], scope["path"]
    headers: list[tuple[bytes, bytes]] = list(scope["headers"])
    changed = False
    names = {k.lower() for k, _ in headers}
    if (
        b"x-api-key" in names
        and b"authorization" not in names
        and _serves(guide, history.API_KEY_HEADERS)
    ):
        key = next(v for k, v in headers if k.lower() == b"x-api-key")
        headers.append((b"authorization", b"Bearer " + key.strip()))
        changed = True
    query = scope.get("query_string", b"").decode("latin-1")
    if path == history.TOKEN_LINK_PATH and _serves(guide, history.TOKEN_LINK):
        return scope, _claim_page(state, query)
    new_path = _legacy_path(guide, method, path, headers, state)
    if new_path is None and not changed:
        return scope, None
    adapted = dict(scope)
    adapted["headers"] = headers
    if new_path is not None:
        adapted["path"] = new_path
        adapted["raw_path"] = new_path.encode("latin-1")
    return adapted, None


def _legacy_path(
    guide: str, method: str, path: str, headers: list[tuple[bytes, bytes]], state: MockState
) -> str | None:
    """The current path for a documented earlier path this mock serves, else ``None``."""
    current = history.current_path_of(method, path)
    forms = history.deprecated_forms_of(method, path)
    if current is None or not forms or not _serves(guide, forms[0]):
        return None
    named = history.UPLOAD_BY_USER.fullmatch(path) or history.STATE_BY_USER.fullmatch(path)
    if named is not None and not _own(named["user"], headers, state):
        return None  # another user's id: not a path this mock serves
    return current


def _token_of(headers: list[tuple[bytes, bytes]]) -> str:
    value = next((v for k, v in headers if k.lower() == b"authorization"), b"")
    scheme, _, token = value.decode("latin-1").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _own(user_id: str, headers: list[tuple[bytes, bytes]], state: MockState) -> bool:
    """Whether ``user_id`` is the id of the token's account (the path named the user)."""
    try:
        account = state.authenticate(_token_of(headers))
    except ApiError:
        return True  # let the endpoint refuse the token as it refuses any other (1001)
    return bool(account.user_id == user_id)


def _claim_page(state: MockState, query: str) -> Response:
    """The 1.4 browser link: the project page of ``session`` for a valid ``token``."""
    params = {k: v[0] for k, v in parse_qs(query).items() if v}
    try:
        account = state.authenticate(params.get("token", ""))
        session = state.session_of(account, params.get("session", ""))
    except ApiError as exc:
        return HTMLResponse(f"<p>{html.escape(exc.message)}</p>", status_code=401)
    return HTMLResponse(f"<p>Project {html.escape(session.session_id)} is open in the editor.</p>")
