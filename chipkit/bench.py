"""How fast the simulators are (`chipkit bench`): the fast model's, the MyHDL RTL's and (on 8x8,
when installed) Verilator's simulated cycles per second on the same GEMM, and their ratios. It times
the backends; it computes nothing new.

What is measured, honestly:
- fast: `chipkit.models.array_fast.run` on the whole GEMM's schedule (all folds stepped together),
the
  median of a few runs after a warm-up; building the schedule is not timed (both share it).
- MyHDL: one `chipkit.backends.array_rtl.run`, elaboration included, on the whole GEMM when that
fits
  the time budget, otherwise on its first folds only (`myhdl_folds` < `folds` says so); its
  outputs are checked against the fast model's for the same folds.
- Verilator (chipkit.flow.verilator, only on the arrays in VERILATOR_ARRAYS and only when
installed):
  the converted array compiled once (cached; `verilator_build_s` is the time to get the binary,
  conversion included, `verilator_built` whether it had to compile), then the median of a few
  whole-GEMM runs, each counting Python's packing of the vectors and the process start;
  `verilator_loop_cycles_per_s` is the harness's own step loop. Outputs checked too.

The core (`core_vs_scalesim_ws`): a few GEMMs compiled for the inference core
(chipkit.compiler.gemm), operands starting and ending in DRAM, run on the core's cycle model; each
row's ratio is the core's cycles over SCALE-Sim's WS compute cycles on an L x L array, and their
geometric mean.

The core's simulators (`core_speed`): one compiled GEMM per core size (CORE_SPEED_CASES) on the
cycle model (chipkit.models.core_fast), the MyHDL core and the Verilator core
(chipkit.backends.core_rtl / core_verilator), each timed from `start` to `halted` only (MyHDL's
elaboration and Verilator's build are reported apart), final states checked against the model;
`fast_vs_myhdl` and `verilator_vs_myhdl` are the ratios of those rates.
"""
from __future__ import annotations

import statistics
import time
import warnings
from dataclasses import replace

import numpy as np

from chipkit.backends.array_gemm import MYHDL_PE_CYCLES_PER_S, check_size
from chipkit.checks import check_flag, check_int, check_real, show
from chipkit.config import ArrayConfig, CoreConfig, check_config
from chipkit.errors import ConfigError, SimulationError
from chipkit.flow import tools
from chipkit.models import array_fast
from chipkit.models.array_schedule import Schedule, build

#: (array, dataflow) pairs and the GEMM (M, N, K) `chipkit bench` measures
CASES = (("4x4", "ws"), ("8x8", "ws"), ("4x4", "os"), ("8x8", "os"))
GEMM = (64, 64, 64)
#: MyHDL seconds allowed per case (a guess from MYHDL_PE_CYCLES_PER_S decides how many folds run)
MYHDL_SECONDS = 5.0
FAST_REPEATS = 5
#: arrays that also get a Verilator column when Verilator is installed (a build takes a few s, once)
VERILATOR_ARRAYS = ("8x8",)
#: (L, (M, N, K)): the core GEMMs of the core_vs_scalesim_ws rows (M >= 2L: a few rows of A
#: stream through each weight tile), on CoreConfig(lanes=L)'s default DRAM
CORE_CASES = tuple((lanes, gemm) for lanes in (4, 8)
                   for gemm in ((16, 32, 32), (32, 64, 64), (64, 64, 64)))
#: (L, (M, N, K)): the core_speed rows -- one compiled GEMM per core size, a few thousand cycles
#: (the MyHDL core runs ~1-2 k cycles/s)
CORE_SPEED_CASES = ((4, (32, 32, 32)), (8, (32, 64, 64)))


def _gemm(gemm, name: str = "gemm") -> tuple[int, int, int]:
    """(M, N, K) as three positive ints within check_size's bounds, else a ConfigError."""
    if isinstance(gemm, (str, bytes)) or not hasattr(gemm, "__len__") or len(gemm) != 3:
        raise ConfigError(f"{name} must be (M, N, K), three positive integers such as "
                          f"(64, 64, 64), got {show(gemm)}")
    m, n, k = (check_int(v, f"{name}'s {d}", lo=1) for v, d in zip(gemm, "MNK"))
    check_size(m, n, k)
    return m, n, k


