"""A client in another language through the proxy: the Node driver's flow is recorded in front
of the mock, then replayed by the proxy alone (mock stopped) and the driver shows the same."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess

import pytest

from conformance.cassettes._cassette import load_cassette
from conformance.cassettes._redact import find_secrets
from conformance.drivers._driver import driver_env
from conformance.drivers._live_mock import LiveMock
from conformance.drivers._served import ServedApp
from conformance.proxy import ProxyApp
from mockserver import tiny_mp4
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import ScaledClock

pytestmark = [
    pytest.mark.socket,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]

DRIVER = pathlib.Path(__file__).resolve().parents[2] / "conformance/drivers/node/nemo-driver.mjs"
CONFIG = MockConfig().replace(seed=4, noise_rate=0.0, silent_rate=0.0)


def _drive(url: str, home: pathlib.Path, clip: pathlib.Path) -> list[dict[str, object]]:
    """The driver's flow (upload, an edit, export, credits): every line it showed."""
    home.mkdir()
    (home / "client_id").write_text("node-through-proxy")
    steps = [
        {"op": "upload", "files": [str(clip)], "text": ""},
        {"op": "say", "text": 'add the title "Hello Nemo"'},
        {"op": "say", "text": "export it"},
        {"op": "say", "text": "credits"},
        {"op": "quit"},
    ]
    env = driver_env({}, home, ScaledClock(1000), api_url=url, web_url="https://web.test")
    done = subprocess.run(["node", str(DRIVER)], input="".join(json.dumps(s) + "\n" for s in steps),
                          capture_output=True, text=True, env=env, cwd=home, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-800:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _secrets_hidden(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    # Not every value is text: a `done` line says `"reset": true` (docs/driver-protocol.md).
    return [{k: re.sub(r"<CLAIM_\d+>|\[redacted\]", "<claim>", v) if isinstance(v, str) else v
             for k, v in line.items()} for line in lines]  # fmt: skip


def test_the_node_drivers_flow_is_recorded_and_replayed_without_the_mock(
    tmp_path: pathlib.Path,
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(tiny_mp4())
    path = tmp_path / "node.json"
    with LiveMock(CONFIG) as mock:
        recording = ProxyApp(mock.url, cassette=path, mode="all", preserve_host=True)
        with ServedApp(recording, lifespan="on") as proxy:
            port, live = proxy.port, _drive(proxy.url, tmp_path / "live", clip)
    recording.save()
    assert any("Video ready" in line.get("text", "") for line in live), live
    recorded = [i.request.path for i in load_cassette(path).interactions]
    assert contract.PATH_RUN_SSE in recorded
    assert contract.PATH_RENDER in recorded
    assert find_secrets(path.read_text(encoding="utf-8")) == []
    replaying = ProxyApp(None, cassette=path, mode="none", timing="instant")
    with ServedApp(replaying, port=port, lifespan="on") as proxy:
        replayed = _drive(proxy.url, tmp_path / "replayed", clip)
    # A claim token is a secret: the cassette holds <CLAIM_1> where the driver had hidden it.
    assert _secrets_hidden(replayed) == _secrets_hidden(live)
    assert replaying.stats.missed == 0
    assert replaying.stats.replayed == len(recorded)
