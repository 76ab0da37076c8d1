"""The driver protocol's ``reset``: one program serves many runs when it says it can, and a
program that never says so is never sent one (it is started anew for each run, as before)."""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from conformance.drivers._driver import driver_factory
from conformance.drivers._protocol import Shown, Step
from nemokit._clock import ScaledClock

# Answers each step with its pid, what it remembers, its environment and the ops it was sent.
# RESET decides whether its `done` says it understands `reset`.
PROGRAM = textwrap.dedent(
    """
    import json, os, sys
    RESET = {reset}
    remembered, ops = [], []
    for line in sys.stdin:
        step = json.loads(line)
        ops.append(step["op"])
        if step["op"] == "quit":
            break
        if step["op"] == "reset":
            for key in list(os.environ):
                if key not in step["env"]:
                    del os.environ[key]
            os.environ.update(step["env"])
            remembered = []
        else:
            remembered.append(step["text"])
            seen = {{"pid": os.getpid(), "remembered": remembered, "ops": ops,
                     "config": os.environ.get("NEMO_CONFIG_DIR"),
                     "token": os.environ.get("NEMO_TOKEN")}}
            print(json.dumps({{"kind": "notice", "text": json.dumps(seen)}}))
        print("stderr of", step["op"], file=sys.stderr, flush=True)
        done = {{"kind": "done", "reset": True}} if RESET else {{"kind": "done"}}
        print(json.dumps(done), flush=True)
    """
)


def _program(tmp_path: Path, *, reset: bool) -> list[str]:
    path = tmp_path / f"driver_{reset}.py"
    path.write_text(PROGRAM.format(reset=reset))
    return [sys.executable, str(path)]


def _runs(argv: list[str], tmp_path: Path, count: int) -> list[dict[str, object]]:
    """``count`` runs of one step each, each with its own config dir, as the suite makes them."""
    factory = driver_factory(argv, api_url="http://127.0.0.1:9")
    seen = []
    try:
        for i in range(count):
            config = tmp_path / f"run{i}"
            config.mkdir()
            env = {"NEMO_TOKEN": f"tok{i}"} if i == 1 else {}
            adapter = factory(None, ScaledClock(1000), env, config)
            try:
                shown = adapter.run_step(Step("say", f"step {i}"))
            finally:
                adapter.close()
            assert [s.kind for s in shown] == ["notice"]
            seen.append({**json.loads(shown[0].text), "dir": str(config)})
    finally:
        factory.close_kept_program()
    return seen


def test_a_program_that_can_reset_serves_every_run_and_starts_each_afresh(
    tmp_path: Path,
) -> None:
    seen = _runs(_program(tmp_path, reset=True), tmp_path, 3)
    assert len({s["pid"] for s in seen}) == 1  # one process
    for i, s in enumerate(seen):
        assert s["remembered"] == [f"step {i}"]  # nothing left from the run before
        assert s["config"] == s["dir"]  # the new run's environment
        assert s["token"] == (f"tok{i}" if i == 1 else None)  # and none of the old one's
    assert seen[2]["ops"] == ["say", "reset", "say", "reset", "say"]


def test_a_program_that_never_says_it_can_reset_is_started_anew_and_never_sent_one(
    tmp_path: Path,
) -> None:
    seen = _runs(_program(tmp_path, reset=False), tmp_path, 3)
    assert len({s["pid"] for s in seen}) == 3
    assert all(s["ops"] == ["say"] for s in seen)
    assert [s["config"] for s in seen] == [s["dir"] for s in seen]


def test_a_restart_step_still_starts_a_new_process(tmp_path: Path) -> None:
    factory = driver_factory(_program(tmp_path, reset=True), api_url="http://127.0.0.1:9")
    adapter = factory(None, ScaledClock(1000), {}, tmp_path)
    try:
        before = json.loads(adapter.run_step(Step("say", "a"))[0].text)["pid"]
        assert adapter.run_step(Step("restart")) == []
        after = json.loads(adapter.run_step(Step("say", "b"))[0].text)["pid"]
    finally:
        adapter.close()
        factory.close_kept_program()
    assert before != after


def test_a_parked_program_that_died_is_replaced(tmp_path: Path) -> None:
    factory = driver_factory(_program(tmp_path, reset=True), api_url="http://127.0.0.1:9")
    try:
        first = factory(None, ScaledClock(1000), {}, tmp_path)
        pid = json.loads(first.run_step(Step("say", "a"))[0].text)["pid"]
        first.close()
        os.kill(pid, signal.SIGKILL)
        second = factory(None, ScaledClock(1000), {}, tmp_path)
        try:
            shown = second.run_step(Step("say", "b"))
        finally:
            second.close()
    finally:
        factory.close_kept_program()
    assert shown[0].kind == "notice"
    assert json.loads(shown[0].text)["pid"] != pid


@pytest.mark.parametrize("reuse", [True, False])
def test_reuse_can_be_turned_off(tmp_path: Path, reuse: bool) -> None:
    factory = driver_factory(
        _program(tmp_path, reset=True), api_url="http://127.0.0.1:9", reuse=reuse
    )
    pids = []
    try:
        for _ in range(2):
            adapter = factory(None, ScaledClock(1000), {}, tmp_path)
            shown: list[Shown] = adapter.run_step(Step("say", "x"))
            adapter.close()
            pids.append(json.loads(shown[0].text)["pid"])
    finally:
        factory.close_kept_program()
    assert (pids[0] == pids[1]) is reuse