def _pairs(cases, name: str, example: str) -> list[tuple]:
    """`cases` as a list of 2-tuples, else a ConfigError naming `name` with an `example`."""
    if isinstance(cases, (str, bytes)) or not hasattr(cases, "__iter__"):
        raise ConfigError(f"{name} must be a list of pairs such as {example}, got {show(cases)}")
    out = [tuple(c) if isinstance(c, (tuple, list)) else c for c in cases]
    bad = next((c for c in out if not isinstance(c, tuple) or len(c) != 2), None)
    if bad is not None or not out:
        raise ConfigError(f"{name} must be a non-empty list of pairs such as {example}, got "
                          f"{show(bad if bad is not None else cases)}")
    return out


def _array_cases(cases) -> list[ArrayConfig]:
    pairs = _pairs(cases, "cases", "[('4x4', 'ws'), ('8x8', 'os')]")
    for a, d in pairs:
        if not isinstance(a, str) or not isinstance(d, str):
            raise ConfigError(f"cases holds (array, dataflow) pairs of text, such as ('4x4', "
                              f"'ws'); got {show((a, d))}")
    return [ArrayConfig.parse(a, d) for a, d in pairs]


def _core_cases(cases) -> list[tuple[CoreConfig, tuple]]:
    out = []
    for lanes, gemm in _pairs(cases, "cases", "[(4, (32, 32, 32)), (8, (32, 64, 64))]"):
        lanes = check_int(lanes, "cases' lanes (L of an L x L core)", lo=2, hi=64)
        out.append((CoreConfig(lanes=lanes), _gemm(gemm, "cases' GEMM")))
    return out


def _verilator(verilator) -> bool | None:
    return None if verilator is None else check_flag(verilator, "verilator")


def _rows(rows, name: str, made_by: str) -> list[dict]:
    """A list of dicts (what `made_by` returns), else a ConfigError."""
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, dict) for r in rows):
        raise ConfigError(f"{name} must be the list of rows {made_by} returns, got {show(rows)}")
    return list(rows)


def first_folds(s: Schedule, folds: int) -> Schedule:
    """The schedule of `s`'s first `folds` folds only (its product is then a partial sum)."""
    if not isinstance(s, Schedule):
        raise ConfigError(f"s must be a Schedule (chipkit.models.array_schedule.build(a, b, cfg)),"
                          f" got {show(s)}")
    folds = check_int(folds, "folds", lo=1, hi=s.folds)
    cut = lambda x: None if x is None else x[:folds]
    return replace(s, data={k: v[:folds] for k, v in s.data.items()}, tiles=s.tiles[:folds],
                   origins=s.origins[:folds], w_before=cut(s.w_before))


