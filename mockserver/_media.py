"""Media for the mock: a tiny valid MP4 to download, and cheap metadata sniffing of uploads.

:func:`tiny_mp4` builds, with ``struct`` and nothing else, an ISO BMFF file (``ftyp`` brand
``isom``, ``moov`` with ``mvhd`` and one video ``trak``, ``mdat``) holding one H.264 frame: a
16x16 baseline picture coded as a single I_PCM macroblock, which needs no entropy coder to
write. It is what every render's download route serves, so output URLs work offline.

:func:`sniff` reads what is cheap to read from the first bytes of an upload (the endpoint passes
about 64 KB): MP4/MOV ``mvhd`` (duration) and ``tkhd``/``mdhd``/``stts`` (size, frame rate) when
the ``moov`` box is within those bytes, PNG/GIF/JPEG/WebP dimensions and WAV duration. Anything
else gets plausible defaults by file type, derived from a hash of the name and size (so the same
upload always gets the same values): a video is 1920x1080, 1280x720 or 1080x1920 at 24/25/30
fps with a duration from its size at 8 Mbit/s; audio is 192 kbit/s; an image is one of the
common photo sizes. It never raises: junk in, defaults out.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from typing import Any

from nemokit import contract

__all__ = ["sniff", "tiny_mp4"]

_TIMESCALE = 1000
_IDENTITY = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", version << 24 | flags), *payload)


class _Bits:
    """An H.264 RBSP bit writer (fixed-width and Exp-Golomb fields)."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, width: int, value: int) -> _Bits:
        self.bits += [(value >> i) & 1 for i in reversed(range(width))]
        return self

    def ue(self, value: int) -> _Bits:
        code = value + 1
        return self.u(code.bit_length() - 1, 0).u(code.bit_length(), code)

    def align(self) -> _Bits:
        return self.u(-len(self.bits) % 8, 0)

    def raw(self, data: bytes) -> _Bits:
        for byte in data:
            self.u(8, byte)
        return self

    def rbsp(self) -> bytes:
        self.u(1, 1).align()  # rbsp_trailing_bits
        return bytes(
            int("".join(map(str, self.bits[i : i + 8])), 2) for i in range(0, len(self.bits), 8)
        )


def _nal(header: int, rbsp: bytes) -> bytes:
    out = bytearray([header])
    zeros = 0
    for byte in rbsp:  # emulation prevention
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


_FPS = 30


def _h264() -> tuple[bytes, bytes, list[bytes]]:
    """SPS, PPS and one second of frames: an IDR picture (16x16, one black I_PCM macroblock)
    followed by P pictures that skip their macroblock (repeat it)."""
    sps = _Bits().u(8, 66).u(8, 0xC0).u(8, 10).ue(0).ue(0).ue(2).ue(1).u(1, 0)
    sps.ue(0).ue(0).u(1, 1).u(1, 1).u(1, 0).u(1, 0)  # 1x1 macroblocks, frames, no crop, no VUI
    pps = _Bits().ue(0).ue(0).u(1, 0).u(1, 0).ue(0).ue(0).ue(0).u(1, 0).u(2, 0)
    pps.u(1, 1).u(1, 1).u(1, 1).u(1, 0).u(1, 0).u(1, 0)  # se(0) is the single bit 1
    idr = _Bits().ue(0).ue(7).ue(0).u(4, 0).ue(0).u(1, 0).u(1, 0).u(1, 1)  # header, qp delta 0
    idr.ue(25).align().raw(bytes([16]) * 256 + bytes([128]) * 128)  # I_PCM: Y, then Cb and Cr
    frames = [_nal(0x65, idr.rbsp())]
    for number in range(1, _FPS):
        skip = _Bits().ue(0).ue(5).ue(0).u(4, number % 16).u(1, 0).u(1, 0).u(1, 0).u(1, 1)
        frames.append(_nal(0x41, skip.ue(1).rbsp()))  # mb_skip_run 1
    return _nal(0x67, sps.rbsp()), _nal(0x68, pps.rbsp()), frames


