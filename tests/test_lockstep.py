"""chipkit.lockstep and `chipkit lockstep`: the cycle model and the golden model agree on random
programs, and injected bugs are located exactly -- cycle, instruction, memory row and lane --
with every expectation computed from the program and a clean run, not written in by hand."""
import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from models.programs import random_programs  # tests/models/programs.py

from chipkit import isa
from chipkit import lockstep as ls
from chipkit.cli import main
from chipkit.compiler.gemm import compile_gemm
from chipkit.config import CoreConfig
from chipkit.models import core_fast, core_golden
from chipkit.models.core_fast import FastCore
from chipkit.numerics import wrap32

CFG = CoreConfig(lanes=4)


def gemm_program(m=16, k=16, n=8, seed=0):
    rng = np.random.default_rng(seed)
    return compile_gemm(rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n)), CFG)


def jobs(words, cfg=CFG, dram=None):
    """pc -> Job of a clean cycle-model run (issued, done)."""
    return {j.pc: j for j in core_fast.run(words, cfg, dram).timeline}


# --- the two models agree, and tracing changes nothing ---------------------------------------
@settings(max_examples=30, deadline=None)
@given(random_programs())
def test_fast_and_golden_agree_on_random_programs(example):
    cfg, text, dram = example
    run = ls.run_lockstep(text, cfg, dram)
    assert run.divergence is None, str(run.divergence)
    plain = core_fast.run(text, cfg, dram)
    assert run.a.counters == plain.counters and run.cycles == plain.cycles
    assert [s.pc for s in run.a.steps] == list(range(plain.counters["instructions"]))
    timeline = {j.pc: j for j in plain.timeline}
    for s in run.a.steps:
        j = timeline.get(s.pc)
        assert s.done == (j.done if j else None)
        if j:
            assert s.issued == j.issued
    assert sum(sum(s.stalls.values()) for s in run.a.steps) == sum(
        v for k, v in plain.counters.items() if k.startswith("stall_"))
    assert [s.pc for s in run.b.steps] == [s.pc for s in run.a.steps]
    assert all(s.issued is None and s.done is None for s in run.b.steps)


def _flip(state, key, lane):
    """Flip bit 0 of one lane of a row the way a broken write port would."""
    mem, row = key
    if mem == "dram":
        state.dram[row] ^= 1
    elif mem in ("w0", "w1"):
        state.w[int(mem[1]), row, lane] ^= 1
    elif mem == "scale":
        state.mems[mem][row, lane, 0] ^= 1
    else:
        state.mems[mem][row, lane] ^= 1


@settings(max_examples=30, deadline=None)
@given(random_programs(), st.data())
def test_a_corrupted_write_is_located_exactly(example, data):
    """A core that flips one lane of one row a chosen instruction writes: lockstep names that
    instruction, its finishing cycle, the row and the lane."""
    cfg, text, dram = example
    clean = ls.trace_fast(text, cfg, dram)
    writers = [s for s in clean.steps if s.writes]
    if not writers:
        return
    step = data.draw(st.sampled_from(writers))
    key = data.draw(st.sampled_from(sorted(step.writes)))
    lane = data.draw(st.integers(0, len(step.writes[key]) - 1))

    class Corrupt(FastCore):
        def _apply(self, job):
            super()._apply(job)
            if job.pc == step.pc:
                _flip(self.state, key, lane)

    d = ls.lockstep(ls.trace_fast(text, cfg, dram, core=Corrupt), ls.trace_golden(text, cfg, dram),
                    text)
    assert (d.kind, d.pc, d.cycle, d.memory, d.row, d.lane) == (
        "write", step.pc, step.done, key[0], key[1], lane)
    assert d.b_value == step.writes[key][lane] != d.a_value


OVERTAKE = """\
dma.ld mem=sram, row=0, dram=0, rows=8
sync units=1
lw row=0, buf=0
sync units=2
dma.ld mem=sram, row=16, dram=0, rows=64   # long
mm a=0, rows=2, acc=0, buf=0               # issued later, finished first
halt
"""


