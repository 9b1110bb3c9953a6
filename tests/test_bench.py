"""`chipkit bench`: the shape of what it reports (no timing is asserted: machines differ), the
fold sub-range it falls back to, that it refuses to report on an RTL that disagrees, and the
core's cycles against SCALE-Sim's WS count, recomputed here."""
import json
from dataclasses import replace

import numpy as np
import pytest

from chipkit import bench as bm
from chipkit.backends import array_rtl
from chipkit.cli import main
from chipkit.compiler.gemm import compile_gemm
from chipkit.config import ArrayConfig, CoreConfig
from chipkit.errors import SimulationError
from chipkit.flow import tools
from chipkit.models import array_fast, core_fast
from chipkit.models.array_cycles import scalesim_cycles
from chipkit.models.array_schedule import build

ROW = {"array", "dataflow", "gemm", "folds", "cycles", "fast_seconds", "fast_cycles_per_s",
       "myhdl_folds", "myhdl_cycles", "myhdl_seconds", "myhdl_cycles_per_s", "fast_vs_myhdl"}
#: added to a row when Verilator runs it (only the arrays in bm.VERILATOR_ARRAYS, by default)
VERILATOR_ROW = {"verilator_build_s", "verilator_built", "verilator_seconds",
                 "verilator_cycles_per_s", "verilator_loop_cycles_per_s", "verilator_vs_myhdl"}


def test_rows_and_ratio():
    runs = bm.bench(cases=(("2x2", "ws"), ("2x3", "os")), gemm=(6, 5, 4))
    assert [(r["array"], r["dataflow"], r["gemm"]) for r in runs] == [("2x2", "ws", "6x5x4"),
                                                                        ("2x3", "os", "6x5x4")]
    for r in runs:
        assert set(r) == ROW
        assert r["myhdl_folds"] == r["folds"] and r["myhdl_cycles"] == r["cycles"]  # all of it
        assert r["fast_cycles_per_s"] == pytest.approx(r["cycles"] / r["fast_seconds"])
        assert r["myhdl_cycles_per_s"] == pytest.approx(r["myhdl_cycles"] / r["myhdl_seconds"])
        assert r["fast_vs_myhdl"] == pytest.approx(r["fast_cycles_per_s"] /
                                                   r["myhdl_cycles_per_s"])
    assert runs[0]["folds"] == 6 and runs[0]["cycles"] == 6 * (2 * 2 + 2 + 6 - 2)


def test_a_small_budget_runs_the_first_folds_only():
    r = bm.measure(ArrayConfig(2, 2, "os"), 8, 8, 3, myhdl_seconds=1e-9)
    assert (r["folds"], r["myhdl_folds"]) == (16, 1)
    assert r["myhdl_cycles"] == r["cycles"] // 16


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_first_folds_are_the_first_folds(dataflow):
    rng = np.random.default_rng(1)
    s = build(rng.integers(-128, 128, (5, 7)), rng.integers(-128, 128, (7, 6)),
              ArrayConfig(2, 2, dataflow))
    whole, part = array_fast.run(s), array_fast.run(bm.first_folds(s, 3))
    assert part.schedule.folds == 3 and s.folds > 3
    assert np.array_equal(part.c_out, whole.c_out[:3])
    assert np.array_equal(part.c_valid, whole.c_valid[:3])


def test_an_rtl_that_disagrees_is_not_benchmarked(monkeypatch):
    real = array_rtl.run

    def broken(schedule, **kw):
        run = real(schedule, **kw)
        run.c_out[0, -1, 0] += 1
        return run

    monkeypatch.setattr(array_rtl, "run", broken)
    with pytest.raises(SimulationError, match="differ from the fast model's on 2x2 ws"):
        bm.measure(ArrayConfig(2, 2, "ws"), 3, 3, 3)


