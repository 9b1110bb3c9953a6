"""The core's converted Verilog, compiled by Verilator (chipkit.backends.core_verilator), against
the cycle model on random valid programs, vector ops included: the same memories and DRAM, the
same cycles and counters. A few programs through Icarus as well (chipkit.backends.core_icarus),
on the very Verilog Verilator compiled.

Builds go to the usual cache (chipkit.flow.verilator.cache_root: $CHIPKIT_CACHE/verilator, else
~/.cache/chipkit/verilator): the first session builds the three configurations below (~10 s
each), later ones only convert (to compute the key) and find them.
"""
import time
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models.programs import overlap_sweep, random_programs  # tests/models/programs.py

from chipkit import isa
from chipkit.backends import core_icarus, core_rtl
from chipkit.backends import core_verilator as cv
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError, ToolMissing
from chipkit.flow import tools
from chipkit.flow import verilator as vl
from chipkit.models import core_fast
from chipkit.models.core_golden import ProgramError

pytestmark = pytest.mark.hdl

SMALL = CoreConfig(lanes=2, sram_rows=64, acc_rows=32, param_rows=4, scale_rows=4,
                   dram_bytes=1 << 14, dma_bytes_per_cycle=3, dram_latency=7)
#: one build each: L = 2, 4, 8 with DMA bandwidth below, equal to and above a row's bytes
CONFIGS = (SMALL, replace(SMALL, lanes=4, dma_bytes_per_cycle=16, dram_latency=1),
           replace(SMALL, lanes=8, dma_bytes_per_cycle=5, dram_latency=12))
MEMS = ("sram", "acc", "param", "scale", "lut")


def _need(name):
    if tools.which(name) is None:
        msg = f"{name} not installed ({tools.TOOLS[name][2]})"
        if tools.hdl_required():
            pytest.fail(f"CHIPKIT_REQUIRE_HDL=1 but {msg}")
        pytest.skip(msg)


@pytest.fixture(scope="session")
def builds():
    """{cfg: CoreBuild}, each configuration built (or found in the cache) once a session."""
    _need("verilator")
    return {cfg: cv.build_core(cfg) for cfg in CONFIGS}


def cases(max_actions, actions=None, configs=CONFIGS):
    kw = {} if actions is None else {"actions": actions}
    return st.sampled_from(configs).flatmap(
        lambda cfg: random_programs(cfg=cfg, max_actions=max_actions, **kw))


def first_difference(got, want) -> str | None:
    """The first differing counter or memory row, said in words (None: the runs agree)."""
    for k in want.counters:
        if got.counters.get(k) != want.counters[k]:
            return f"counter {k}: {got.counters.get(k)} vs {want.counters[k]}"
    if got.cycles != want.cycles:
        return f"cycles {got.cycles} vs {want.cycles}"
    for mem in MEMS:
        a, b = np.asarray(got.state.mems[mem]), np.asarray(want.state.mems[mem])
        bad = np.argwhere(a != b)
        if bad.size:
            row = bad[0][0]
            return f"{mem} row {row}: {a[row].tolist()} vs {b[row].tolist()}"
    bad = np.flatnonzero(got.state.dram != want.state.dram)
    if bad.size:
        return f"dram byte {bad[0]}: {got.state.dram[bad[0]]} vs {want.state.dram[bad[0]]}"
    return None


def check(run, cfg, text, dram):
    words = isa.program_words(text)
    fast = core_fast.run(words, cfg, dram)
    got = run(cfg, words, dram, 20 * fast.cycles + 1000)
    diff = first_difference(got, fast)
    assert diff is None, f"{got.backend} differs from core_fast on {cfg}:\n{text}\n{diff}"
    assert got.counters == fast.counters


def on_verilator(builds):
    return lambda cfg, words, dram, limit: cv.run_built(builds[cfg], cfg, words, dram, limit)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(max_actions=12))
def test_verilator_equals_fast_on_random_programs(builds, case):
    check(on_verilator(builds), *case)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(max_actions=40))
def test_verilator_equals_fast_on_long_programs(builds, case):
    check(on_verilator(builds), *case)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(max_actions=10))
def test_icarus_equals_fast(builds, case):
    _need("iverilog")
    check(lambda cfg, words, dram, limit: core_icarus.run_icarus(
        cfg, words, dram, vfile=builds[cfg].verilog, max_cycles=limit), *case)


@pytest.mark.parametrize("lanes", [2, 4, 8])
def test_verilator_equals_fast_on_every_legal_overlap(builds, lanes):
    """Every placement of a small grid of shapes (tests/models/programs.py overlap_cases) that
    keeps the overlap rule of docs/isa.md: in place, below the source, interleaved with it."""
    cfg = next(c for c in CONFIGS if c.lanes == lanes)
    for text, dram in overlap_sweep(cfg):
        check(on_verilator(builds), cfg, text, dram)