def measure(cfg: ArrayConfig, m: int, n: int, k: int, myhdl_seconds: float = MYHDL_SECONDS,
            seed: int = 0, verilator: bool | None = None) -> dict:
    """One bench row: the simulators on the same random int8 GEMM (M x K @ K x N) on `cfg`.

    verilator -- also time Verilator (True), or not (False); None: if `cfg` is in VERILATOR_ARRAYS
                 and Verilator is installed."""
    check_config(cfg, ArrayConfig)
    check_size(m, n, k)
    myhdl_seconds = check_real(myhdl_seconds, "myhdl_seconds")
    seed = check_int(seed, "seed", lo=0)
    verilator = _verilator(verilator)
    from chipkit.backends import array_rtl  # MyHDL: imported only when measured

    rng = np.random.default_rng(seed)
    s = build(rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n)), cfg)
    ref = array_fast.run(s)  # warm-up, and the outputs the RTL must reproduce
    times = []
    for _ in range(FAST_REPEATS):
        start = time.perf_counter()
        array_fast.run(s)
        times.append(time.perf_counter() - start)
    fast_s = statistics.median(times)

    budget = int(myhdl_seconds * MYHDL_PE_CYCLES_PER_S / (cfg.pes * s.steps))
    sub = first_folds(s, max(1, min(s.folds, budget)))
    start = time.perf_counter()
    got = array_rtl.run(sub)
    myhdl_s = time.perf_counter() - start
    if not (np.array_equal(got.c_out, ref.c_out[:sub.folds])
            and np.array_equal(got.c_valid, ref.c_valid[:sub.folds])):
        raise SimulationError(f"bench: the MyHDL array's outputs differ from the fast model's on "
                              f"{cfg.name} {cfg.dataflow}; run the tests (pytest tests/backends)")
    fast_rate, myhdl_rate = s.cycles / fast_s, sub.cycles / myhdl_s
    row = {
        "array": cfg.name, "dataflow": cfg.dataflow, "gemm": f"{m}x{n}x{k}",
        "folds": s.folds, "cycles": s.cycles,
        "fast_seconds": fast_s, "fast_cycles_per_s": fast_rate,
        "myhdl_folds": sub.folds, "myhdl_cycles": sub.cycles, "myhdl_seconds": myhdl_s,
        "myhdl_cycles_per_s": myhdl_rate,
        "fast_vs_myhdl": fast_rate / myhdl_rate,
    }
    if verilator is None:
        verilator = cfg.name in VERILATOR_ARRAYS and tools.which("verilator") is not None
    if verilator:
        row.update(measure_verilator(s, ref, myhdl_rate))
    return row


def measure_verilator(s: Schedule, ref, myhdl_rate: float) -> dict:
    """The Verilator keys of a bench row: `s` run whole on the converted array, `ref` the fast
    model's run of it."""
    from chipkit.backends import array_rtl
    from chipkit.flow import verilator as vl
    from chipkit.hdl.array import array_bench

    bench_ = array_bench(s.cfg)
    with warnings.catch_warnings():  # the arrays' edge registers feed nothing, by design
        warnings.filterwarnings("ignore", message="Signal is driven but not read")
        built = vl.build(bench_)
    vec = array_rtl.vectors(s)  # a reset step first, then every fold
    times, loops = [], []
    for _ in range(FAST_REPEATS):
        timing: dict = {}
        start = time.perf_counter()
        got = vl.simulate(built, bench_, vec, timing)
        times.append(time.perf_counter() - start)
        loops.append(timing.get("loop_seconds", float("nan")))
    c_out = array_rtl.unpack_lanes(got["c_out"][1:], s.cfg.cols).reshape(ref.c_out.shape)
    if not (np.array_equal(c_out, ref.c_out)
            and np.array_equal(got["c_valid"][1:].reshape(ref.c_valid.shape), ref.c_valid)):
        raise SimulationError(f"bench: the Verilator array's outputs differ from the fast "
                              f"model's on {s.cfg.name} {s.cfg.dataflow}; run the tests "
                              "(pytest tests/test_verilator.py)")
    seconds = statistics.median(times)
    rate = s.cycles / seconds  # the GEMM's cycles, as for the other columns (not the reset step)
    return {"verilator_build_s": built.seconds, "verilator_built": built.built,
            "verilator_seconds": seconds, "verilator_cycles_per_s": rate,
            "verilator_loop_cycles_per_s": s.cycles / statistics.median(loops),
            "verilator_vs_myhdl": rate / myhdl_rate}


def bench(cases=None, gemm=None, myhdl_seconds: float | None = None) -> list[dict]:
    """A row per (array, dataflow) in `cases` (default CASES), all on the GEMM `gemm` = (M, N, K)
    (default GEMM), MyHDL given about `myhdl_seconds` per row (default MYHDL_SECONDS); Verilator
    keys on the arrays in VERILATOR_ARRAYS when it is installed."""
    secs = MYHDL_SECONDS if myhdl_seconds is None else check_real(myhdl_seconds, "myhdl_seconds")
    configs = _array_cases(CASES if cases is None else cases)
    gemm = _gemm(GEMM if gemm is None else gemm)
    return [measure(cfg, *gemm, myhdl_seconds=secs) for cfg in configs]