@functools.lru_cache(maxsize=1)
def tiny_mp4() -> bytes:
    """A small valid MP4: one second (30 frames) of a 16x16 black H.264 picture."""
    sps, pps, frames = _h264()
    samples = [struct.pack(">I", len(frame)) + frame for frame in frames]
    sizes = [len(sample) for sample in samples]
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isom", b"iso2", b"avc1", b"mp41")
    offset = len(ftyp) + len(_moov(sps, pps, sizes, chunk_offset=0)) + 8
    return ftyp + _moov(sps, pps, sizes, chunk_offset=offset) + _box(b"mdat", *samples)


def _moov(sps: bytes, pps: bytes, sizes: list[int], chunk_offset: int) -> bytes:
    mvhd = _full(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, _TIMESCALE, _TIMESCALE),
        struct.pack(">IH10x", 0x10000, 0x100),
        _IDENTITY,
        bytes(24),
        struct.pack(">I", 2),
    )
    tkhd = _full(
        b"tkhd",
        0,
        3,
        struct.pack(">IIIII", 0, 0, 1, 0, _TIMESCALE),
        bytes(8),
        struct.pack(">HHHH", 0, 0, 0, 0),
        _IDENTITY,
        struct.pack(">II", 16 << 16, 16 << 16),
    )
    mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, _FPS, len(sizes), 0x55C4, 0))
    hdlr = _full(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00")
    avcc = _box(
        b"avcC",
        bytes([1, 66, 0xC0, 10, 0xFF, 0xE1]),
        struct.pack(">H", len(sps)),
        sps,
        bytes([1]),
        struct.pack(">H", len(pps)),
        pps,
    )
    avc1 = _box(
        b"avc1",
        bytes(6),
        struct.pack(">H", 1),
        bytes(16),
        struct.pack(">HH", 16, 16),
        struct.pack(">II", 0x480000, 0x480000),
        bytes(4),
        struct.pack(">H", 1),
        bytes(32),
        struct.pack(">Hh", 0x18, -1),
        avcc,
    )
    stbl = _box(
        b"stbl",
        _full(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
        _full(b"stts", 0, 0, struct.pack(">III", 1, len(sizes), 1)),
        _full(b"stss", 0, 0, struct.pack(">II", 1, 1)),
        _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(sizes), 1)),
        _full(b"stsz", 0, 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes)),
        _full(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
    )
    dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
    minf = _box(b"minf", _full(b"vmhd", 0, 1, bytes(8)), dinf, stbl)
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
    return _box(b"moov", mvhd, trak)


# --- sniffing ---------------------------------------------------------------------------------

#: What a parser may find; each value is checked against these bounds before it is believed.
_BOUNDS = {"width": (1, 65535), "height": (1, 65535), "duration": (0.0, 10**7), "fps": (1, 1000)}
_MAGIC = (
    (b"ftyp", 4, "video"),
    (b"\x89PNG", 0, "image"),
    (b"GIF8", 0, "image"),
    (b"\xff\xd8", 0, "image"),
    (b"WEBP", 8, "image"),
    (b"WAVE", 8, "audio"),
)


def sniff(filename: str, head: bytes, size: int) -> dict[str, Any]:
    """``{file_type, duration, width, height, fps}`` of an upload (see the module docstring).

    ``head`` is the start of the file, ``size`` its full length in bytes. Values that do not
    apply to the type are ``None`` (an image has no duration, audio no size).
    """
    head = bytes(head[: 1 << 20]) if isinstance(head, (bytes, bytearray, memoryview)) else b""
    kind = contract.file_type_of(str(filename)) or _magic_type(head)
    try:
        found = _parse(head)
    except (struct.error, IndexError, ValueError, OverflowError, ZeroDivisionError):
        found = {}
    found = {k: v for k, v in found.items() if _BOUNDS[k][0] <= v <= _BOUNDS[k][1]}
    result = {**_defaults(str(filename), size, kind), **found}
    if kind == "image":
        result.update(duration=None, fps=None)
    elif kind == "audio":
        result.update(width=None, height=None, fps=None)
    return {"file_type": kind, **{k: result.get(k) for k in ("duration", "width", "height", "fps")}}


def _magic_type(head: bytes) -> str | None:
    return next((kind for magic, at, kind in _MAGIC if head[at : at + len(magic)] == magic), None)