def test_divergences_are_taken_in_cycle_order_not_program_order():
    class Corrupt(FastCore):
        """Corrupts the first row written by the long DMA (pc 4) and by the mm (pc 5)."""

        def _apply(self, job):
            super()._apply(job)
            if job.pc in (4, 5):
                _flip(self.state, min(job.writes), 0)

    clean = jobs(OVERTAKE)
    assert clean[5].done < clean[4].done  # the mm overtakes the DMA issued before it
    d = ls.lockstep(ls.trace_fast(OVERTAKE, CFG, core=Corrupt), ls.trace_golden(OVERTAKE, CFG),
                    OVERTAKE)
    assert (d.pc, d.cycle, d.memory, d.row, d.lane) == (5, clean[5].done, "acc", 0, 0)


# --- injected bugs, each located exactly ----------------------------------------------------
class NoAccumulate(FastCore):
    """An array that forgets to add to ACC: every mm overwrites."""

    def _apply(self, job):
        if job.instr.op.mnemonic == "mm" and job.instr.args["accumulate"]:
            job = replace(job, instr=isa.make("mm", **{**job.instr.args, "accumulate": 0}))
        super()._apply(job)


class SlowDma(FastCore):
    """A DMA that takes one cycle longer than the spec."""

    def _duration(self, instr):
        return super()._duration(instr) + (instr.op.unit == "dma")


class SlowArray(FastCore):
    """An array that takes one more cycle before it accepts the next mm."""

    def _issue(self, instr):
        super()._issue(instr)
        if instr.op.mnemonic == "mm":
            self.mm_free += 1


def test_mm_ignoring_accumulate_is_located():
    prog = gemm_program()
    pc = next(i for i, ins in enumerate(prog.instructions)
              if ins.op.mnemonic == "mm" and ins.args["accumulate"])
    a = prog.instructions[pc].args
    halt = isa.encode(isa.make("halt"))
    # the state the mm starts from
    before = core_golden.run(prog.words[:pc] + [halt], CFG, prog.dram).state
    acc = before.mems["acc"][a["acc"]:a["acc"] + a["rows"]]
    row, lane = (int(x) for x in np.argwhere(acc != 0)[0])  # first lane that had something
    x = before.mems["sram"][a["a"] + row]
    product = int(x @ before.w[a["buf"]][:, lane])

    d = ls.lockstep(ls.trace_fast(prog.words, CFG, prog.dram, core=NoAccumulate),
                    ls.trace_golden(prog.words, CFG, prog.dram), prog.words)
    assert (d.kind, d.pc, d.memory, d.row, d.lane) == ("write", pc, "acc", a["acc"] + row, lane)
    assert d.cycle == jobs(prog.words, dram=prog.dram)[pc].done
    assert d.a_value == wrap32(product) and d.b_value == wrap32(int(acc[row, lane]) + product)
    assert d.instr == str(prog.instructions[pc])
    lines = str(d).splitlines()
    assert lines[0] == f"NoAccumulate and golden diverge at cycle {d.cycle}, pc {pc}: {d.instr}"
    assert lines[1] == (f"  ACC row {d.row}, lane {lane}: NoAccumulate wrote {d.a_value}, golden "
                        f"wrote {d.b_value}")


@pytest.mark.parametrize("slow_first", [False, True])
def test_a_dma_one_cycle_late_is_located(slow_first):
    prog = gemm_program()
    pc = next(i for i, ins in enumerate(prog.instructions) if ins.op.unit == "dma")
    done = jobs(prog.words, dram=prog.dram)[pc].done
    fast = ls.trace_fast(prog.words, CFG, prog.dram)
    slow = ls.trace_fast(prog.words, CFG, prog.dram, core=SlowDma)
    d = ls.lockstep(slow, fast, prog.words) if slow_first else ls.lockstep(fast, slow, prog.words)
    assert (d.kind, d.pc, d.cycle) == ("done", pc, done)
    assert (d.a_value, d.b_value) == ((done + 1, done) if slow_first else (done, done + 1))
    assert d.memory is None and d.stalls == {}  # nothing has waited on it yet
    assert "results were in place at the end of cycle" in str(d)


