"""The core's behaviour, pinned: fixed programs (tests/pinned/core_runs.json, made by record.py)
give the same cycles, counters, final memories and DRAM on fast, rtl and verilator as when they
were recorded, and golden the same memories. A refactoring that changes any of them fails here."""
import numpy as np
import pytest
import record  # tests/pinned/record.py

from chipkit.backends import core_run
from chipkit.flow import tools

SPEC = record.load()
CASES = {case["name"]: (case, cfg, words, dram)
         for case, cfg, words, dram in record.cases(SPEC)}


def test_the_pins_are_many_and_varied():
    ops = {line.split()[0] for c in SPEC["cases"] for line in c.get("program", "").splitlines()
           if line.strip()}
    assert len(SPEC["cases"]) >= 12 and {c["cfg"]["lanes"] for c in SPEC["cases"]} == {2, 4, 8}
    assert ops >= {"dma.ld", "dma.st", "lw", "mm", "sync", "nop", "halt", "vshape", "vrq",
                   "vadd", "vrelu", "vgelu", "vsoftmax", "vlnorm", "vtrans", "vmove"}


@pytest.mark.parametrize("name", CASES)
def test_inputs_are_as_recorded(name):
    case, _, _, dram = CASES[name]
    assert record.digest(np.asarray(dram, np.uint8)) == case["dram_in"]


@pytest.mark.parametrize("name", CASES)
def test_golden(name):
    case, cfg, words, dram = CASES[name]
    state = core_run.run(words, cfg, dram, "golden").state
    got = {m: record.digest(state.mems[m]) for m in record.MEMS}
    assert got == case["expect"]["mems"]
    assert record.digest(state.dram) == case["expect"]["dram"]


@pytest.mark.parametrize("name", CASES)
def test_fast(name):
    case, cfg, words, dram = CASES[name]
    assert record.outcome(core_run.run(words, cfg, dram, "fast")) == case["expect"]


@pytest.mark.parametrize("name", CASES)
def test_rtl(name):
    case, cfg, words, dram = CASES[name]
    assert record.outcome(core_run.run(words, cfg, dram, "rtl")) == case["expect"]


@pytest.mark.hdl
@pytest.mark.parametrize("name", CASES)
def test_verilator(name):
    if tools.which("verilator") is None:
        if tools.hdl_required():
            pytest.fail("CHIPKIT_REQUIRE_HDL=1 but verilator is not installed")
        pytest.skip("verilator not installed")
    case, cfg, words, dram = CASES[name]
    assert record.outcome(core_run.run(words, cfg, dram, "verilator")) == case["expect"]
