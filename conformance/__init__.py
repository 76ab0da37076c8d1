"""conformance: checks any Nemo client against the contract, against the mock and cassettes.

It also holds the kit's record/replay layer: versioned cassettes, recording transports that wrap
any httpx transport, and a respx replay router with an index.
"""

from __future__ import annotations

from ._cassette import (
    CASSETTE_FORMAT_VERSION,
    BinaryBody,
    Cassette,
    CassetteError,
    Interaction,
    JsonBody,
    MultipartBody,
    MultipartPart,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    TextBody,
    dumps_cassette,
    load_cassette,
    loads_cassette,
    save_cassette,
)
from ._record import AsyncRecordingTransport, Recorder, RecordingTransport
from ._redact import Redactor, find_secrets
from ._replay import CassetteMiss, CassetteRouter, LogEntry, RecordMode, ReplayStats, build_router

__all__ = [
    "CASSETTE_FORMAT_VERSION",
    "AsyncRecordingTransport",
    "BinaryBody",
    "Cassette",
    "CassetteError",
    "CassetteMiss",
    "CassetteRouter",
    "Interaction",
    "JsonBody",
    "LogEntry",
    "MultipartBody",
    "MultipartPart",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "RecordingTransport",
    "Redactor",
    "ReplayStats",
    "StreamEvent",
    "TextBody",
    "build_router",
    "dumps_cassette",
    "find_secrets",
    "load_cassette",
    "loads_cassette",
    "save_cassette",
]