def report(runs: list[dict]) -> str:
    """The rows as a table, with what each number means underneath."""
    runs = _rows(runs, "runs", "chipkit.bench.bench()")
    head = (f"{'array':6s} {'flow':4s} {'GEMM':>9s} {'cycles':>8s}  {'fast cyc/s':>11s}  "
            f"{'MyHDL cyc/s':>11s} {'(folds run)':>12s}  {'fast/MyHDL':>10s}")
    lines = [head]
    for r in runs:
        lines.append(f"{r['array']:6s} {r['dataflow']:4s} {r['gemm']:>9s} {r['cycles']:>8,}  "
                     f"{r['fast_cycles_per_s']:>11,.0f}  {r['myhdl_cycles_per_s']:>11,.0f} "
                     f"{'(' + str(r['myhdl_folds']) + '/' + str(r['folds']) + ')':>12s}  "
                     f"{r['fast_vs_myhdl']:>9,.0f}x")
    verilated = any("verilator_cycles_per_s" in r for r in runs)
    if verilated:
        lines[0] += f"  {'Verilator cyc/s':>15s}  {'Verilator/MyHDL':>15s}"
        for line, r in zip(range(1, len(lines)), runs):
            if "verilator_cycles_per_s" in r:
                lines[line] += (f"  {r['verilator_cycles_per_s']:>15,.0f}  "
                                f"{r['verilator_vs_myhdl']:>14,.0f}x")
            else:
                lines[line] += f"  {'-':>15s}  {'-':>15s}"
    lines.append(f"fast: median of {FAST_REPEATS} runs of the whole GEMM, all folds stepped "
                 "together; MyHDL: one run incl. elaboration, on the folds shown, outputs checked "
                 "against the fast model.")
    if verilated:
        r = next(r for r in runs if "verilator_cycles_per_s" in r)
        lines.append(f"Verilator: median of {FAST_REPEATS} runs of the whole GEMM incl. vector "
                     f"packing and process start (its step loop alone: "
                     f"{r['verilator_loop_cycles_per_s']:,.0f} cyc/s on {r['array']} "
                     f"{r['dataflow']}); binary {'built' if r['verilator_built'] else 'cached'}, "
                     f"{r['verilator_build_s']:.1f} s incl. conversion; outputs checked.")
    return "\n".join(lines)


def core_vs_scalesim(cases=None, seed: int = 0) -> dict:
    """`core_vs_scalesim_ws`: a row per (L, (M, N, K)) in `cases` (default CORE_CASES) -- the
    GEMM compiled for the core CoreConfig(lanes=L), run on the cycle model, its cycles over
    SCALE-Sim's WS count on an L x L array -- and the geometric mean of the ratios."""
    from chipkit.backends.core_gemm import core_gemm

    configs = _core_cases(CORE_CASES if cases is None else cases)
    rng = np.random.default_rng(check_int(seed, "seed", lo=0))
    rows = []
    for cfg, (m, n, k) in configs:
        r = core_gemm(rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n)), cfg)
        if not r.match_golden:
            raise SimulationError(f"bench: the core's product differs from numpy's on {r.array} "
                                  f"{m}x{n}x{k}; run the tests (pytest tests/backends)")
        rows.append({"core": r.array, "gemm": f"{m}x{n}x{k}", "m": m, "n": n, "k": k,
                     "dma_bytes_per_cycle": cfg.dma_bytes_per_cycle,
                     "dram_latency": cfg.dram_latency, "instructions": r.instructions,
                     "cycles": r.cycles, "scalesim_ws_cycles": r.scalesim_cycles,
                     "ratio": r.cycles / r.scalesim_cycles})
    return {"rows": rows, "geomean": statistics.geometric_mean(r["ratio"] for r in rows)}


def _core_same(a, b) -> bool:
    """Two core runs (core_fast / core_rtl results) agree: counters, every memory, DRAM."""
    return (a.counters == b.counters and np.array_equal(a.state.dram, b.state.dram)
            and all(np.array_equal(a.state.mems[m], b.state.mems[m]) for m in b.state.mems))


