"""Local files on either side of the wire: upload pre-checks, download targets, atomic saves.

Everything a user gives (a path, a URL, a destination) is checked here before any request is
sent, so a bad argument is a clear :class:`~nemokit.ConfigurationError` and never a half-finished
upload. Downloads land in a temporary file beside the target and are renamed at the end.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Callable

import httpx

from . import _requests as rq
from . import contract
from ._errors import ConfigurationError, LocalFileTooLarge, LocalUnsupportedFileType
from ._flow import Close, Flow

__all__ = ["checked_file", "checked_url", "download_target", "save_atomically"]


def checked_file(path: str | os.PathLike[str]) -> rq.LazyFile:
    """``path`` as a lazily opened upload, once its type, readability and size are allowed."""
    file = pathlib.Path(path)
    name = file.name
    if contract.file_type_of(name) is None:
        accepted = ", ".join(contract.ACCEPTED_EXTENSIONS)
        raise LocalUnsupportedFileType(
            f"cannot upload {str(file)!r}: unsupported file type; accepted types: {accepted}",
            filename=str(file),
        )
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise ConfigurationError(f"cannot upload {str(file)!r}: {exc.strerror or exc}") from None
    if not file.is_file() or not os.access(file, os.R_OK):
        raise ConfigurationError(f"cannot upload {str(file)!r}: not a readable file")
    if size > contract.MAX_UPLOAD_BYTES:
        limit = contract.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise LocalFileTooLarge(
            f"cannot upload {str(file)!r}: {size / 1024 / 1024:.0f} MB is over the {limit} MB "
            "limit; compress or trim it first",
            filename=str(file),
        )
    return rq.LazyFile(file, size)


def checked_url(url: str) -> str:
    """``url`` normalised, if it is an absolute http(s) URL."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"cannot upload {url!r}: not an http(s) URL")
    return str(parsed)


def download_target(url: str, dest: str | os.PathLike[str]) -> pathlib.Path:
    """The file to write: ``dest`` itself, or a name taken from ``url`` inside folder ``dest``."""
    target = pathlib.Path(dest).expanduser()
    if target.is_dir():
        parts = [part for part in httpx.URL(url).path.split("/") if part]
        name = parts[-1] if parts else "video"
        if name == "download" and len(parts) > 1:  # /api/render/proxy/{id}/download
            name = parts[-2]
        target = target / (name if "." in name else f"{name}.mp4")
    if not target.parent.is_dir():
        raise ConfigurationError(f"cannot save to {str(target)!r}: the folder does not exist")
    return target


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_NEW_FILE_MODE = _new_file_mode()


def save_atomically(
    response: httpx.Response,
    target: pathlib.Path,
    read: Callable[[httpx.Response], Flow[bytes]],
) -> Flow[pathlib.Path]:
    """Write the streamed body of ``response`` to ``target`` through a temporary file.

    ``read`` is the caller's chunk reader, so transport failures are reported the caller's way.
    """
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := (yield from read(response)):
                out.write(chunk)
        # mkstemp makes the file 0600; a downloaded video gets the mode any new file would.
        os.chmod(part, _NEW_FILE_MODE)
        os.replace(part, target)
    except GeneratorExit:
        # A generator being closed may not yield again, so there is no Close step here.
        pathlib.Path(part).unlink(missing_ok=True)
        raise
    except BaseException:
        pathlib.Path(part).unlink(missing_ok=True)
        yield Close(response)
        raise
    yield Close(response)
    return target
