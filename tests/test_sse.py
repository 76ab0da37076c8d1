"""The SSE decoder against the WHATWG rules, the API's heartbeat forms and any chunking."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit._sse import SSEComment, SSEDecoder, SSEEvent, SSEItem, decode_all

Decode = Callable[[bytes], list[SSEItem]]


def one_chunk(raw: bytes) -> list[SSEItem]:
    return decode_all([raw])


def byte_by_byte(raw: bytes) -> list[SSEItem]:
    return decode_all([raw[i : i + 1] for i in range(len(raw))])


decoders = pytest.mark.parametrize("decode", [one_chunk, byte_by_byte], ids=["whole", "bytewise"])

# --- the spec's own examples ------------------------------------------------------------------


@decoders
def test_spec_multiline_data(decode: Decode) -> None:
    items = decode(b"data: YHOO\ndata: +2\ndata: 10\n\n")
    assert items == [SSEEvent(data="YHOO\n+2\n10")]


@decoders
def test_spec_four_blocks(decode: Decode) -> None:
    raw = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n\n"
    )
    assert decode(raw) == [
        SSEComment("test stream"),
        SSEEvent(data="first event", id="1"),
        # `id` with no value resets the last event ID to the empty string.
        SSEEvent(data="second event", id=None),
        # Only one space after the colon is stripped.
        SSEEvent(data=" third event", id=None),
    ]


@decoders
def test_spec_empty_data_blocks(decode: Decode) -> None:
    raw = b"data\n\ndata\ndata\n\ndata:"
    # The last block has no blank line after it, so it is discarded.
    assert decode(raw) == [SSEEvent(data=""), SSEEvent(data="\n")]


@decoders
def test_spec_space_after_colon_is_optional(decode: Decode) -> None:
    assert decode(b"data:test\n\ndata: test\n\n") == [SSEEvent(data="test")] * 2


# --- the API's heartbeat forms ----------------------------------------------------------------


def test_heartbeat_json_event() -> None:
    assert one_chunk(b'data: {"type": "heartbeat"}\n\n') == [SSEEvent(data='{"type": "heartbeat"}')]


def test_heartbeat_empty_data_line_is_an_event_with_empty_data() -> None:
    assert one_chunk(b"data:\n\n") == [SSEEvent(data="")]
    assert one_chunk(b"data: \n\n") == [SSEEvent(data="")]


def test_heartbeat_comment_is_surfaced() -> None:
    assert one_chunk(b": ping\n\n") == [SSEComment("ping")]
    assert one_chunk(b":ping\n") == [SSEComment("ping")]
    assert one_chunk(b":\n") == [SSEComment("")]


def test_comment_arrives_before_the_event_it_interrupts() -> None:
    assert one_chunk(b"data: a\n: ping\ndata: b\n\n") == [SSEComment("ping"), SSEEvent(data="a\nb")]


def test_comment_is_emitted_as_soon_as_its_line_ends() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b": pi") == []
    assert decoder.feed(b"ng\r") == [SSEComment("ping")]


# --- httpx-sse issue #35 ----------------------------------------------------------------------


def test_comment_after_event_with_id_dispatches_no_empty_event() -> None:
    raw = (
        b'event: custom\nid: 1\ndata: {"text":"Hello World"}\n\n'
        b": ping\n\n"
        b'event: custom\nid: 2\ndata: {"text":"Goodbye World"}\n\n'
    )
    assert one_chunk(raw) == [
        SSEEvent(event="custom", data='{"text":"Hello World"}', id="1"),
        SSEComment("ping"),
        SSEEvent(event="custom", data='{"text":"Goodbye World"}', id="2"),
    ]


def test_blank_lines_alone_dispatch_nothing() -> None:
    assert one_chunk(b"id: 7\ndata: x\n\n\n\n\r\n\r") == [SSEEvent(data="x", id="7")]


def test_event_field_without_data_dispatches_nothing_and_is_forgotten() -> None:
    assert one_chunk(b"event: lost\n\ndata: x\n\n") == [SSEEvent(data="x")]


# --- line endings and encoding ----------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_ending(eol: bytes) -> None:
    raw = eol.join([b"event: e", b"data: a", b"data: b", b"", b": c", b""])
    assert one_chunk(raw) == [SSEEvent(event="e", data="a\nb"), SSEComment("c")]


def test_mixed_line_endings() -> None:
    assert one_chunk(b"data: a\rdata: b\r\ndata: c\n\r\n") == [SSEEvent(data="a\nb\nc")]


def test_crlf_split_across_chunks_is_one_line_break() -> None:
    assert decode_all([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]) == [SSEEvent(data="a\nb")]


def test_cr_then_cr_is_two_line_breaks() -> None:
    assert decode_all([b"data: a\r", b"\r"]) == [SSEEvent(data="a")]


def test_cr_at_chunk_end_ends_the_line_at_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\r") == [SSEEvent(data="a")]
    # The LF after that CR is a line break of its own: a blank line, which dispatches nothing.
    assert decoder.feed(b"\n") == []


def test_multibyte_characters_split_across_chunks() -> None:
    raw = "data: 导出 ⏳ 🎬\n\n".encode()
    assert byte_by_byte(raw) == [SSEEvent(data="导出 ⏳ 🎬")]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert byte_by_byte(b"data: a\xffb\xe5\xaf\n\n") == [SSEEvent(data="a\ufffdb\ufffd")]


def test_truncated_multibyte_character_at_end_of_stream() -> None:
    assert one_chunk(b": a\xe5\xaf") == [SSEComment("a\ufffd")]


def test_leading_bom_is_stripped_once() -> None:
    bom = "\ufeff".encode()
    assert one_chunk(bom + b"data: x\n\n") == [SSEEvent(data="x")]
    assert byte_by_byte(bom + b"data: x\n\n") == [SSEEvent(data="x")]
    # A second BOM is part of the first field's name, which is then unknown and ignored.
    assert one_chunk(bom + bom + b"data: x\n\ndata: y\n\n") == [SSEEvent(data="y")]


def test_bom_later_in_the_stream_is_kept() -> None:
    assert one_chunk(b"data: \xef\xbb\xbfx\n\n") == [SSEEvent(data="\ufeffx")]


# --- fields -----------------------------------------------------------------------------------


def test_line_without_colon_is_a_field_with_empty_value() -> None:
    assert one_chunk(b"data\ndata\n\n") == [SSEEvent(data="\n")]


def test_only_the_first_colon_splits_and_one_space_is_stripped() -> None:
    assert one_chunk(b"data:  a: b:c \n\n") == [SSEEvent(data=" a: b:c ")]


def test_field_names_are_case_sensitive_and_unknown_fields_ignored() -> None:
    assert one_chunk(b"Data: no\nfoo: bar\ndata : no\ndata: yes\n\n") == [SSEEvent(data="yes")]


def test_empty_event_field_means_message() -> None:
    assert one_chunk(b"event:\ndata: x\n\n") == [SSEEvent(event="message", data="x")]


def test_event_type_does_not_carry_over() -> None:
    items = one_chunk(b"event: a\ndata: 1\n\ndata: 2\n\n")
    assert items == [SSEEvent(event="a", data="1"), SSEEvent(data="2")]


def test_last_event_id_carries_over_until_changed() -> None:
    decoder = SSEDecoder()
    items = decoder.feed(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\n")
    assert [item.id for item in items if isinstance(item, SSEEvent)] == ["1", "1", "2"]
    assert decoder.last_event_id == "2"


def test_id_alone_updates_last_event_id_without_an_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 9\n\n") == []
    assert decoder.last_event_id == "9"


def test_id_takes_effect_at_dispatch_only() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 1\ndata: a\n\nid: 2\n")
    assert decoder.last_event_id == "1"


def test_id_with_nul_is_ignored() -> None:
    items = one_chunk(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert items == [SSEEvent(data="a", id="1"), SSEEvent(data="b", id="1")]


def test_empty_id_resets_last_event_id() -> None:
    decoder = SSEDecoder()
    items = decoder.feed(b"id: 1\ndata: a\n\nid:\ndata: b\n\n")
    assert items == [SSEEvent(data="a", id="1"), SSEEvent(data="b", id=None)]
    assert decoder.last_event_id is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"retry: 5000", 5000),
        (b"retry:0", 0),
        (b"retry: 007", 7),
        (b"retry: 12345678901234567890", 12345678901234567890),
        (b"retry: -1", None),
        (b"retry: 1.5", None),
        (b"retry: 10ms", None),
        (b"retry:  10", None),  # a second space is part of the value
        (b"retry:", None),
        (b"retry", None),
        ("retry: ٣".encode(), None),  # a digit, but not an ASCII digit
    ],
)
def test_retry_needs_ascii_digits_only(line: bytes, expected: int | None) -> None:
    decoder = SSEDecoder()
    items = decoder.feed(line + b"\ndata: x\n\n")
    assert decoder.retry == expected
    assert items == [SSEEvent(data="x", retry=expected)]


def test_invalid_retry_keeps_the_previous_value() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"retry: 100\n\nretry: x\n\n")
    assert decoder.retry == 100


def test_retry_takes_effect_at_once_without_an_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: 3000\n") == []
    assert decoder.retry == 3000


# --- end of stream ----------------------------------------------------------------------------


def test_truncated_final_event_is_discarded() -> None:
    assert one_chunk(b"data: a\n\ndata: b\n") == [SSEEvent(data="a")]
    assert one_chunk(b"data: a\n\ndata: b") == [SSEEvent(data="a")]


def test_final_line_without_newline_is_processed() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n: bye") == [SSEEvent(data="a")]
    assert decoder.feed(b"") == []
    assert decoder.flush() == [SSEComment("bye")]

    decoder = SSEDecoder()
    decoder.feed(b"retry: 250")
    assert decoder.retry is None
    assert decoder.flush() == []
    assert decoder.retry == 250


def test_flush_after_complete_stream_adds_nothing() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n") == [SSEEvent(data="a")]
    assert decoder.flush() == []


def test_flush_starts_a_new_stream_keeping_id_and_retry() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 4\nretry: 10\ndata: a\n\ndata: lost\n")
    decoder.flush()
    assert (decoder.last_event_id, decoder.retry) == ("4", 10)
    # A new stream may start with a BOM again; the lost event's data is gone.
    items = decoder.feed("\ufeffdata: b\n\n".encode())
    # The new stream's last event ID buffer starts empty, so its first dispatch resets the ID.
    assert items == [SSEEvent(data="b", id=None, retry=10)]


def test_long_stream_in_small_chunks_is_linear_enough() -> None:
    # A single 2 MB line in 1 kB chunks, then many small events: quadratic buffering would take
    # minutes here; this runs in well under a second.
    line = b"data: " + b"x" * 2_000_000 + b"\n\n"
    events = b"".join(b"data: %d\n\n" % i for i in range(20_000))
    raw = line + events
    items = decode_all(raw[i : i + 1024] for i in range(0, len(raw), 1024))
    assert len(items) == 20_001
    assert items[0] == SSEEvent(data="x" * 2_000_000)
    assert items[-1] == SSEEvent(data="19999")


# --- any stream, any chunking -----------------------------------------------------------------

# Characters a line may hold: anything but CR and LF (NUL, U+2028, U+0085 and ":" included).
line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)


@dataclass(frozen=True)
class Block:
    """One generated block: an event's fields, or a comment."""

    comment: str | None = None
    blank_after_comment: bool = False
    event: str | None = None
    data: tuple[str, ...] = ()
    id: str | None = None
    retry: int | None = None


