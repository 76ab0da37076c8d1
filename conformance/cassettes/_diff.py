"""Drift between two recordings of the same flow (a real API's and the mock's, say).

Interactions are paired in order and compared with ``cassettes verify``'s own comparison
(:func:`conformance.cassettes._verify._compare`): status, contract code, JSON shape, body kind, the SSE
event sequence with heartbeats collapsed, and cuts. The second recording plays the part of the
live answer, and the words are changed to match: ``200 in A, 404 in B``. Pairs whose requests
differ (another method or path, ids and secrets aside) are reported as such, and so is a
different number of interactions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._cassette import BinaryBody, Cassette, Interaction, JsonBody, MultipartBody, TextBody
from ._match import _generic
from ._verify import Difference, _code, _compare, _Live, event_kinds, json_shape

__all__ = ["diff_cassettes"]

#: Server-made ids in a path (19-digit session ids, task ids): not drift between two servers.
_PATH_ID = re.compile(r"(?<=/)(\d{6,}|task_[A-Za-z0-9_\-]+)(?=/|$)")


def diff_cassettes(a: Cassette, b: Cassette, *, file_a: str = "A", file_b: str = "B"
                   ) -> list[Difference]:  # fmt: skip
    """Every difference between two recordings, named against ``file_a``'s interactions."""
    found: list[Difference] = []
    for index, (x, y) in enumerate(zip(a.interactions, b.interactions, strict=False)):
        found.extend(_pair(file_a, index, x, y))
    if len(a.interactions) != len(b.interactions):
        longer, other = (a, file_b) if len(a.interactions) > len(b.interactions) else (b, file_a)
        index = min(len(a.interactions), len(b.interactions))
        extra = longer.interactions[index].request
        found.append(Difference(
            file_a, index, f"{extra.method} {extra.path}", "interactions",
            f"{len(a.interactions)} in A, {len(b.interactions)} in B ({other} ends here)",
        ))  # fmt: skip
    return found


def _pair(source: str, index: int, x: Interaction, y: Interaction) -> Iterator[Difference]:
    name = f"{x.request.method} {x.request.path}"
    if _route(x) != _route(y):
        detail = f"{' '.join(_route(x))} in A, {' '.join(_route(y))} in B"
        yield Difference(source, index, name, "request", detail)
        return
    for aspect, text in _compare(x.response, _as_live(y)):
        yield Difference(source, index, name, aspect, _in_a_and_b(text))


def _route(interaction: Interaction) -> tuple[str, str]:
    request = interaction.request
    return request.method.upper(), _PATH_ID.sub("<ID>", _generic(request.path))


def _as_live(interaction: Interaction) -> _Live:
    """A recorded response in the form verify gives a live one."""
    response = interaction.response
    status, cut = response.status, response.cut
    if response.events is not None:
        kinds = event_kinds([event.raw for event in response.events])
        return _Live(status, None, "stream", None, kinds, cut, None)
    body = response.body
    if isinstance(body, JsonBody):
        return _Live(status, _code(body.value), "json", json_shape(body.value), None, cut,
                     body.value)  # fmt: skip
    kind = {TextBody: "text", BinaryBody: "binary", MultipartBody: "multipart"}.get(
        type(body), "empty"
    )
    return _Live(status, None, kind, None, None, cut, None)


_WORDS = re.compile(r"\b(recorded|live)\b")


def _in_a_and_b(text: str) -> str:
    """verify's phrase with the first recording as A and the second as B."""
    return _WORDS.sub(lambda m: "in A" if m.group(1) == "recorded" else "in B", text)
