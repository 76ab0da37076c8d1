"""Schemathesis from its own command line, as a new user runs it, against the mock on loopback.

``schemathesis run http://127.0.0.1:PORT/openapi.json --max-examples N --seed S`` as a
subprocess, with no extra headers and no token, against a mock served by uvicorn in a thread
(:class:`~conformance.drivers._live_mock.LiveMock`), in both error styles:

- ``http_status`` with Schemathesis's defaults;
- ``code_200`` (the contract's mock default, a refusal is HTTP 200 + code) with the
  configuration the project ships, ``tools/schemathesis/code_200.toml`` (documented in
  docs/mock.md).

Both must come back clean (exit status 0, every test case passed), and the mock must have been
fuzzed (many requests journaled) without a single 5xx. The in-process suite never sees what
this sees: it always sends its own headers and token.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.drivers._live_mock import LiveMock
from mockserver._config import MockConfig
from nemokit import contract

ROOT = Path(__file__).resolve().parents[2]
CONFIG_200 = ROOT / "tools" / "schemathesis" / "code_200.toml"
HOOKS_200 = ROOT / "tools" / "schemathesis" / "code_200_hooks.py"
#: Small enough for CI (each run takes well under a minute of CPU); the issue's run used 30.
MAX_EXAMPLES = 5
SEED = 20261125

pytestmark = [
    pytest.mark.skipif(sys.version_info < (3, 11), reason="Schemathesis 4 needs Python >= 3.11"),
    pytest.mark.skipif(
        shutil.which("schemathesis") is None,
        reason="the schemathesis command is not installed (pip install 'nemokit[dev]')",
    ),
]


def _schemathesis(url: str, *, config: Path | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = ["schemathesis"]
    if config is not None:
        command += ["--config-file", str(config)]
    command += [
        "run",
        f"{url}/openapi.json",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
    ]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.slow
@pytest.mark.socket
@pytest.mark.parametrize("style", ["http_status", "code_200"])
def test_schemathesis_command_line_is_clean(style: str, tmp_path: Path) -> None:
    # The defaults run where no schemathesis.toml is found; the shipped configuration runs
    # from the repository root, as docs/mock.md says (its hooks path is relative to it).
    config, cwd = (None, tmp_path) if style == "http_status" else (CONFIG_200, ROOT)
    with LiveMock(MockConfig().replace(error_style=style)) as mock:
        result = _schemathesis(mock.url, config=config, cwd=cwd)
        journal = mock.server.journal.entries()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert counts is not None, output[-3000:]
    assert counts.group(1) == counts.group(2), output[-3000:]
    assert "❌" not in output, output[-3000:]  # no phase failed or errored
    # It really fuzzed this mock, every operation, and nothing was a server error.
    assert len(journal) > 200
    assert {e.path for e in journal} >= {contract.PATH_ANONYMOUS_TOKEN, contract.PATH_RUN_SSE}
    assert [(e.method, e.path) for e in journal if (e.status or 0) >= 500] == []
    assert contract.TOKEN_PREFIX not in output  # nothing printed a token


def _hooks() -> Any:
    spec = importlib.util.spec_from_file_location("_code_200_hooks", HOOKS_200)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_code_200_hooks_use_the_contract_table() -> None:
    pytest.importorskip("schemathesis")
    hooks = _hooks()
    assert dict(contract.CODE_HTTP_STATUS) == hooks.CODE_HTTP_STATUS
    code_of = hooks.business_code
    assert code_of(b'{"code": 1001, "message": "m", "data": null}') == 1001
    assert code_of(b'{"success": false, "error": "e", "code": 1002}') == 1002
    # success, a success envelope, a render job, junk: not a refusal
    assert code_of(b'{"code": 0, "message": "success", "data": {}}') is None
    assert code_of(b'{"code": 1001, "data": {"x": 1}}') is None
    assert code_of(b'{"success": true, "data": {"id": "r"}}') is None
    assert code_of(b"[1]") is None
    assert code_of(b"not json") is None
    assert code_of(b'{"code": true, "data": null}') is None


def test_the_configuration_file_names_the_hooks_relative_to_the_repository() -> None:
    text = CONFIG_200.read_text(encoding="utf-8")
    hooks = re.search(r'^hooks = "([^"]+)"', text, re.MULTILINE)
    assert hooks is not None
    assert (ROOT / hooks.group(1)).resolve() == HOOKS_200
