"""Running a document's calls, in order, against an embedded mock in process.

Nothing leaves the machine: every host the document names is replaced by the mock (a call to a
host that is not the API's is not run at all, and judged), the mock runs in this process behind
an in-process transport, on a virtual clock, so a render polled every 30 s takes no real time.
The run carries what a reader carries: the token from the token call, the session id from the
session call, the render id from the export. A first token, session and upload are made before
the document's calls, as a reader who already has ``NEMO_TOKEN`` would have them, so a document
that starts in the middle still gets judged on its own calls.

An upload names a file (``-F files=@/path/clip.mov``): the checker never opens it and sends a
small generated clip with the same file name instead.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any

import httpx

from mockserver import MockConfig, MockServer, StreamingTransport, tiny_mp4
from nemokit import contract, history
from nemokit._clock import VirtualClock

from ._bind import Bindings
from ._model import Call

__all__ = [
    "API_HOSTS",
    "MAX_CALLS",
    "SIBLING_DOMAINS",
    "WEB_HOSTS",
    "Outcome",
    "Runner",
    "classify_path",
]

#: The hosts that stand for the API (the mock answers for them).
API_HOSTS = frozenset(
    {httpx.URL(contract.DEFAULT_API_URL).host, "127.0.0.1", "localhost", "mock.test"}
)
#: Hosts of the same service that are not the API's address (a development API, say): judged
#: as the wrong host, but still run against the mock so the rest of the call is judged too.
SIBLING_DOMAINS = (".nemovideo.ai", ".nemovideo.com")
WEB_HOSTS = frozenset({httpx.URL(contract.DEFAULT_WEB_URL).host, "www.nemovideo.com"})
#: Calls run per document; the rest are judged without a response.
MAX_CALLS = 200
#: Lines read from one /run_sse stream.
_MAX_STREAM_LINES = 5_000
_BASE = "http://mock.test"


@dataclass(slots=True)
class Outcome:
    """A call as sent (bound) and what the mock answered (``status`` None: not run)."""

    method: str
    host: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any = None  # the JSON body sent, decoded, when there was one
    body_text: str | None = None
    body_is_json: bool = False
    synthesized_body: bool = False
    status: int | None = None
    payload: Any = None
    message: str | None = None
    not_run: str | None = None
    #: The journal's flag for the request (the documented earlier forms it used).
    deprecated: str | None = None
    #: The path as the document writes it (variables unbound), for messages.
    written: str = ""


def written_path(url: str) -> str:
    """``url`` as the document writes it, without its base (``$API``, a host) and query."""
    path = re.sub(r"^(?:https?://[^/\s]+|\$\{[^}]*\}|\$\w+)", "", url).split("?", 1)[0]
    return path or "/"


def classify_path(method: str, path: str) -> str | None:
    """The contract endpoint ``method path`` is, by name, or ``None``."""
    templates = {
        "anonymous_token": ("POST", contract.PATH_ANONYMOUS_TOKEN),
        "session": ("POST", contract.PATH_SESSION),
        "claim": ("POST", contract.PATH_CLAIM_TOKEN),
        "run_sse": ("POST", contract.PATH_RUN_SSE),
        "upload": ("POST", contract.PATH_UPLOAD),
        "credits": ("GET", contract.PATH_CREDITS),
        "state": ("GET", contract.PATH_STATE),
        "render": ("POST", contract.PATH_RENDER),
        "render_cancel": ("POST", contract.PATH_RENDER_CANCEL),
        "render_status": ("GET", contract.PATH_RENDER_STATUS),
        "download": ("GET", contract.PATH_DOWNLOAD),
    }
    for name, (verb, template) in templates.items():
        prefix, _, rest = template.partition("{")
        if rest:
            suffix = rest.partition("}")[2]
            middle = path[len(prefix) : len(path) - len(suffix) if suffix else None]
            if (
                path.startswith(prefix)
                and path.endswith(suffix)
                and middle
                and "/" not in middle
                and middle not in ("me", "lambda")
                and verb == method
            ):
                return name
        elif path == template and verb == method:
            return name
    return None


class Runner:
    """One embedded mock and the values a reader carries through one document."""

    def __init__(self, bindings: Bindings, *, seed: int = 0) -> None:
        self.bindings = bindings
        config = MockConfig(seed=seed, silent_rate=0.0, noise_rate=0.0)
        # The checker's mock answers every documented earlier form, so a deprecated call is
        # judged on what it sends and gets, not on a 404.
        self.server = MockServer(config.replace(guide="any"), VirtualClock())
        self.transport = StreamingTransport(self.server.app)
        self.http = httpx.Client(transport=self.transport, base_url=_BASE, timeout=30.0)
        self.runs = 0

    def close(self) -> None:
        self.http.close()
        self.transport.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what a reader has before the document's first call ---------------------------------

    def bootstrap(self) -> None:
        values = self.bindings.values
        answer = self.http.post(
            contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: values["client_id"]}
        ).json()["data"]
        values["token"], values["user_id"] = answer["token"], answer["user_id"]
        headers = self._canonical_headers(with_token=True)
        session = self.http.post(
            contract.PATH_SESSION, headers=headers, json={"task_name": "project"}
        ).json()["data"]
        values["sid"], values["task_id"] = session["session_id"], session["task_id"]
        self.http.post(
            contract.PATH_UPLOAD.format(sid=values["sid"]),
            headers=headers,
            files={"files": ("clip.mp4", tiny_mp4(), "video/mp4")},
        )
        self._refresh_draft()

    def _refresh_draft(self) -> None:
        values = self.bindings.values
        answer = self.http.get(
            contract.PATH_STATE.format(sid=values["sid"]),
            headers=self._canonical_headers(with_token=True),
        ).json()
        draft = ((answer.get("data") or {}).get("state") or {}).get("draft")
        if isinstance(draft, dict):
            values["draft"] = json.dumps(draft, separators=(",", ":"))

    def _canonical_headers(self, *, with_token: bool) -> dict[str, str]:
        values = self.bindings.values
        headers = {
            contract.HEADER_SKILL_SOURCE: values["skill_name"],
            contract.HEADER_SKILL_VERSION: values["skill_version"],
            contract.HEADER_SKILL_PLATFORM: values["skill_source"],
        }
        if with_token:
            headers[contract.HEADER_AUTHORIZATION] = f"Bearer {values['token']}"
        return headers

    # --- one call ---------------------------------------------------------------------------

    def bind(self, call: Call) -> Outcome:
        """The call as a reader would send it, with the host it names (not yet sent)."""

        def generated(marker: str) -> str:
            return call.generated.get(marker, "x")

        expand = self.bindings.expand
        raw_url = expand(call.url, generated)
        if raw_url.startswith("/"):
            raw_url = contract.DEFAULT_API_URL + raw_url
        try:
            url = httpx.URL(raw_url)
            host = (url.host or "").lower()
            path, query = url.path, url.query.decode("ascii", "replace")
        except (httpx.InvalidURL, ValueError):
            return Outcome(call.method, "", raw_url, "", {}, not_run=f"{raw_url!r} is not a URL")
        headers = {name: expand(value, generated) for name, value in call.headers}
        if not call.literal:
            self._assume_headers(call, headers, path)
        outcome = Outcome(call.method, host, path, query, headers, written=written_path(call.url))
        if call.body is not None:
            outcome.body_text = expand(call.body, generated)
            try:
                outcome.body = json.loads(outcome.body_text)
                outcome.body_is_json = True
            except ValueError:
                outcome.body = None
        elif not call.form and call.source in ("prose", "table"):
            outcome.body = self._contract_body(classify_path(call.method, path))
            outcome.synthesized_body = outcome.body is not None
            outcome.body_is_json = outcome.synthesized_body
        return outcome

    def _assume_headers(self, call: Call, headers: dict[str, str], path: str) -> None:
        """Prose states some headers once for every request: a reader adds them."""
        canonical = {
            **self._canonical_headers(with_token=True),
            contract.HEADER_CLIENT_ID: self.bindings.values["client_id"],
        }
        present = {k.lower() for k in headers}
        for name in call.assumed_headers:
            if name.lower() in present:
                continue
            if name == contract.HEADER_AUTHORIZATION and path == contract.PATH_ANONYMOUS_TOKEN:
                continue
            value = canonical.get(name)
            if value is not None:
                headers[name] = value
        for name, value in list(headers.items()):
            if name.lower() == "authorization" and not value.lower().startswith("bearer "):
                headers[name] = canonical[contract.HEADER_AUTHORIZATION]

    def _contract_body(self, endpoint: str | None) -> Any:
        values = self.bindings.values
        if endpoint == "session":
            return {"task_name": "project"}
        if endpoint == "run_sse":
            return {
                "app_name": contract.APP_NAME,
                "user_id": "me",
                "session_id": values["sid"],
                "new_message": {"parts": [{"text": values["message"]}]},
            }
        if endpoint == "render":
            return {
                "id": f"render_{values['ts']}",
                "sessionId": values["sid"],
                "draft": json.loads(values["draft"]),
            }
        if endpoint == "claim":
            return {"task_id": values.get("task_id", ""), "session_id": values["sid"]}
        return None

    def send(self, call: Call, outcome: Outcome) -> None:
        """Send a bound call to the mock and read its answer into ``outcome``."""
        if self.runs >= MAX_CALLS:
            outcome.not_run = f"only the first {MAX_CALLS} calls of a document are run"
            return
        self.runs += 1
        endpoint = classify_path(outcome.method, outcome.path)
        if endpoint == "render" or outcome.path == "/api/render/proxy/draft":
            self._refresh_draft()
        if endpoint == "render_status" or (
            outcome.method == "GET" and outcome.path.startswith("/api/render/proxy/")
        ):
            self.server.clock.sleep(contract.RENDER_POLL_INTERVAL)  # a reader waits between polls
        request = self._request(call, outcome)
        before = len(self.server.journal)
        try:
            if endpoint == "run_sse":
                self._stream(request, outcome)
            else:
                response = self.http.send(request)
                outcome.status = response.status_code
                self._read(response.content, outcome)
        except httpx.HTTPError as exc:
            outcome.message = f"the connection failed: {exc}"
        last = self.server.journal.last()
        if len(self.server.journal) > before and last is not None and last.deprecated:
            outcome.deprecated = last.deprecated
        self._carry(call, outcome, endpoint)

    def _request(self, call: Call, outcome: Outcome) -> httpx.Request:
        target = outcome.path + (f"?{outcome.query}" if outcome.query else "")
        headers = dict(outcome.headers)
        upload = classify_path("POST", outcome.path) == "upload" or bool(
            history.UPLOAD_BY_USER.fullmatch(outcome.path)
        )
        if call.form or (call.source != "curl" and upload):
            files, data = self._form(call)
            return self.http.build_request(
                outcome.method, target, headers=headers, files=files, data=data
            )
        if outcome.body_is_json:
            return self.http.build_request(
                outcome.method, target, headers=headers, json=outcome.body
            )
        if outcome.body_text is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            return self.http.build_request(
                outcome.method, target, headers=headers, content=outcome.body_text.encode()
            )
        return self.http.build_request(outcome.method, target, headers=headers)

    def _form(self, call: Call) -> tuple[list[tuple[str, Any]], dict[str, str]]:
        files: list[tuple[str, Any]] = []
        data: dict[str, str] = {}
        for part in call.form:
            if part.filename is not None:
                name = posixpath.basename(self.bindings.expand(part.filename)) or "clip"
                if "." not in name:
                    name += ".mp4"  # a placeholder path ("/path/to/file"): a reader's video
                files.append((part.name, (name, tiny_mp4(), "application/octet-stream")))
            else:
                data[part.name] = self.bindings.expand(part.value)
        if not call.form:
            files.append(("files", ("clip.mp4", tiny_mp4(), "video/mp4")))
        return files, data

    def _stream(self, request: httpx.Request, outcome: Outcome) -> None:
        response = self.http.send(request, stream=True)
        try:
            outcome.status = response.status_code
            if "text/event-stream" not in response.headers.get("content-type", ""):
                self._read(response.read(), outcome)
                return
            for count, _ in enumerate(response.iter_lines()):
                if count >= _MAX_STREAM_LINES:
                    break
        finally:
            response.close()

    def _read(self, content: bytes, outcome: Outcome) -> None:
        try:
            payload = json.loads(content) if content else None
        except ValueError:
            payload = None
        outcome.payload = payload
        if isinstance(payload, dict):
            code, success = payload.get("code"), payload.get("success")
            if isinstance(code, int) and code != 0:
                outcome.message = f"code {code}: {payload.get('message') or payload.get('error')}"
            elif success is False:
                outcome.message = str(payload.get("error") or payload.get("message"))
            elif outcome.status is not None and outcome.status >= 400:
                outcome.message = str(payload.get("message") or payload.get("error"))

    def _carry(self, call: Call, outcome: Outcome, endpoint: str | None) -> None:
        """Keep what a reader keeps from the answer."""
        payload = outcome.payload
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or outcome.message:
            return
        values = self.bindings.values
        for key, slot in (
            ("token", "token"),
            ("session_id", "sid"),
            ("task_id", "task_id"),
            ("user_id", "user_id"),
            ("claim_token", "claim_token"),
        ):
            value = data.get(key)
            if isinstance(value, str) and value:
                values[slot] = value
        if endpoint == "render" or outcome.path == "/api/render/proxy/draft":
            render_id = data.get("id")
            if isinstance(render_id, str):
                values["render_id"] = render_id
        for name, path in call.assigns.items():
            value = _at(payload, path)
            if isinstance(value, (str, int, float)):
                self.bindings.variables[name] = str(value)


def _at(payload: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(payload, dict):
            return None
        payload = payload.get(part)
    return payload
