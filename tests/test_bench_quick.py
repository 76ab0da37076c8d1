"""Each benchmark runs once in quick mode: proof that it still runs, not a measure of speed.

No assertion here is about how fast anything is (that is the benchmarks' job, on a quiet
machine); they check that each benchmark measured what it says it measured.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
import shutil

import pytest

from bench import all as bench_all
from bench._common import Result, percentile, table


def _rows(result: Result) -> int:
    return result.table.count("\n") - 1  # header and rule lines


def test_client_overhead_quick() -> None:
    from bench import client_overhead

    result = client_overhead.run(quick=True)
    assert _rows(result) == 2
    assert "Nemo.state()" in result.table
    assert result.met is not None


def test_routing_quick() -> None:
    from bench import routing

    result = routing.run(quick=True)
    assert "| contract and guide examples" in result.table
    assert "substring baseline" in result.table
    assert result.met is not None


def test_replay_quick() -> None:
    pytest.importorskip("vcr", reason="the VCR.py baseline needs vcrpy (pip install vcrpy)")
    from bench import replay

    result = replay.run(quick=True)
    assert _rows(result) == 2  # 100 and 1,000 interactions
    assert "VCR.py" in result.headline


def test_workflow_quick() -> None:
    from bench import workflow

    # run() raises if the workflow did not retry the 429, stream heartbeats, poll and download
    result = workflow.run(quick=True)
    assert "virtual ÷ wall" in result.table


def test_conformance_quick() -> None:
    from bench import conformance

    result = conformance.run(quick=True)
    assert "| rules failed or in error" in result.table
    assert result.met is not None
    if shutil.which("node") is not None:  # the Node driver's run, out of process
        assert re.search(r"\| Node driver: rules failed or in error +\| 0 ", result.table)


@pytest.mark.socket
@pytest.mark.slow
def test_sse_load_quick() -> None:
    from bench import sse_load

    result = sse_load.run(quick=True, streams=20, hold=2.0)
    assert re.search(r"\| errors +\| 0 +\|( 0 +\|)?$", result.table, re.MULTILINE)
    # every stream was open at once, on each server measured (the default, and uvicorn)
    assert result.table.count("20 / 20") == len(sse_load.SERVERS)
    assert all(f"streams, {server}" in result.table for server in sse_load.SERVERS)
    assert re.search(r"\| load generator during the hold +\| \d+% of a core", result.table)


@pytest.mark.socket
@pytest.mark.slow
def test_mock_throughput_quick() -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (the Python load generator is tested below)")
    from bench import mock_throughput

    result = mock_throughput.run(quick=True)
    assert "; 0 failed requests" in result.notes[0]
    # the mock, bare and the mock routed on the default server; where that is granian, the mock
    # and bare again on uvicorn; the mock on the pure stack; and WireMock, with its journal on
    # and off
    granian = importlib.util.find_spec("granian") is not None
    wiremock = not any("WireMock skipped" in note for note in result.notes)
    servers = 4 + 2 * granian + 2 * wiremock
    assert _rows(result) == 2 * servers
    assert "uvicorn" in result.table
    assert ("granian" in result.table) is granian
    assert "asyncio, h11 (pure Python)" in result.table


@pytest.mark.socket
@pytest.mark.slow
def test_proxy_overhead_quick() -> None:
    from bench import proxy_overhead

    # two rounds a side, so that the pooling over rounds is exercised too
    result = proxy_overhead.run(quick=True, streams=10, hold=2.0, rounds=2)
    rows = {tuple(cell.strip() for cell in line.strip("|").split("|")[:2]): line.split("|")[3]
            for line in result.table.splitlines()[2:]}  # fmt: skip
    assert rows["all", "errors"].strip() == "0"
    for opening in ("all at once", "over 1 s"):
        streams = f"streams, {opening}"
        # every stream open through the proxy and direct in every round, and its heartbeats
        # paired with the mock's own stamps (about one a second each, pooled over the two
        # rounds), so the latency figures judged something
        assert rows[streams, "open direct / proxied (fewest in a round)"].strip() == "10 / 10 of 10"
        paired = rows[streams, "heartbeats paired direct / proxied"].split("/")
        assert all(int(n) >= 20 for n in paired)
        assert len(rows[streams, "added p99 in each round, ms"].split(",")) == 2
    assert "proxied ÷ direct" in result.table
    assert result.met is not None


@pytest.mark.socket
def test_python_load_generator_counts_requests() -> None:
    from bench._common import serve
    from bench.mock_throughput import _py

    answers = '{"/ping": ["application/json", "{\\"code\\": 0}"]}'
    with serve("bench._apps:bare", env={"BENCH_BARE_ANSWERS": answers}) as server:
        rate, requests, failures = _py(server.url + "/ping", {}, 1)
        _, missing, not_found = _py(server.url + "/nowhere", {}, 1)
    assert requests > 0
    assert rate > 0
    assert failures == 0
    assert not_found == missing > 0  # every answer to an unknown path is a 404


def test_table_and_percentile() -> None:
    text = table(["a", "bb"], [[1, 2.5], ["x", 12345.0]])
    assert text.splitlines() == [
        "| a | bb     |",
        "|---|--------|",
        "| 1 | 2.5    |",
        "| x | 12,345 |",
    ]
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 1.0) == 5.0


def test_write_docs_keeps_the_prose_around_the_tables(tmp_path: pathlib.Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"# B\n\nbefore\n\n{bench_all.START}\nold\n{bench_all.END}\n\nafter\n")
    result = Result("N", "python -m bench.n", "| t |\n|---|", "1.0×", True)
    bench_all.write_docs([("n", result)], "python -m bench.all --write-docs", docs)
    text = docs.read_text()
    assert text.startswith("# B\n\nbefore\n\n")
    assert text.endswith("\n\nafter\n")
    assert "old" not in text
    assert "| N | 1.0× | met |" in text


def test_write_docs_with_only_some_benchmarks_keeps_the_others(tmp_path: pathlib.Path) -> None:
    docs = tmp_path / "benchmarks.md"
    first = Result("Replay", "python -m bench.replay", "| r |\n|---|", "1.1×", True)
    second = Result("Mock", "python -m bench.mock_throughput", "| m |\n|---|", "0.6×", False)
    bench_all.write_docs([("replay", first), ("mock_throughput", second)], "full run", docs)
    better = Result("Mock", "python -m bench.mock_throughput", "| m2 |\n|---|", "0.9×", True)
    bench_all.write_docs([("mock_throughput", better)], "only the mock", docs)
    text = docs.read_text()
    assert "| Replay | 1.1× | met |" in text
    assert "| r |" in text
    assert "| Mock | 0.9× | met |" in text
    assert "0.6×" not in text
    assert "| m2 |" in text
    assert text.index("Replay") < text.index("| Mock |")
    assert "_Produced by `full run`" in text
    assert "_Produced by `only the mock`" in text