def test_the_rtl_reads_its_own_result_where_the_rule_refuses(builds):
    """Why the rule exists: `vmove dst=src+3` over 4 rows, run on the RTL behind the models' back
    (run_built checks nothing), copies row 0 twice: step 3 reads row src+3 = dst, which step 0 had
    already overwritten; the golden model, which reads first, refuses the program."""
    text = ("dma.ld mem=sram, row=0, dram=0, rows=8\nsync units=1\nvshape rows=4\n"
            "vmove dst=3, src=0\nsync units=8\nhalt\n")
    dram = np.arange(16, dtype=np.uint8)  # SRAM row r holds (2r, 2r + 1)
    with pytest.raises(ProgramError, match=r"pc 3 \(vmove dst=3, src=0\): writes SRAM row 3 at "
                                           r"logical row 0, chunk 0, then reads it \(src\) at "
                                           r"logical row 3, chunk 0"):
        core_fast.run(text, SMALL, dram)
    got = cv.run_built(builds[SMALL], SMALL, isa.program_words(text), dram).state.mems["sram"]
    assert got[3:7, 0].tolist() == [0, 2, 4, 0]  # the golden model would give [0, 2, 4, 6]


def test_the_backend_runs_through_core_rtl(builds):
    """core_verilator.run checks the program with the model, then runs it here; the
    final state is the model's and `seconds` is the harness's loop time."""
    text = "dma.ld mem=sram, row=3, dram=16000, rows=2, stride=0\nsync units=1\nhalt\n"
    dram = (np.arange(16010) % 251).astype(np.uint8)
    # it reaches byte 16003: the build's DRAM rounds up to 16 KB, SMALL's (the build above)
    assert core_rtl.dram_needed(SMALL, isa.program_words(text)) == 16008
    t0 = time.perf_counter()
    run = cv.run(text, SMALL, dram)
    wall = time.perf_counter() - t0
    fast = core_fast.run(text, SMALL, dram)
    assert run.backend == "verilator" and first_difference(run, fast) is None
    assert run.state.mems["sram"][3:5].tolist() == dram[16000:16004].view(np.int8).reshape(
        2, 2).tolist()
    assert 0 < run.seconds < wall  # the harness's own loop, a part of the whole call


def test_a_second_build_does_not_compile(builds, monkeypatch):
    """A new process (no memo) finds the build through the source index, converting and
    compiling nothing; without the index it converts, finds the build by its Verilog and compiles
    nothing. The cache entry keeps the build's log."""
    first = builds[SMALL]
    assert (first.binary.parent / "build.log").read_text().startswith(vl._verilator()[1])

    def refused(*a, **kw):
        raise AssertionError("converted or compiled again")

    monkeypatch.setattr(cv, "_BUILDS", {})
    monkeypatch.setattr(vl, "compile_into", refused)
    with monkeypatch.context() as m:
        m.setattr(cv, "convert_core", refused)
        again = cv.build_core(SMALL)
    assert (again.built, again.binary, again.key) == (False, first.binary, first.key)
    memo = cv.build_core(SMALL)  # this process's memo
    assert (memo.built, memo.binary) == (False, first.binary)
    index = vl.cache_root() / "index" / cv.source_key(SMALL, cv.IMEM_DEPTH, True,
                                                      vl._verilator()[1])
    assert index.read_text() == first.binary.parent.name
    index.unlink()
    monkeypatch.setattr(cv, "_BUILDS", {})
    found = cv.build_core(SMALL)  # converts to compute the key; compiles nothing
    assert (found.built, found.binary, found.key) == (False, first.binary, first.key)
    assert index.read_text() == first.binary.parent.name


def test_the_cache_key_ignores_myhdl_set_order():
    """MyHDL writes reset assignments and sensitivity lists in set order (new in each process)."""
    a = "always @(b, a, c) begin: x\n    y = a;\nend\n"
    b = "always @(c, a, b) begin: x\n    y = a;\nend\n"
    assert cv.canonical(a) == cv.canonical(b) != cv.canonical(a.replace("c)", "d)"))


def test_a_program_that_never_halts_is_a_clear_error(builds):
    with pytest.raises(ConfigError, match="did not halt within 500 cycles"):
        cv.run_built(builds[SMALL], SMALL, [0] * 4, None, max_cycles=500)  # nops, then nothing


def test_too_long_a_program_is_refused():
    with pytest.raises(ConfigError, match="holds 4096 instructions"):
        cv.run_verilator(SMALL, [0] * (cv.IMEM_DEPTH + 1))


def test_no_verilator_is_one_line_saying_how_to_install(monkeypatch):
    monkeypatch.setattr(tools, "which", lambda name: None)
    monkeypatch.setattr(cv, "_BUILDS", {})
    with pytest.raises(ToolMissing) as err:
        cv.run_verilator(SMALL, isa.program_words("halt\n"))
    msg = str(err.value)
    assert "\n" not in msg and "verilator is not installed" in msg and vl.INSTALL in msg