comments = st.builds(Block, comment=line_text, blank_after_comment=st.booleans())
events = st.builds(
    Block,
    event=st.none() | line_text,
    data=st.lists(line_text, min_size=1, max_size=4).map(tuple),
    id=st.none() | line_text.filter(lambda s: "\0" not in s),
    retry=st.none() | st.integers(min_value=0, max_value=10**6),
)


def field(name: str, value: str, tight: bool) -> str:
    # Without a space after the colon only when the value does not itself start with one.
    return f"{name}:{value}" if tight and not value.startswith(" ") else f"{name}: {value}"


def block_lines(block: Block, tight: bool) -> list[str]:
    if block.comment is not None:
        return [": " + block.comment] + ([""] if block.blank_after_comment else [])
    lines = [] if block.event is None else [field("event", block.event, tight)]
    lines += [] if block.id is None else [field("id", block.id, tight)]
    lines += [] if block.retry is None else [f"retry: {block.retry}"]
    return [*lines, *(field("data", d, tight) for d in block.data), ""]


def encode_with_ends(
    blocks: list[Block], eols: list[str], bom: bool, tight: bool
) -> tuple[bytes, list[int]]:
    """The stream, and for each event the byte offset by which it must have been dispatched."""
    out, previous, ends = [b"\xef\xbb\xbf"] if bom else [], "", []
    size = len(out[0]) if bom else 0
    for block in blocks:
        for line in block_lines(block, tight):
            eol = eols[(len(out) // 2) % len(eols)]
            if previous == "\r" and line == "" and eol == "\n":
                eol = "\r"  # CR then a bare LF would read as one CRLF, not as a blank line
            out += [line.encode(), eol.encode()]
            size += len(out[-2]) + len(out[-1])
            previous = eol
        if block.comment is None:
            ends.append(size - len(previous) + 1)  # the line break's first byte dispatches
    return b"".join(out), ends


def encode(blocks: list[Block], eols: list[str], bom: bool, tight: bool) -> bytes:
    return encode_with_ends(blocks, eols, bom, tight)[0]


def expected_items(blocks: list[Block]) -> list[SSEItem]:
    items: list[SSEItem] = []
    last_id, retry = "", None
    for block in blocks:
        if block.comment is not None:
            items.append(SSEComment(block.comment))
            continue
        last_id = last_id if block.id is None else block.id
        retry = retry if block.retry is None else block.retry
        event = SSEEvent(block.event or "message", "\n".join(block.data), last_id or None, retry)
        items.append(event)
    return items


def split(raw: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({c % (len(raw) + 1) for c in cuts}), len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds)]


@given(
    blocks=st.lists(comments | events, max_size=8),
    eols=st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=1, max_size=5),
    bom=st.booleans(),
    tight=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=20),
)
def test_any_stream_any_chunking_decodes_to_what_was_encoded(
    blocks: list[Block], eols: list[str], bom: bool, tight: bool, cuts: list[int]
) -> None:
    raw = encode(blocks, eols, bom, tight)
    whole = one_chunk(raw)
    assert whole == expected_items(blocks)
    assert decode_all(split(raw, cuts)) == whole