def _parse(head: bytes) -> dict[str, Any]:
    if head[4:8] == b"ftyp" or head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return _mp4(head)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        width, height = struct.unpack_from(">II", head, 16)
        return {"width": width, "height": height}
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack_from("<HH", head, 6)
        return {"width": width, "height": height}
    if head[:2] == b"\xff\xd8":
        return _jpeg(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _wav(head)
    return {}


def _boxes(data: bytes, start: int, end: int) -> Any:
    """``(kind, body_start, body_end)`` of each ISO BMFF box in ``data[start:end]``."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:
            size = end - position
        if size < header:
            return
        yield kind, position + header, min(position + size, end)
        position += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in _boxes(data, start, end) if k == kind), None)


def _mp4(data: bytes) -> dict[str, Any]:
    moov = _child(data, 0, len(data), b"moov")
    if moov is None:
        return {}
    found: dict[str, Any] = {}
    mvhd = _child(data, *moov, b"mvhd")
    if mvhd:
        version = data[mvhd[0]]
        fmt, at = (">IQ", 20) if version == 1 else (">II", 12)
        timescale, duration = struct.unpack_from(fmt, data, mvhd[0] + at)
        found["duration"] = duration / timescale
    for kind, start, end in _boxes(data, *moov):
        if kind == b"trak" and (video := _video_track(data, start, end)):
            return {**found, **video}
    return found


def _video_track(data: bytes, start: int, end: int) -> dict[str, Any]:
    mdia = _child(data, start, end, b"mdia")
    hdlr = mdia and _child(data, *mdia, b"hdlr")
    if not mdia or not hdlr or data[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
        return {}
    found: dict[str, Any] = {}
    tkhd = _child(data, start, end, b"tkhd")
    if tkhd:
        at = 88 if data[tkhd[0]] == 1 else 76
        width, height = struct.unpack_from(">II", data, tkhd[0] + at)
        found.update(width=width >> 16, height=height >> 16)
    mdhd = _child(data, *mdia, b"mdhd")
    minf = _child(data, *mdia, b"minf")
    stbl = minf and _child(data, *minf, b"stbl")
    stts = stbl and _child(data, *stbl, b"stts")
    if mdhd and stts:
        timescale = struct.unpack_from(">I", data, mdhd[0] + (20 if data[mdhd[0]] == 1 else 12))
        count, delta = struct.unpack_from(">II", data, stts[0] + 8)
        if count and delta:
            found["fps"] = round(timescale[0] / delta, 3)
    return found


_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> dict[str, Any]:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return {}
        marker = data[position + 1]
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:
            position += 1 if marker == 0xFF else 2
            continue
        if marker in _SOF:
            height, width = struct.unpack_from(">HH", data, position + 5)
            return {"width": width, "height": height}
        position += 2 + struct.unpack_from(">H", data, position + 2)[0]
    return {}


def _webp(data: bytes) -> dict[str, Any]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width, height = (int.from_bytes(data[at : at + 3], "little") + 1 for at in (24, 27))
        return {"width": width, "height": height}
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        return {"width": width & 0x3FFF, "height": height & 0x3FFF}
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return {"width": (bits & 0x3FFF) + 1, "height": ((bits >> 14) & 0x3FFF) + 1}
    return {}


def _wav(data: bytes) -> dict[str, Any]:
    byte_rate = 0
    position = 12
    while position + 8 <= len(data):
        kind, size = struct.unpack_from("<4sI", data, position)
        if kind == b"fmt ":
            byte_rate = struct.unpack_from("<I", data, position + 16)[0]
        elif kind == b"data" and byte_rate:
            return {"duration": size / byte_rate} if size not in (0, 0xFFFFFFFF) else {}
        position += 8 + size + (size & 1)
    return {}


def _defaults(filename: str, size: int, kind: str | None) -> dict[str, Any]:
    digest = hashlib.sha256(f"{filename}\x1f{size}".encode()).digest()
    size = size if isinstance(size, int) and size > 0 else 0
    if kind == "video":
        width, height = ((1920, 1080), (1280, 720), (1080, 1920))[digest[0] % 3]
        fps = (24, 25, 30, 30)[digest[1] % 4]
        return {
            "duration": round(max(1.0, size * 8 / 8e6), 1),
            "width": width,
            "height": height,
            "fps": fps,
        }
    if kind == "image":
        width, height = ((1920, 1080), (1080, 1080), (4032, 3024), (1080, 1350))[digest[0] % 4]
        return {"width": width, "height": height}
    if kind == "audio":
        return {"duration": round(max(1.0, size * 8 / 192_000), 1)}
    return {}
