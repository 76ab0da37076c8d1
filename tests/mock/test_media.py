"""The tiny MP4 the mock serves, and metadata sniffing of uploads."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver._media import sniff, tiny_mp4


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, bytes]]:
    """An independent ISO BMFF walk: every box must fit exactly in its parent."""
    end = len(data) if end is None else end
    out, position = [], start
    while position < end:
        size, kind = struct.unpack_from(">I4s", data, position)
        assert size >= 8, f"box {kind!r} has size {size}"
        assert position + size <= end, f"box {kind!r} overflows its parent"
        out.append((kind, data[position + 8 : position + size]))
        position += size
    assert position == end
    return out


def child(body: bytes, kind: bytes, skip: int = 0) -> bytes:
    return next(b for k, b in boxes(body, skip) if k == kind)


def test_tiny_mp4_is_a_well_formed_iso_file() -> None:
    data = tiny_mp4()
    assert len(data) < 4096
    top = boxes(data)
    assert [k for k, _ in top] == [b"ftyp", b"moov", b"mdat"]
    ftyp = top[0][1]
    assert ftyp[:4] in (b"isom", b"mp42")
    assert b"isom" in [ftyp[i : i + 4] for i in range(8, len(ftyp), 4)]
    moov = top[1][1]
    assert [k for k, _ in boxes(moov)] == [b"mvhd", b"trak"]
    trak = child(moov, b"trak")
    mdia = child(trak, b"mdia")
    assert child(mdia, b"hdlr")[8:12] == b"vide"
    stbl = child(child(mdia, b"minf"), b"stbl")
    stsd = child(stbl, b"stsd")
    assert [k for k, _ in boxes(stsd, 8)] == [b"avc1"]


def test_tiny_mp4_sample_table_points_into_mdat() -> None:
    data = tiny_mp4()
    top = boxes(data)
    stbl = child(child(child(child(top[1][1], b"trak"), b"mdia"), b"minf"), b"stbl")
    sizes_box = child(stbl, b"stsz")
    _, _, count = struct.unpack_from(">III", sizes_box)
    sizes = struct.unpack_from(f">{count}I", sizes_box, 12)
    (offset,) = struct.unpack_from(">I", child(stbl, b"stco"), 8)
    mdat_start = len(data) - len(top[2][1])
    assert offset == mdat_start
    assert sum(sizes) == len(top[2][1])
    first = data[offset : offset + sizes[0]]
    assert struct.unpack_from(">I", first)[0] == len(first) - 4
    assert first[4] & 0x1F == 5  # an IDR picture comes first


def test_tiny_mp4_sniffs_as_what_it_is() -> None:
    data = tiny_mp4()
    found = sniff("out.mp4", data, len(data))
    assert found == {"file_type": "video", "duration": 1.0, "width": 16, "height": 16, "fps": 30}


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + bytes(3)
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def wav(seconds: float, rate: int = 8000) -> bytes:
    data_size = int(seconds * rate * 2)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data_size)
    )


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.png", png(640, 480), {"width": 640, "height": 480, "duration": None}),
        (
            "a.gif",
            b"GIF89a" + struct.pack("<HH", 320, 200) + bytes(8),
            {"width": 320, "height": 200},
        ),
        ("a.jpg", jpeg(1024, 768), {"width": 1024, "height": 768}),
        (
            "a.webp",
            b"RIFF\0\0\0\0WEBPVP8X"
            + bytes(8)
            + (799).to_bytes(3, "little")
            + (599).to_bytes(3, "little"),
            {"width": 800, "height": 600},
        ),
        ("a.wav", wav(2.5), {"duration": 2.5, "width": None, "fps": None}),
    ],
)
def test_sniff_reads_the_header(name: str, head: bytes, expected: dict[str, object]) -> None:
    found = sniff(name, head, 10**6)
    assert {k: found[k] for k in expected} == expected


def test_a_moov_beyond_the_head_gives_seeded_defaults() -> None:
    head = struct.pack(">I4s4sI", 16, b"ftyp", b"isom", 0) + struct.pack(">I4s", 10**8, b"mdat")
    first = sniff("holiday.mp4", head, 80_000_000)
    assert first == sniff("holiday.mp4", head + bytes(100), 80_000_000)  # seeded, stable
    assert first["duration"] == 80.0  # 80 MB at 8 Mbit/s
    assert (first["width"], first["height"]) in {(1920, 1080), (1280, 720), (1080, 1920)}
    assert first["fps"] in {24, 25, 30}


def test_the_type_comes_from_the_name_then_the_bytes() -> None:
    assert sniff("x.m4a", b"", 10)["file_type"] == "audio"
    assert sniff("noext", png(2, 2), 10)["file_type"] == "image"
    assert sniff("noext", b"?", 10) == {
        "file_type": None,
        "duration": None,
        "width": None,
        "height": None,
        "fps": None,
    }


@given(name=st.text(max_size=20), head=st.binary(max_size=300), size=st.integers(-5, 2**40))
def test_sniff_never_raises_on_junk(name: str, head: bytes, size: int) -> None:
    found = sniff(name, head, size)
    assert set(found) == {"file_type", "duration", "width", "height", "fps"}
    for key in ("width", "height"):
        assert found[key] is None or found[key] > 0


@given(cut=st.integers(0, 2000), flip=st.integers(0, 2000), value=st.integers(0, 255))
def test_sniff_survives_a_damaged_mp4(cut: int, flip: int, value: int) -> None:
    data = bytearray(tiny_mp4()[:cut])
    if flip < len(data):
        data[flip] = value
    found = sniff("x.mp4", bytes(data), 10**6)
    assert found["file_type"] == "video"
    assert found["width"] is None or 1 <= found["width"] <= 65535