def test_an_issue_divergence_names_the_stalls():
    prog = gemm_program()
    mms = [i for i, ins in enumerate(prog.instructions) if ins.op.mnemonic == "mm"]
    clean = jobs(prog.words, dram=prog.dram)
    # the first mm that waited for the array: it issues exactly when the previous one freed it
    pc = next(p for q, p in zip(mms, mms[1:])
              if clean[p].issued == clean[q].start + prog.instructions[q].args["rows"] - 1)
    d = ls.lockstep(ls.trace_fast(prog.words, CFG, prog.dram),
                    ls.trace_fast(prog.words, CFG, prog.dram, core=SlowArray), prog.words)
    assert (d.kind, d.pc, d.cycle, d.a_value, d.b_value) == (
        "issue", pc, clean[pc].issued, clean[pc].issued, clean[pc].issued + 1)
    waited = sum(s.stalls.get("mm_busy", 0) for s in ls.trace_fast(
        prog.words, CFG, prog.dram).steps[:pc + 1])
    assert d.stalls == {"mm_busy": (waited, waited + 1)}
    assert str(d).splitlines()[-1] == (f"  stall cycles before it issued: mm_busy {waited} on "
                                       f"fast, {waited + 1} on SlowArray")


VRELU = """\
dma.ld mem=sram, row=0, dram=0, rows=2
sync units=1
vshape rows=2
vrelu dst=8, src=0
sync units=8
dma.st mem=sram, row=8, dram=256, rows=2
halt
"""


class FlipLastLane(FastCore):
    """A vector unit whose last lane comes out with bit 0 flipped."""

    def _apply(self, job):
        super()._apply(job)
        if job.instr.op.mnemonic == "vrelu":
            for _, row in sorted(job.writes):
                self.state.mems["sram"][row, -1] ^= 1


def test_the_report_a_student_reads():
    dram = np.arange(-100, 100, 25, dtype=np.int8).view(np.uint8)  # two rows of 4 lanes
    relu = np.maximum(dram.view(np.int8).astype(int), 0)
    vr = jobs(VRELU, dram=dram)[3]
    run = ls.run_lockstep(VRELU, CFG, dram)
    assert run.divergence is None and run.summary() == (
        f"no divergence in 7 instructions, {run.cycles} cycles")
    ls_trace = ls.trace_fast(VRELU, CFG, dram, core=FlipLastLane)
    d = ls.lockstep(ls_trace, ls.trace_golden(VRELU, CFG, dram), VRELU)
    assert str(d) == (
        f"FlipLastLane and golden diverge at cycle {vr.done}, pc 3: vrelu dst=8, src=0\n"
        f"  SRAM row 8, lane 3: FlipLastLane wrote {relu[3] ^ 1}, golden wrote {relu[3]}\n"
        f"  issued at cycle {vr.issued}, done at {vr.done} on FlipLastLane")


def test_a_store_to_dram_names_the_byte():
    class FlipStore(FastCore):
        def _apply(self, job):
            super()._apply(job)
            if job.instr.op.mnemonic == "dma.st":
                self.state.dram[256 + 5] ^= 1

    dram = np.arange(8, dtype=np.uint8)
    d = ls.lockstep(ls.trace_golden(VRELU, CFG, dram),
                    ls.trace_fast(VRELU, CFG, dram, core=FlipStore), VRELU)
    assert (d.kind, d.pc, d.memory, d.row, d.lane, d.a_value, d.b_value) == (
        "write", 5, "dram", 261, 0, 5, 4)
    assert d.cycle == jobs(VRELU, dram=dram)[5].done
    assert "DRAM byte 261 (0x105): golden wrote 5, FlipStore wrote 4" in str(d)


def test_missing_steps_and_counters():
    golden = ls.trace_golden(VRELU, CFG)
    short = ls.Trace("short", golden.steps[:4], golden.counters)
    d = ls.lockstep(golden, short, VRELU)
    assert (d.kind, d.pc, d.cycle) == ("missing", 4, None)
    assert "golden executed it, short stopped before it" in str(d)
    odd = ls.Trace("odd", golden.steps, {**golden.counters, "macs": 1})
    d = ls.lockstep(golden, odd, VRELU)
    assert (d.kind, d.counter, d.a_value, d.b_value, d.pc) == ("counter", "macs", 0, 1, 6)
    unwritten = ls.Trace("unwritten", [replace(s, writes={}) for s in golden.steps],
                         golden.counters)
    d = ls.lockstep(golden, unwritten, VRELU)
    assert (d.kind, d.pc, d.memory, d.row, d.lane, d.b_value) == ("write", 0, "sram", 0, None,
                                                                  None)
    assert "SRAM row 0: golden wrote (0, 0, 0, 0), unwritten did not write it" in str(d)