def core_speed_config(lanes: int, dram_image_bytes: int) -> CoreConfig:
    """The core of a core_speed row: CoreConfig(lanes) with its DRAM sized to the program's image
    (a power of two, at least 4 KB: MyHDL elaborates every DRAM byte as a signal)."""
    dram_image_bytes = check_int(dram_image_bytes, "dram_image_bytes", lo=1, hi=1 << 22)
    return CoreConfig(lanes=lanes, dram_bytes=max(4096, 1 << (dram_image_bytes - 1).bit_length()))


def measure_core(lanes: int, m: int, n: int, k: int, seed: int = 0,
                 verilator: bool | None = None) -> dict:
    """One core_speed row: a GEMM compiled for the core (chipkit.compiler.gemm) run on the cycle
    model (core_fast), the MyHDL core and (when installed) the Verilator core, all from `start` to
    `halted` of the same program; each simulator's final state must equal the model's.

    verilator -- time Verilator too (True) or not (False); None: when it is installed."""
    lanes = check_int(lanes, "lanes (L of an L x L core)", lo=2, hi=64)
    check_size(m, n, k)
    seed = check_int(seed, "seed", lo=0)
    verilator = _verilator(verilator)
    from chipkit.backends import core_rtl
    from chipkit.compiler.gemm import compile_gemm
    from chipkit.models import core_fast

    rng = np.random.default_rng(seed)
    a, b = rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))
    prog = compile_gemm(a, b, CoreConfig(lanes=lanes))
    cfg = core_speed_config(lanes, prog.dram.size)
    prog = compile_gemm(a, b, cfg)
    words, dram = prog.words, prog.dram
    ref = core_fast.run(words, cfg, dram)  # warm-up, and the state the RTLs must reach
    times = []
    for _ in range(FAST_REPEATS):
        start = time.perf_counter()
        core_fast.run(words, cfg, dram)
        times.append(time.perf_counter() - start)
    fast_s = statistics.median(times)
    start = time.perf_counter()
    mh = core_rtl.run_myhdl(cfg, words, dram)
    myhdl_total = time.perf_counter() - start
    if not _core_same(mh, ref) or mh.cycles != ref.cycles:
        raise SimulationError(f"bench: the MyHDL core's final state differs from the cycle "
                              f"model's on {cfg.array.name} {m}x{n}x{k}; run the tests "
                              "(pytest tests/hdl/test_core_rtl.py)")
    cycles = ref.cycles
    fast_rate, myhdl_rate = cycles / fast_s, cycles / mh.seconds
    row = {"core": cfg.array.name, "program": f"gemm {m}x{n}x{k}", "instructions": len(words),
           "dram_bytes": cfg.dram_bytes, "cycles": cycles,
           "fast_seconds": fast_s, "fast_cycles_per_s": fast_rate,
           "myhdl_seconds": mh.seconds, "myhdl_elaboration_s": myhdl_total - mh.seconds,
           "myhdl_cycles_per_s": myhdl_rate, "fast_vs_myhdl": fast_rate / myhdl_rate}
    if verilator is None:
        verilator = tools.which("verilator") is not None
    if not verilator:
        row["verilator_note"] = (f"Verilator not installed ({tools.TOOLS['verilator'][2]}): "
                                 "no Verilator column")
        return row
    from chipkit.backends import core_verilator as cv

    built = cv.build_core(cfg)
    loops = []
    for _ in range(FAST_REPEATS):
        vr = cv.run_built(built, cfg, words, dram)
        if not _core_same(vr, ref) or vr.cycles != cycles:
            raise SimulationError(f"bench: the Verilator core's final state differs from the "
                                  f"cycle model's on {cfg.array.name} {m}x{n}x{k}; run the tests "
                                  "(pytest tests/hdl/test_core_verilator.py)")
        loops.append(vr.seconds)
    v_s = statistics.median(loops)
    v_rate = cycles / v_s
    row.update({"verilator_build_s": built.seconds, "verilator_built": built.built,
                "verilator_seconds": v_s, "verilator_cycles_per_s": v_rate,
                "verilator_vs_myhdl": v_rate / myhdl_rate, "verilator_vs_fast": v_rate / fast_rate})
    return row