@pytest.mark.parametrize("as_json", [True, False])
def test_cli(monkeypatch, capsys, as_json):
    monkeypatch.setattr(bm, "CASES", (("2x2", "ws"), ("3x2", "os")))
    monkeypatch.setattr(bm, "GEMM", (4, 4, 4))
    monkeypatch.setattr(bm, "CORE_CASES", ((2, (4, 6, 5)), (4, (8, 8, 8))))
    monkeypatch.setattr(bm, "CORE_SPEED_CASES", ((2, (4, 4, 4)),))
    monkeypatch.setattr(tools, "which", lambda name: None)  # the core speed row without Verilator
    assert main(["bench", "--json"] if as_json else ["bench"]) == 0
    out = capsys.readouterr().out
    if as_json:
        d = json.loads(out)
        assert list(d) == ["runs", "core_vs_scalesim_ws", "core_speed",
                           "transformer_cycles_per_pass", "transformer_utilization"]
        assert 10_000 < d["transformer_cycles_per_pass"] <= 19_000
        assert d["transformer_utilization"] >= 0.25
        assert [r["array"] for r in d["runs"]] == ["2x2", "3x2"]
        assert all(set(r) == ROW for r in d["runs"])
        core = d["core_vs_scalesim_ws"]
        assert [(r["core"], r["gemm"]) for r in core["rows"]] == [("2x2", "4x6x5"),
                                                                  ("4x4", "8x8x8")]
        assert all(set(r) == CORE_ROW for r in core["rows"]) and core["geomean"] > 0
        assert [(r["core"], r["program"]) for r in d["core_speed"]] == [("2x2", "gemm 4x4x4")]
        assert set(d["core_speed"][0]) == CORE_SPEED_ROW | {"verilator_note"}
    else:
        lines = out.splitlines()
        assert "fast cyc/s" in lines[0] and "MyHDL cyc/s" in lines[0]
        assert lines[1].startswith("2x2    ws       4x4x4") and "(4/4)" in lines[1]
        assert lines[2].startswith("3x2    os       4x4x4") and lines[2].endswith("x")
        assert "incl. elaboration" in lines[3]
        assert lines[4] == "" and "SCALE-Sim WS" in lines[5] and "core/SCALE-Sim" in lines[5]
        assert lines[6].split()[:2] == ["2x2", "4x6x5"] and lines[7].split()[:2] == ["4x4",
                                                                                  "8x8x8"]
        assert lines[8].strip().startswith("geometric mean")
        assert lines[11] == "" and "fast/MyHDL" in lines[12] and "Verilator/MyHDL" in lines[12]
        assert lines[13].split()[:3] == ["2x2", "gemm", "4x4x4"] and lines[13].endswith("-")
        assert lines[14].startswith("core speed:")
        assert lines[15].startswith("Verilator not installed") and lines[16] == ""
        assert lines[17].startswith("tiny transformer, one pass") and len(lines) == 18


CORE_ROW = {"core", "gemm", "m", "n", "k", "dma_bytes_per_cycle", "dram_latency",
            "instructions", "cycles", "scalesim_ws_cycles", "ratio"}


def test_core_vs_scalesim_rows_are_the_measured_ratios():
    """Recomputed here from the compiler, the cycle model and SCALE-Sim's formula (the core's
    timing does not depend on the operands' values, so ones will do)."""
    cases = ((2, (4, 6, 5)), (4, (8, 8, 8)), (4, (12, 16, 4)))
    core = bm.core_vs_scalesim(cases)
    ratios = []
    for r, (lanes, (m, n, k)) in zip(core["rows"], cases, strict=True):
        cfg = CoreConfig(lanes=lanes)
        prog = compile_gemm(np.ones((m, k), np.int64), np.ones((k, n), np.int64), cfg)
        run = core_fast.run(prog.words, cfg, prog.dram)
        ws = scalesim_cycles(m, n, k, ArrayConfig(lanes, lanes, "ws"))
        assert (r["core"], r["gemm"], r["m"], r["n"], r["k"]) == (f"{lanes}x{lanes}",
                                                                  f"{m}x{n}x{k}", m, n, k)
        assert (r["cycles"], r["scalesim_ws_cycles"], r["instructions"]) == (
            run.cycles, ws, len(prog.words))
        assert r["ratio"] == run.cycles / ws
        ratios.append(run.cycles / ws)
    assert core["geomean"] == pytest.approx(np.exp(np.mean(np.log(ratios))), rel=1e-12)
    assert min(ratios) < core["geomean"] < max(ratios)


