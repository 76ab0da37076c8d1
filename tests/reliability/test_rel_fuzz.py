"""Property fuzzing of the two parsers that read what others wrote: SSE bytes and cassettes.

- ``SSEDecoder`` with any bytes split anywhere: only ``SSEEvent``/``SSEComment`` come out, the
  split never changes them, and ``interpret`` turns each into turn events without raising.
- The cassette loader with any text, any JSON and mutated real cassettes: a ``Cassette`` or a
  ``CassetteError`` naming the place, never another exception; what loads, saves and reloads
  equal.

Budgets come from the hypothesis profile (``HYPOTHESIS_PROFILE=thorough`` for a deep run).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.cassettes._cassette import CassetteError, dumps_cassette, loads_cassette
from nemokit._events import interpret
from nemokit._sse import SSEComment, SSEDecoder, SSEEvent, decode_all

CASSETTES = sorted((pathlib.Path(__file__).parents[2] / "cassettes").glob("*.json"))

_SSE_ALPHABET = st.sampled_from(
    [
        b"data:",
        b"data: ",
        b"event:",
        b"id:",
        b"retry:",
        b": ping",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b"{",
        b"}",
        b'"type"',
        b'"content"',
        b'"text"',
        b":",
        b" ",
        b"\xff",
        b"\xef\xbb\xbf",
        b"\x00",
        b"\xe2\x82",
        b"\xac",
        b"heartbeat",
        b"[",
        b"]",
        b"123",
    ]
)
sse_bytes = st.one_of(
    st.binary(max_size=2000),
    st.lists(_SSE_ALPHABET, max_size=200).map(b"".join),
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


@given(data=sse_bytes, cuts=st.lists(st.integers(0, 10_000), max_size=20))
def test_sse_decoder_never_crashes_and_ignores_chunking(data: bytes, cuts: list[int]) -> None:
    whole = decode_all([data])
    split = decode_all(_split(data, cuts))
    assert split == whole
    for item in whole:
        assert isinstance(item, (SSEEvent, SSEComment))
        interpret(item)  # never raises, whatever the data


@given(data=sse_bytes)
def test_sse_decoder_feed_after_flush_starts_a_new_stream(data: bytes) -> None:
    decoder = SSEDecoder()
    first = decoder.feed(data) + decoder.flush()
    second = decoder.feed(data) + decoder.flush()
    assert [type(i) for i in first] == [type(i) for i in second]


def test_sse_decoder_is_linear_on_one_huge_line() -> None:
    """A 20 MB line with no line break, fed in 1-byte-free 64 KB chunks, then ended."""
    decoder = SSEDecoder()
    block = b"a" * 65536
    for _ in range(320):
        assert decoder.feed(block) == []
    assert decoder.flush() == []


# --- cassettes --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


def _load(text: str) -> None:
    try:
        cassette = loads_cassette(text, source="fuzz.json")
    except CassetteError as error:
        failure: CassetteError | None = error
    else:
        failure = None
    if failure is not None:
        assert str(failure).startswith("fuzz.json")
        return
    again = loads_cassette(dumps_cassette(cassette), source="again.json")
    assert again == cassette


@given(text=st.text(max_size=500))
def test_any_text_loads_or_is_a_cassette_error(text: str) -> None:
    _load(text)


@given(value=json_values)
def test_any_json_loads_or_is_a_cassette_error(value: Any) -> None:
    _load(json.dumps(value))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _mutated(document: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    if not path:
        return replacement
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = replacement
    return copy


@pytest.mark.skipif(not CASSETTES, reason="no committed cassettes yet")
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 10_000),
    pick=st.integers(0, 10**9),
    replacement=json_values,
    delete=st.booleans(),
)
def test_mutated_real_cassettes_load_or_name_the_place(
    which: int, pick: int, replacement: Any, delete: bool
) -> None:
    document = json.loads(CASSETTES[which % len(CASSETTES)].read_text(encoding="utf-8"))
    paths = _paths(document)
    path = paths[pick % len(paths)]
    _load(json.dumps(_mutated(document, path, replacement, delete and bool(path))))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"version": 1, "interactions": [{"request": ' + "[" * 5000 + "]" * 5000 + "}]}",
        '{"version": 1, "interactions": [], "extra": {"a": NaN}}',
        '{"version": 1, "interactions": [], "extra": {"a": -Infinity}}',
        "\ufeff{}",
        "",
    ],
    ids=["deep array", "deep request", "NaN", "Infinity", "BOM", "empty"],
)
def test_hostile_cassette_texts_are_cassette_errors(text: str) -> None:
    with pytest.raises(CassetteError) as raised:
        loads_cassette(text, source="hostile.json")
    assert str(raised.value).startswith("hostile.json")


def test_truncations_of_every_real_cassette(tmp_path: pathlib.Path) -> None:
    """Every real cassette cut at 50 points: loads or names the file, never another error."""
    count = 0
    for path in CASSETTES:
        text = path.read_text(encoding="utf-8")
        for step in range(1, 51):
            _load(text[: len(text) * step // 51])
            count += 1
    assert count == 50 * len(CASSETTES)
