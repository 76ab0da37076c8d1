"""The driver protocol: DriverAdapter against tiny fake programs, and the Node example driver
through the rules on a live mock."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from conformance.drivers._driver import DriverAdapter, DriverError, driver_env, driver_factory
from conformance.drivers._live_mock import LiveMock
from conformance.drivers._protocol import Shown, Step
from conformance.suite._harness import install_faults, journal_requests, mock_config, turn_records
from conformance.suite._model import Fault, Observation, Scenario, ServerVariant
from conformance.suite._rules import RULES
from nemokit._clock import ScaledClock, VirtualClock

NODE_DRIVER = Path(__file__).parents[2] / "conformance" / "drivers" / "node" / "nemo-driver.mjs"

# A fake driver: echoes steps as views, and misbehaves on request (the step's text says how).
FAKE = textwrap.dedent(
    """
    import json, os, sys, threading
    for line in sys.stdin:
        step = json.loads(line)
        if step["op"] == "quit":
            break
        text = step.get("text", "")
        print("log: got", step["op"], file=sys.stderr, flush=True)
        if text == "env":
            keys = ("NEMO_API_URL", "NEMO_TIME_SCALE", "NEMO_CONFIG_DIR", "HOME", "NEMO_TOKEN")
            seen = json.dumps({k: os.environ.get(k) for k in keys})
            print(json.dumps({"kind": "notice", "text": seen}))
        elif text == "garbage":
            print("hello nmv_usr_secret123 world", flush=True)
        elif text == "unknown":
            print(json.dumps({"kind": "shout", "text": "x"}), flush=True)
        elif text == "die":
            print("dying with nmv_usr_abc", file=sys.stderr, flush=True)
            sys.exit(3)
        elif text == "hang":
            threading.Event().wait()  # never answers: the adapter's step timeout must end it
        elif step["op"] == "upload":
            print(json.dumps({"kind": "uploaded", "text": ",".join(step["files"])}))
        else:
            print(json.dumps({"kind": "reply", "text": "you said " + text}))
            print(json.dumps({"kind": "progress", "text": "⏳ Still working..."}))
        print(json.dumps({"kind": "done"}), flush=True)
    """
)


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    path = tmp_path / "fake_driver.py"
    path.write_text(FAKE)
    return path


def _adapter(fake: Path, tmp_path: Path, timeout: float = 10.0) -> DriverAdapter:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    env = driver_env({}, config, ScaledClock(1000), api_url="http://127.0.0.1:9")
    return DriverAdapter([sys.executable, str(fake)], env=env, cwd=config, step_timeout=timeout)


def test_views_come_back_in_order_until_done(fake: Path, tmp_path: Path) -> None:
    adapter = _adapter(fake, tmp_path)
    try:
        first = adapter.run_step(Step("say", "hi"))
        second = adapter.run_step(Step("say", "again"))
    finally:
        adapter.close()
    assert first == [Shown("reply", "you said hi"), Shown("progress", "⏳ Still working...")]
    assert second[0] == Shown("reply", "you said again")
    assert adapter.logs == ("log: got say", "log: got say")


def test_upload_paths_are_absolute(fake: Path, tmp_path: Path) -> None:
    adapter = _adapter(fake, tmp_path)
    try:
        shown = adapter.run_step(Step("upload", files=("clip.mp4", "/abs/b.png")))
    finally:
        adapter.close()
    files = shown[0].text.split(",")
    assert files[0] == str((tmp_path / "config" / "clip.mp4").resolve())
    assert files[1] == "/abs/b.png"


def test_environment_names_the_mock_the_scale_and_the_config_dir(
    fake: Path, tmp_path: Path
) -> None:
    adapter = _adapter(fake, tmp_path)
    try:
        env = adapter.run_step(Step("say", "env"))[0].text
    finally:
        adapter.close()
    assert '"NEMO_API_URL": "http://127.0.0.1:9"' in env
    assert '"NEMO_TIME_SCALE": "1000"' in env
    assert f'"NEMO_CONFIG_DIR": "{tmp_path / "config"}"' in env
    assert '"NEMO_TOKEN": null' in env  # never leaked from the suite's own environment


def test_non_json_output_is_a_clear_error_without_the_token(fake: Path, tmp_path: Path) -> None:
    adapter = _adapter(fake, tmp_path)
    with pytest.raises(DriverError, match="stdout line 1 is not a JSON object") as caught:
        adapter.run_step(Step("say", "garbage"))
    adapter.close()
    assert "nmv_usr_" not in str(caught.value)


def test_unknown_kind_is_named(fake: Path, tmp_path: Path) -> None:
    adapter = _adapter(fake, tmp_path)
    with pytest.raises(DriverError, match="unknown kind 'shout'"):
        adapter.run_step(Step("say", "unknown"))
    adapter.close()


def test_a_dying_program_reports_its_status_and_redacted_stderr(fake: Path, tmp_path: Path) -> None:
    adapter = _adapter(fake, tmp_path)
    with pytest.raises(DriverError, match="exited with status 3") as caught:
        adapter.run_step(Step("say", "die"))
    assert "dying with [redacted]" in str(caught.value)
    adapter.close()


def test_a_hung_step_times_out_and_the_program_is_stopped(fake: Path, tmp_path: Path) -> None:
    adapter = _adapter(fake, tmp_path, timeout=0.3)
    with pytest.raises(DriverError, match=r"no .*done.* within 0.3 s"):
        adapter.run_step(Step("say", "hang"))
    adapter.close()


def test_restart_starts_a_new_process(fake: Path, tmp_path: Path) -> None:
    adapter = _adapter(fake, tmp_path)
    try:
        adapter.run_step(Step("say", "a"))
        assert adapter.run_step(Step("restart")) == []
        assert adapter.run_step(Step("say", "b"))[0].text == "you said b"
    finally:
        adapter.close()


def test_a_missing_program_is_a_clear_error(tmp_path: Path) -> None:
    env = driver_env({}, tmp_path, ScaledClock(10), api_url="http://127.0.0.1:9")
    adapter = DriverAdapter(["/no/such/driver-program"], env=env, cwd=tmp_path)
    with pytest.raises(DriverError, match="could not start the driver"):
        adapter.run_step(Step("say", "x"))


def test_factory_needs_a_url_and_a_scaled_clock(tmp_path: Path) -> None:
    factory = driver_factory("prog --flag")
    with pytest.raises(DriverError, match="NEMO_API_URL"):
        factory(None, ScaledClock(10), {}, tmp_path)
    with pytest.raises(DriverError, match="time scale"):
        factory(None, VirtualClock(), {"NEMO_API_URL": "http://127.0.0.1:9"}, tmp_path)
    adapter = factory(None, ScaledClock(10), {"NEMO_API_URL": "http://127.0.0.1:9"}, tmp_path)
    assert adapter.argv == ("prog", "--flag")
    assert adapter.env["NEMO_TIME_SCALE"] == "10"


# --- the Node example driver on a live mock ---------------------------------------------------


def run_live(scenario: Scenario, cmd: list[str], tmp_path: Path) -> Observation:
    """One scenario through a driver program on a LiveMock, as the rules see it."""
    config, files = tmp_path / "config", tmp_path / "files"
    config.mkdir(exist_ok=True)
    files.mkdir(exist_ok=True)
    with LiveMock(mock_config(scenario), scale=1000) as live:
        install_faults(live.server, scenario)
        adapter = driver_factory(cmd)(None, live.clock, {"NEMO_API_URL": live.url}, config)
        shown, seqs, times, errors = [], [], [], []
        try:
            for index, step in enumerate(scenario.steps):
                last = live.server.journal.last()
                seqs.append(last.seq if last is not None else 0)
                start = live.clock.now()
                if step.op == "upload":
                    for name in step.files:
                        (files / name).write_bytes(b"\0\0\0\x18ftypmp42" + bytes(200))
                    step = Step("upload", step.text, tuple(str(files / n) for n in step.files))
                try:
                    shown += [Shown(s.kind, s.text, index) for s in adapter.run_step(step)]
                except DriverError as exc:
                    errors.append(str(exc))
                times.append((start, live.clock.now()))
        finally:
            adapter.close()
        requests = journal_requests(live.server.journal.entries(), seqs)
        return Observation(
            requests=requests,
            shown=tuple(shown),
            logs=adapter.logs,
            errors=tuple(errors),
            turns=turn_records(live.server),
            step_times=tuple(times),
            backend="live",
        )


_UPLOAD = Step("upload", files=("clip.mp4",))
NODE_SCENARIOS = {
    "quick edit and export": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=0.5, seed=1),
        (_UPLOAD, Step("say", 'trim the pauses, add a title "Hi", and export it')),
    ),
    "silent turns, simple dialect, comment heartbeats": Scenario(
        ServerVariant(silent_rate=1.0, dialect="simple", heartbeat_form="comment"),
        (_UPLOAD, Step("say", "add transitions"), Step("say", "余额"), Step("say", "状态")),
    ),
    "partial text, empty-data heartbeats": Scenario(
        ServerVariant(partial_text=True, heartbeat_form="empty", silent_rate=0.0, seed=3),
        (_UPLOAD, Step("say", "add bgm")),
    ),
    "429 then 1001 then a restart": Scenario(
        ServerVariant(silent_rate=0.0),
        (Step("say", "credits"), Step("restart"), Step("say", "credits")),
        (
            Fault("credits", "status", status=429, retry_after=45),
            Fault("credits", "code", code=1001),
        ),
    ),
    "1002 on a state fetch, then a cut stream": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=0.0),
        (_UPLOAD, Step("say", "show tracks"), Step("say", "add a title 'X'")),
        (Fault("state", "code", code=1002), Fault("run_sse", "cut", cut_after=1)),
    ),
    "402 on export, then an export that works": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=0.0),
        (_UPLOAD, Step("say", "add transitions"), Step("say", "export"), Step("say", "导出")),
        (Fault("render", "status", status=402),),
    ),
}


@pytest.mark.slow
@pytest.mark.socket
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
@pytest.mark.parametrize("name", list(NODE_SCENARIOS))
def test_node_driver_passes_every_rule(name: str, tmp_path: Path) -> None:
    scenario = NODE_SCENARIOS[name]
    observation = run_live(scenario, ["node", str(NODE_DRIVER)], tmp_path)
    assert observation.errors == ()
    violations = [v for rule in RULES for v in rule.check(scenario, observation)]
    assert violations == [], "\n".join(map(str, violations))
    assert any(s.kind in ("reply", "credits", "changes", "tracks") for s in observation.shown)
