"""WireMock 3.13 standalone on a loopback port, stubbed with fixed answers: a baseline server.

The ``wiremock`` package on the npm registry bundles the standalone jar; it is installed once into
a cache outside the repository (``~/.cache/nemokit-bench``, or ``NEMOKIT_BENCH_CACHE``) and run
with ``java -jar``. ``NEMOKIT_WIREMOCK_JAR`` points at a jar directly. When java, the jar or npm is
missing, :func:`wiremock` yields ``None`` with the reason, and the benchmark skips it.

WireMock runs with its defaults (Jetty, its own thread pools) but without its request journal and
request logging: the fastest way it runs, so the comparison favours it. (Its journal capped at
10,000 entries, as the mock's is, measured 10× slower here: the cap's bookkeeping costs per
request; uncapped it grows without bound under load.)
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import httpx

from ._common import Server, free_port, stop, wait_listening

__all__ = ["WIREMOCK_VERSION", "find_jar", "wiremock"]

WIREMOCK_VERSION = "3.13"
START_TIMEOUT = 60.0


def _cache() -> pathlib.Path:
    default = pathlib.Path.home() / ".cache" / "nemokit-bench"
    return pathlib.Path(os.environ.get("NEMOKIT_BENCH_CACHE", default))


def find_jar(install: bool) -> tuple[str | None, str]:
    """The standalone jar's path and its version, or ``None`` and why; ``install``: let npm fetch
    the package into the cache when it is not there yet."""
    given = os.environ.get("NEMOKIT_WIREMOCK_JAR")
    if given:
        return (given, pathlib.Path(given).name) if os.path.isfile(given) else (None, given)
    pattern = str(_cache() / "node_modules" / "wiremock" / "build" / "wiremock-standalone-*.jar")
    found = sorted(glob.glob(pattern))
    if not found and install:
        npm = shutil.which("npm")
        if npm is None:
            return None, "npm is not installed (it brings the wiremock package with its jar)"
        _cache().mkdir(parents=True, exist_ok=True)
        command = [npm, "install", "--prefix", str(_cache()), "--no-audit", "--no-fund",
                   f"wiremock@{WIREMOCK_VERSION}"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, f"npm install wiremock failed: {done.stderr.strip()[-200:]}"
        found = sorted(glob.glob(pattern))
    if not found:
        return None, f"no WireMock jar under {_cache()} (npm install wiremock@{WIREMOCK_VERSION})"
    jar = found[-1]
    return jar, pathlib.Path(jar).stem.removeprefix("wiremock-standalone-")


@contextlib.contextmanager
def wiremock(
    answers: dict[str, tuple[str, str]], headers: dict[str, str], *, install: bool,
    journal: bool = True,
) -> Iterator[tuple[Server, str] | tuple[None, str]]:  # fmt: skip
    """WireMock answering GET ``path`` (with ``headers``) by ``(content type, body)``; as it
    starts (its request journal on, as the mock's), or with ``journal=False`` keeping no journal
    and no request log (its fastest).

    Yields the server and WireMock's version, or ``None`` and the reason it was skipped.
    """
    java = shutil.which("java")
    if java is None:
        yield None, "java is not installed"
        return
    jar, version = find_jar(install)
    if jar is None:
        yield None, version
        return
    port = free_port()
    # WireMock makes its ``mappings`` and ``__files`` folders in its root directory (by default
    # the working directory, the user's checkout): a temporary one keeps the run leaving nothing.
    root = tempfile.TemporaryDirectory(prefix="nemokit-wiremock-")
    command = [java, "-jar", jar, "--port", str(port), "--bind-address", "127.0.0.1",
               "--root-dir", root.name, "--disable-banner"]  # fmt: skip
    if not journal:
        command += ["--disable-request-logging", "--no-request-journal"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        try:
            wait_listening(process, port, START_TIMEOUT)
        except RuntimeError as exc:
            said = ""
            if process.poll() is not None and process.stderr is not None:
                said = process.stderr.read(300).decode(errors="replace").strip()
            yield None, f"WireMock did not start: {exc} {said}".strip()
            return
        server = Server(process.pid, port)
        _stub(server.url, answers, headers)
        yield server, version
    finally:
        stop(process)
        if process.stderr is not None:
            process.stderr.close()
        root.cleanup()


def _stub(base: str, answers: dict[str, tuple[str, str]], headers: dict[str, str]) -> None:
    """One mapping per path: the exact path, the same request headers, the same bytes back."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for path, (media_type, body) in answers.items():
            mapping = {
                "request": {
                    "method": "GET",
                    "urlPath": path,
                    "headers": {name: {"equalTo": value} for name, value in headers.items()},
                },
                "response": {"status": 200, "headers": {"Content-Type": media_type}, "body": body},
            }
            client.post("/__admin/mappings", content=json.dumps(mapping)).raise_for_status()