def core_speed(cases=None, verilator: bool | None = None) -> list[dict]:
    """The core's simulator speeds: a row per (L, (M, N, K)) in `cases` (default
    CORE_SPEED_CASES), each with `fast_vs_myhdl` (the cycle model vs the MyHDL core) and, when
    Verilator is installed, `verilator_vs_myhdl` (our goal: >= 300x); see measure_core."""
    configs = _core_cases(CORE_SPEED_CASES if cases is None else cases)
    verilator = _verilator(verilator)
    return [measure_core(cfg.lanes, *gemm, verilator=verilator) for cfg, gemm in configs]


def report_core(core: dict, speed: list[dict] | None = None) -> str:
    """The core_vs_scalesim_ws rows as a table, the geometric mean under them."""
    if not isinstance(core, dict) or "rows" not in core or "geomean" not in core:
        raise ConfigError(f"core must be the dict chipkit.bench.core_vs_scalesim() returns, got "
                          f"{show(core)}")
    _rows(core["rows"], "core['rows']", "chipkit.bench.core_vs_scalesim()")
    if not core["rows"]:
        raise ConfigError("core['rows'] is empty: there is nothing to report")
    lines = [f"{'core':5s} {'GEMM':>9s} {'instr':>6s} {'cycles':>8s} {'SCALE-Sim WS':>12s} "
             f"{'core/SCALE-Sim':>14s}"]
    for r in core["rows"]:
        lines.append(f"{r['core']:5s} {r['gemm']:>9s} {r['instructions']:>6,} {r['cycles']:>8,} "
                     f"{r['scalesim_ws_cycles']:>12,} {r['ratio']:>14.3f}")
    lines.append(f"{'geometric mean':>44s} {core['geomean']:>14.3f}")
    r = core["rows"][0]
    lines.append(f"core: the GEMM compiled for the inference core, operands from and back to DRAM "
                 f"({r['dma_bytes_per_cycle']} B/cycle, latency {r['dram_latency']}), on its "
                 "cycle model.")
    lines.append("SCALE-Sim WS: the array's compute only, fill and drain paid every fold; the core "
                 "streams tile after tile (the next weights load while one streams) but waits "
                 "for its DMA.")
    if speed:
        lines += ["", report_speed(speed)]
    return "\n".join(lines)


def report_speed(speed: list[dict]) -> str:
    """The core_speed rows as a table, with what each number means underneath."""
    speed = _rows(speed, "speed", "chipkit.bench.core_speed()")
    lines = [f"{'core':5s} {'program':>15s} {'cycles':>7s}  {'fast cyc/s':>10s} "
             f"{'MyHDL cyc/s':>11s} {'Verilator cyc/s':>15s}  {'fast/MyHDL':>10s} "
             f"{'Verilator/MyHDL':>15s}"]
    for r in speed:
        v = "verilator_cycles_per_s" in r
        lines.append(f"{r['core']:5s} {r['program']:>15s} {r['cycles']:>7,}  "
                     f"{r['fast_cycles_per_s']:>10,.0f} {r['myhdl_cycles_per_s']:>11,.0f} "
                     + (f"{r['verilator_cycles_per_s']:>15,.0f}" if v else f"{'-':>15s}")
                     + f"  {r['fast_vs_myhdl']:>9,.0f}x "
                     + (f"{r['verilator_vs_myhdl']:>14,.0f}x" if v else f"{'-':>15s}"))
    lines.append(f"core speed: the same compiled GEMM from start to halt on each simulator, final "
                 f"state checked against the cycle model; fast (core_fast): median of "
                 f"{FAST_REPEATS} whole runs; MyHDL: its clocked loop (elaboration excluded); "
                 f"Verilator: the C++ harness's clocked loop, median of {FAST_REPEATS} runs.")
    built = [r for r in speed if "verilator_build_s" in r]
    if built:
        lines.append("Verilator builds: " + ", ".join(
            f"{r['core']} {'built' if r['verilator_built'] else 'cached'} "
            f"{r['verilator_build_s']:.1f} s" for r in built) + " (the time to get the binary, "
            "conversion included when it ran).")
    notes = {r["verilator_note"] for r in speed if "verilator_note" in r}
    lines += sorted(notes)
    return "\n".join(lines)
