"""The dashboard's static files (``mockserver/http/ui/``), served at ``/__admin/ui``.

Plain HTML, one stylesheet and a few ES modules, read from the installed package with
:mod:`importlib.resources` (no build step, no CDN: it works offline). The page itself only reads
and changes the mock through the admin API; see ``docs/mock.md``.
"""

from __future__ import annotations

import re
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

__all__ = ["asset", "index"]

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_NAME = re.compile(r"^[a-z][a-z0-9_-]*\.(html|css|js)$")
#: Only the page's own files; no inline script, nothing from elsewhere.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _read(name: str) -> bytes | None:
    if not _NAME.match(name):
        return None
    file = resources.files("mockserver.http").joinpath("ui").joinpath(name)
    if not file.is_file():
        return None
    return file.read_bytes()


def _serve(name: str) -> Response:
    data = _read(name)
    if data is None:
        return JSONResponse({"error": f"the dashboard has no file {name!r}"}, status_code=404)
    kind = _TYPES["." + name.rsplit(".", 1)[1]]
    return Response(data, media_type=kind, headers=_HEADERS)


async def index(request: Request) -> Response:
    if not request.url.path.endswith("/"):
        # Relative module paths resolve against the directory: /__admin/ui/ is the page.
        return RedirectResponse(request.url.path + "/", status_code=308)
    return _serve("index.html")


async def asset(request: Request) -> Response:
    return _serve(request.path_params["name"])