@given(
    blocks=st.lists(comments | events, max_size=6),
    eols=st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=1, max_size=3),
)
def test_cr_lf_boundaries_and_multibyte_splits(blocks: list[Block], eols: list[str]) -> None:
    # Cut at every byte: this hits each CR|LF pair and each byte inside a UTF-8 sequence.
    raw = encode(blocks, eols, bom=True, tight=False)
    assert byte_by_byte(raw) == expected_items(blocks)


@given(raw=st.binary(max_size=200), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_arbitrary_bytes_never_raise_and_chunking_is_irrelevant(
    raw: bytes, cuts: list[int]
) -> None:
    assert decode_all(split(raw, cuts)) == one_chunk(raw)


@given(
    blocks=st.lists(comments | events, max_size=6),
    eols=st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=1, max_size=3),
    data=st.data(),
)
def test_a_stream_cut_short_gives_only_whole_events(
    blocks: list[Block], eols: list[str], data: st.DataObject
) -> None:
    raw, ends = encode_with_ends(blocks, eols, bom=False, tight=False)
    # Cut anywhere, and often just after a line break: the riskiest place to stop.
    breaks = [i + 1 for i, byte in enumerate(raw) if byte in b"\r\n"]
    anywhere = st.integers(min_value=0, max_value=len(raw))
    prefix = raw[: data.draw(st.sampled_from(breaks) | anywhere if breaks else anywhere)]
    full_events = [item for item in expected_items(blocks) if isinstance(item, SSEEvent)]
    cut_events = [item for item in one_chunk(prefix) if isinstance(item, SSEEvent)]
    assert cut_events == full_events[: sum(end <= len(prefix) for end in ends)]
