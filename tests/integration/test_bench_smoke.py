"""`make bench` code runs end to end (SQLite, a handful of samples; the numbers are not judged)."""

from __future__ import annotations

from workflows import bench


def test_engine_bench_runs_on_sqlite_and_prints_its_table(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    [result] = bench.run_engine_bench([url], rounds=3, samples=3)
    assert result["database"] == "sqlite"
    for key in (
        "deploy",
        "create",
        "verb_fresh",
        "verb_round0",
        "verb_rounds",
        "raw_fresh",
        "raw_rounds",
    ):
        median, p95 = result[key]
        assert 0 < median <= p95, key
    assert 0 < result["bytes_fresh"] <= bench.FRESH_STATE_BYTES
    assert result["bytes_rounds"] < result["bytes_rounds_whole"] < result["raw_bytes_rounds"]
    assert [what for what, *_ in result["checks"]][-1] == "stored bytes per fresh instance"
    table = bench.format_table([result])
    assert "verb after rounds / same verb at round 0" in table and (
        "PASS" in table or "FAIL" in table
    )


def test_bench_main_on_sqlite_only(capsys):
    assert bench.main(["--no-postgres", "--rounds", "1", "--samples", "2"]) == 0
    out = capsys.readouterr().out
    assert "sqlite" in out and "postgresql" not in out