# --- the command --------------------------------------------------------------------------
@pytest.fixture
def files(tmp_path):
    prog = gemm_program()
    (tmp_path / "g.s").write_text(prog.text)
    prog.dram.tofile(tmp_path / "g.bin")
    return prog, tmp_path / "g.s", tmp_path / "g.bin"


def test_cli_agrees(files, capsys):
    prog, src, dram = files
    cycles = core_fast.run(prog.words, CFG, prog.dram).cycles
    assert main(["lockstep", str(src), "--lanes", "4", "--dram", str(dram)]) == 0
    assert capsys.readouterr().out == (f"no divergence in {len(prog.words)} instructions, "
                                       f"{cycles:,} cycles\n")
    assert main(["lockstep", str(src), "--lanes", "4", "--dram", str(dram), "--a", "golden",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d == {"a": "golden", "b": "golden", "diverged": False,
                 "instructions": len(prog.words), "cycles": None, "divergence": None}


def test_cli_reports_a_divergence(files, capsys, monkeypatch):
    prog, src, dram = files
    monkeypatch.setitem(ls.TRACERS, "noacc", lambda w, c, d: ls.trace_fast(w, c, d, NoAccumulate))
    assert main(["lockstep", str(src), "--lanes", "4", "--dram", str(dram), "--a", "noacc"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("noacc and golden diverge at cycle ") and 3 <= len(
        out.splitlines()) <= 6
    assert main(["lockstep", str(src), "--lanes", "4", "--dram", str(dram), "--a", "noacc",
                 "--json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["diverged"] and d["divergence"]["kind"] == "write"
    assert d["divergence"]["memory"] == "acc" and d["divergence"]["a"] == "noacc"


@pytest.mark.parametrize("args, message", [
    (["--a", "gpu"], "unknown backend 'gpu' for lockstep; choose from golden, fast, rtl"),
    (["--dram", "missing.bin"], "--dram missing.bin: no such file"),
    (["--lanes", "3"], "core lanes must be a power of two"),
])
def test_cli_errors_are_one_line(files, capsys, monkeypatch, args, message):
    _, src, _ = files
    monkeypatch.chdir(src.parent)
    assert main(["lockstep", "g.s", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chipkit: error: {message}") and err.count("\n") == 1


def test_cli_bad_programs(tmp_path, capsys):
    bad = tmp_path / "bad.s"
    bad.write_text("dma.ld mem=sram, row=0\nhalt\n")
    racy = tmp_path / "racy.s"
    racy.write_text(VRELU.replace("sync units=8\n", ""))
    for path, message in ((tmp_path / "none.s", "none.s: no such program file"),
                          (bad, "line 1, column 23: dma.ld needs operand 'dram'"),
                          (racy, "pc 4 (dma.st mem=sram, row=8, dram=256, rows=2, stride=0): "
                                 "touches SRAM row 8 while pc 3")):
        assert main(["lockstep", str(path), "--lanes", "4"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_cli_refuses_a_long_rtl_lockstep_at_once(tmp_path, capsys):
    """About a million cycles against the MyHDL core is refused in a second or two with the
    estimate (it ran for 12 minutes, silently), before anything is built."""
    prog = tmp_path / "long.s"
    prog.write_text("dma.ld mem=sram, row=0, dram=0, rows=1000\nsync units=1\n" * 1000 + "halt\n")
    assert main(["lockstep", str(prog), "--a", "rtl"]) == 2
    err = capsys.readouterr().err
    assert "would simulate 1,012,001 cycles of the 8x8 core" in err and "min at ~" in err
    assert "max_cycles=1012001" in err and err.count("\n") == 1