def test_core_cases_are_the_issues_shapes():
    assert {lanes for lanes, _ in bm.CORE_CASES} == {4, 8}
    assert all(m >= 2 * lanes for lanes, (m, _, _) in bm.CORE_CASES)
    assert {f"{m}x{n}x{k}" for _, (m, n, k) in bm.CORE_CASES} >= {"16x32x32", "32x64x64",
                                                                  "64x64x64"}


def test_a_core_that_computes_wrong_is_not_benchmarked(monkeypatch):
    from chipkit.backends import core_gemm

    real = core_gemm.core_gemm
    monkeypatch.setattr(core_gemm, "core_gemm",
                        lambda *a, **kw: replace(real(*a, **kw), match_golden=False))
    with pytest.raises(SimulationError, match="core's product differs from numpy's on 2x2 4x6x5"):
        bm.core_vs_scalesim(((2, (4, 6, 5)),))


@pytest.mark.hdl
def test_verilator_keys_on_the_chosen_arrays(verilator, monkeypatch, tmp_path):
    monkeypatch.setenv("CHIPKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(bm, "VERILATOR_ARRAYS", ("2x2",))
    runs = bm.bench(cases=(("2x2", "ws"), ("2x3", "os")), gemm=(6, 5, 4))
    assert set(runs[0]) == ROW | VERILATOR_ROW and set(runs[1]) == ROW
    r = runs[0]
    assert r["verilator_built"] is True and r["verilator_build_s"] > 0
    assert r["verilator_cycles_per_s"] == pytest.approx(r["cycles"] / r["verilator_seconds"])
    assert r["verilator_vs_myhdl"] == pytest.approx(r["verilator_cycles_per_s"] /
                                                    r["myhdl_cycles_per_s"])
    assert r["verilator_loop_cycles_per_s"] > r["verilator_cycles_per_s"]  # no process start
    again = bm.measure(ArrayConfig(2, 2, "ws"), 6, 5, 4)
    assert again["verilator_built"] is False  # the cached binary
    lines = bm.report(runs).splitlines()
    assert "Verilator cyc/s" in lines[0] and "Verilator/MyHDL" in lines[0]
    assert lines[1].endswith("x") and lines[2].endswith("-")
    assert lines[4].startswith("Verilator: median of 5 runs") and "cached" not in lines[4]


def test_no_verilator_keys_without_verilator(monkeypatch):
    from chipkit.flow import tools

    monkeypatch.setattr(tools, "which", lambda name: None)
    monkeypatch.setattr(bm, "VERILATOR_ARRAYS", ("2x2",))
    r = bm.measure(ArrayConfig(2, 2, "ws"), 3, 3, 3)
    assert set(r) == ROW
    assert "Verilator" not in bm.report([r])


@pytest.mark.hdl
def test_a_verilator_run_that_disagrees_is_not_benchmarked(verilator, monkeypatch, tmp_path):
    from chipkit.flow import verilator as vl

    real = vl.simulate

    def broken(*args, **kw):
        got = real(*args, **kw)
        got["c_valid"][-1] ^= 1
        return got

    monkeypatch.setenv("CHIPKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(vl, "simulate", broken)
    with pytest.raises(SimulationError, match="Verilator array's outputs differ from the fast "
                                              "model's on 2x2 os"):
        bm.measure(ArrayConfig(2, 2, "os"), 3, 3, 3, verilator=True)


CORE_SPEED_ROW = {"core", "program", "instructions", "dram_bytes", "cycles", "fast_seconds",
                  "fast_cycles_per_s", "myhdl_seconds", "myhdl_elaboration_s",
                  "myhdl_cycles_per_s", "fast_vs_myhdl"}
#: added to a core_speed row when Verilator runs it
CORE_VERILATOR_ROW = {"verilator_build_s", "verilator_built", "verilator_seconds",
                      "verilator_cycles_per_s", "verilator_vs_myhdl", "verilator_vs_fast"}


def _core_program(lanes, m, n, k, seed=0):
    """The program and core of a core_speed row, recompiled here."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))
    first = compile_gemm(a, b, CoreConfig(lanes=lanes))
    cfg = bm.core_speed_config(lanes, first.dram.size)
    return compile_gemm(a, b, cfg), cfg


def test_core_speed_rows_are_the_measured_rates(monkeypatch):
    monkeypatch.setattr(tools, "which", lambda name: None)
    rows = bm.core_speed(((2, (4, 4, 4)), (4, (8, 4, 8))))
    assert [(r["core"], r["program"]) for r in rows] == [("2x2", "gemm 4x4x4"),
                                                         ("4x4", "gemm 8x4x8")]
    for r, (lanes, gemm) in zip(rows, ((2, (4, 4, 4)), (4, (8, 4, 8))), strict=True):
        assert set(r) == CORE_SPEED_ROW | {"verilator_note"}
        prog, cfg = _core_program(lanes, *gemm)
        assert (r["cycles"], r["instructions"], r["dram_bytes"]) == (
            core_fast.run(prog.words, cfg, prog.dram).cycles, len(prog.words), cfg.dram_bytes)
        assert cfg.dram_bytes >= prog.dram.size and cfg.dram_bytes == 4096
        assert r["fast_cycles_per_s"] == pytest.approx(r["cycles"] / r["fast_seconds"])
        assert r["myhdl_cycles_per_s"] == pytest.approx(r["cycles"] / r["myhdl_seconds"])
        assert r["fast_vs_myhdl"] == pytest.approx(r["fast_cycles_per_s"] /
                                                   r["myhdl_cycles_per_s"])
    text = bm.report_speed(rows).splitlines()
    assert text[1].endswith("-") and text[-1].startswith("Verilator not installed")


def test_a_myhdl_core_that_disagrees_is_not_benchmarked(monkeypatch):
    from chipkit.backends import core_rtl

    real = core_rtl.run_myhdl

    def broken(*a, **kw):
        run = real(*a, **kw)
        run.state.dram[-1] ^= 1
        return run

    monkeypatch.setattr(core_rtl, "run_myhdl", broken)
    with pytest.raises(SimulationError, match="MyHDL core's final state differs from the cycle "
                                              "model's on 2x2 4x4x4"):
        bm.measure_core(2, 4, 4, 4, verilator=False)


@pytest.mark.hdl
def test_core_speed_with_verilator(verilator, monkeypatch):
    """The Verilator columns (the build is in the usual cache: compiled once, ever)."""
    first = bm.measure_core(2, 4, 4, 4)
    r = bm.measure_core(2, 4, 4, 4)
    assert set(first) == set(r) == CORE_SPEED_ROW | CORE_VERILATOR_ROW
    assert r["verilator_built"] is False  # the binary the first call built or found
    assert r["verilator_cycles_per_s"] == pytest.approx(r["cycles"] / r["verilator_seconds"])
    assert r["verilator_vs_myhdl"] == pytest.approx(r["verilator_cycles_per_s"] /
                                                    r["myhdl_cycles_per_s"])
    assert r["verilator_vs_fast"] == pytest.approx(r["verilator_cycles_per_s"] /
                                                   r["fast_cycles_per_s"])
    text = bm.report_speed([r]).splitlines()
    assert text[1].endswith("x") and "Verilator builds: 2x2 cached" in text[-1]

    from chipkit.backends import core_verilator as cv

    real = cv.run_built

    def broken(*a, **kw):
        run = real(*a, **kw)
        run.counters = dict(run.counters, macs=run.counters["macs"] + 1)
        return run

    monkeypatch.setattr(cv, "run_built", broken)
    with pytest.raises(SimulationError, match="Verilator core's final state differs"):
        bm.measure_core(2, 4, 4, 4)
