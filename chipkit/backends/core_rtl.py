"""The RTL backends of the inference core: a program run on the MyHDL core (chipkit.hdl.core), or on
its Verilog compiled by Verilator, giving the same final state and counters as the cycle model.

Every run goes through the core's host port the same way: reset, write the program and the DRAM
image, pulse `start`, clock until `halted`, read the memories and counters back. (The MyHDL run
puts the DRAM image straight into the DRAM's signals before the first edge and reads the memories
from its probe: a host write is a clock cycle of the whole core, and a 1 MB image took 77 s to
load; Verilator and Icarus use the port both ways.) The program is first checked by the cycle model
(chipkit.models.core_fast), which names the program counter and the instruction of an illegal
program; the hardware itself does not police programs. The cycle model's count also says, before
anything is elaborated, how long MyHDL would take: run() refuses what would take more than about
a minute (check_budget) unless asked.
"""
from __future__ import annotations

import time

import numpy as np
from myhdl import ResetSignal, Signal, StopSimulation, instance

from chipkit import isa
from chipkit.checks import check_int, show
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError
from chipkit.flow.sim import clock_gen
from chipkit.flow.sim import run as run_sim
from chipkit.hdl.core import core
from chipkit.hdl.core_host import (
    HOST_COUNTERS,
    HOST_DRAM,
    HOST_IMEM,
    host_signals,
    words_per_row,
)
from chipkit.isa import row_bytes
from chipkit.models import core_fast
from chipkit.models.core_golden import CoreRun, CoreState, unpack_rows
from chipkit.timing import COUNTERS

#: the row memories, by ISA code
ROW_MEMS = {name: m.code for name, m in isa.MEMORIES.items()}
#: the MyHDL core's simulated cycles per second by lanes, for estimates. Measured on a
#: laptop-class core running a compiled GEMM, elaboration apart: 2 lanes ~3400, 4 ~2400,
#: 8 ~870, 16 ~430; tracing it for lockstep costs up to a third more; 32 and 64 lanes scaled
#: from 16 by the PEs. The figures below are lower, so that estimates do not promise too much;
#: `chipkit bench` measures yours
MYHDL_CORE_CYCLES_PER_S = {2: 2000, 4: 1300, 8: 700, 16: 250, 32: 70, 64: 18}
#: what run() and trace_myhdl() start without being asked: about a minute of MyHDL
RTL_MAX_SECONDS = 60


def myhdl_seconds(cfg: CoreConfig, cycles: int) -> float:
    """About how long the MyHDL core `cfg` takes to simulate `cycles` cycles (elaboration apart)."""
    return cycles / MYHDL_CORE_CYCLES_PER_S[cfg.lanes]


def rtl_cycle_limit(cfg: CoreConfig) -> int:
    """The most cycles run() and trace_myhdl() simulate on `cfg` unless given max_cycles."""
    return int(RTL_MAX_SECONDS * MYHDL_CORE_CYCLES_PER_S[cfg.lanes])


def _took(seconds: float) -> str:
    if seconds < 120:
        return f"~{seconds:.0f} s"
    return f"~{seconds / 60:.0f} min" if seconds < 7200 else f"~{seconds / 3600:.0f} h"


def check_budget(cfg: CoreConfig, cycles: int, max_cycles=None,
                 instead: str = "use --backend verilator (the same RTL compiled, hundreds of "
                 "times faster) or --backend fast (the cycle model: the same cycles)",
                 runs: int = 1) -> None:
    """Refuse, before anything is elaborated, `runs` MyHDL simulations of a program of `cycles`
    cycles (the cycle model's count) that would take long: more than `max_cycles` in all (None:
    rtl_cycle_limit(cfg), about a minute). The ConfigError gives the estimate and says what to do
    `instead`, or how to wait."""
    limit = rtl_cycle_limit(cfg) if max_cycles is None else check_max_cycles(max_cycles)
    total = runs * cycles
    if total > limit:
        rate = MYHDL_CORE_CYCLES_PER_S[cfg.lanes]
        what = f"{runs} x {cycles:,}" if runs > 1 else f"{cycles:,}"
        raise ConfigError(
            f"the MyHDL core would simulate {what} cycles of the {cfg.lanes}x{cfg.lanes} core "
            f"({_took(total / rate)} at ~{rate:,} cycles/s), more than max_cycles={limit:,} "
            f"(about {_took(limit / rate)[1:]}): {instead}, or a shorter program; to wait for "
            f"it, give --max-cycles {total} (max_cycles={total} in Python)")


def check_max_cycles(max_cycles) -> int:
    """max_cycles as a positive int, else a ConfigError naming it."""
    return check_int(max_cycles, "max_cycles (the most cycles to simulate in MyHDL)", lo=1)


def check_progress(progress) -> None:
    """progress is None or a callable progress(done, total)."""
    if progress is not None and not callable(progress):
        raise ConfigError(f"progress must be None or a function progress(done, total), got "
                          f"{show(progress)}")


def dram_image(cfg: CoreConfig, dram=None) -> np.ndarray:
    """The DRAM of `cfg` as it starts: `dram` (bytes from address 0; checked as the models check
    it) and zeros beyond -- uint8 [cfg.dram_bytes]."""
    return CoreState.fresh(cfg, dram).dram


def host_writes(cfg: CoreConfig, words, dram=None) -> list[tuple[int, int, int]]:
    """(host_mem, host_addr, word) writes that load a program and a DRAM image: every instruction,
    and the DRAM words that are not zero (the core's memories start at zero)."""
    out = [(HOST_IMEM, i, int(w)) for i, w in enumerate(words)]
    if dram is not None:
        img = np.zeros(-(-cfg.dram_bytes // 8) * 8, dtype=np.uint8)
        img[: cfg.dram_bytes] = dram_image(cfg, dram)
        w64 = img.view("<u8")
        out += [(HOST_DRAM, int(i), int(w64[i])) for i in np.flatnonzero(w64)]
    return out


def unpack_raw(mem: str, rows: list[int], lanes: int) -> np.ndarray:
    """Raw rows of an on-chip memory (Python ints, each the row's DRAM image, as the RTL holds
    it) -> the model's rows (chipkit.models.core_golden.unpack_rows)."""
    nb = row_bytes(mem, lanes)
    data = np.array([[(r >> (8 * b)) & 255 for b in range(nb)] for r in rows],
                    dtype=np.uint8).reshape(len(rows), nb)
    return unpack_rows(mem, data, lanes)


def rows_to_state(cfg: CoreConfig, raw: dict, dram_bytes: np.ndarray, counters: dict,
                  ) -> CoreState:
    """Raw memory rows (Python ints, each the row's DRAM image) -> a CoreState."""
    state = CoreState.fresh(cfg)
    for mem, rows in raw.items():
        state.mems[mem] = unpack_raw(mem, rows, cfg.lanes)
    state.dram = dram_bytes
    state.halted = True
    state.counters = {k: counters[k] for k in ("instructions", "macs", "dma_bytes")}
    return state


def _lut_rows(cfg: CoreConfig, bits: int) -> list[int]:
    w = 8 * cfg.lanes
    return [(bits >> (w * r)) & ((1 << w) - 1) for r in range(cfg.lut_rows)]


def run_myhdl(cfg: CoreConfig, words, dram=None, max_cycles: int = 2_000_000,
              vector: bool = True, on_cycle=None, progress=None, total=None) -> CoreRun:
    """Run on the MyHDL core: the program through the host port, the DRAM image (at most
    cfg.dram_bytes) straight into the DRAM's signals before the first edge (a delta cycle, not
    a clock cycle a word), read back from the memories.

    max_cycles -- a program still running after this many cycles is a ConfigError
    on_cycle -- None, or called as on_cycle(cycle, probe) in every cycle of the program (between
                clock edges), with the core's probe dict (chipkit.hdl.core): for tracers.
    progress -- None, or called as progress(cycles_done, total) every 1 % of `total` cycles
                (the cycle model's count) and at the end."""
    cfg = check_config(cfg, CoreConfig)
    words = isa.program_words(words)
    max_cycles = check_max_cycles(max_cycles)
    check_progress(progress)
    if on_cycle is not None and not callable(on_cycle):
        raise ConfigError(f"on_cycle must be None or a function on_cycle(cycle, probe), got "
                          f"{show(on_cycle)}")
    probe: dict = {}
    clock, start, halted, host_we = (Signal(bool(0)) for _ in range(4))
    reset = ResetSignal(1, active=1, isasync=False)
    host_mem, host_addr, host_wdata, host_rdata = host_signals()
    dut = core(clock, reset, start, halted, host_we, host_mem, host_addr, host_wdata,
               host_rdata, cfg, max(1, len(words)), vector=vector, probe=probe)
    writes = host_writes(cfg, words)
    image = dram_image(cfg, dram)
    preload = [(probe["dram"][i], int(image[i])) for i in np.flatnonzero(image)]
    result = {}
    step = max(1, (total or 1) // 100)

    @instance
    def host():
        for sig, byte in preload:  # at time 0, before any edge: no unit is sensitive to them
            sig.next = byte
        yield clock.negedge
        reset.next = 0
        for mem, addr, w in writes:
            host_we.next, host_mem.next, host_addr.next, host_wdata.next = 1, mem, addr, w
            yield clock.negedge
        host_we.next = 0
        start.next = 1
        yield clock.negedge
        start.next = 0
        t0 = time.perf_counter()
        for cycle in range(max_cycles):
            if halted:
                break
            if on_cycle is not None:
                on_cycle(cycle, probe)
            if progress is not None and total and cycle % step == 0:
                progress(min(cycle, total), total)
            yield clock.negedge
        if progress is not None and total:
            progress(total, total)
        result["seconds"] = time.perf_counter() - t0
        if halted:  # read back now: ending the simulation resets every signal
            result["raw"] = {m: [int(x.val) for x in probe[m]]
                             for m in ("sram", "acc", "param", "scale")}
            result["raw"]["lut"] = _lut_rows(cfg, int(probe["lut"].val))
            result["counters"] = {n: int(x.val) for n, x in zip(COUNTERS, probe["counters"])}
            result["dram"] = np.array([int(x.val) for x in probe["dram"]], dtype=np.uint8)
        raise StopSimulation

    run_sim(dut, clock_gen(clock), host)
    if "raw" not in result:
        raise ConfigError(f"the RTL core did not halt within {max_cycles} cycles")
    counters = result["counters"]
    state = rows_to_state(cfg, result["raw"], result["dram"], counters)
    return CoreRun(state, counters, "rtl", counters["cycles"], seconds=result["seconds"])


def read_all(cfg: CoreConfig, read_word) -> tuple[dict, np.ndarray, dict]:
    """Every memory and counter through the host port: read_word(host_mem, host_addr) -> int."""
    L = cfg.lanes
    depth = {"sram": cfg.sram_rows, "acc": cfg.acc_rows, "param": cfg.param_rows,
             "scale": cfg.scale_rows, "lut": cfg.lut_rows}
    raw = {}
    for mem, code in ROW_MEMS.items():
        wpr = words_per_row(mem, L)
        raw[mem] = [sum(read_word(code, r * wpr + k) << (64 * k) for k in range(wpr))
                    for r in range(depth[mem])]
    nwords = -(-cfg.dram_bytes // 8)
    dram = np.array([read_word(HOST_DRAM, i) for i in range(nwords)], dtype="<u8")
    dram_bytes = dram.view(np.uint8)[: cfg.dram_bytes].copy()
    counters = {name: read_word(HOST_COUNTERS, i) for i, name in enumerate(COUNTERS)}
    return raw, dram_bytes, counters


def dram_needed(cfg: CoreConfig, words) -> int:
    """Bytes of DRAM the program can reach: up to every DMA's last byte, rounded up to 8 (at
    least 8). The RTL is built with just that much (a MyHDL signal per byte of a 1 MB DRAM takes
    half a minute to build) and loaded with that much of the image; the rest of the DRAM is never
    read or written, so the run's result is the same, the rest of the image in place. (Verilator
    builds round it up to a power of two: one cached build serves many programs.)"""
    top = 0
    for w in words:
        try:
            instr = isa.decode(int(w))
        except isa.DecodeError:
            continue
        if instr.op.mnemonic in ("dma.ld", "dma.st"):
            a = instr.args
            mem = isa.memory(a["mem"]).name
            nb = row_bytes(mem, cfg.lanes)
            top = max(top, a["dram"] + max(a["rows"] - 1, 0) * (a["stride"] or nb) + nb)
    return min(cfg.dram_bytes, max(8, -(-top // 8) * 8))


def fitted(cfg: CoreConfig, words, dram, power_of_two: bool = False):
    """(the config the RTL is built with, the part of the DRAM image it holds, a function putting
    a run's DRAM back to full size: the image beyond it untouched). power_of_two: round the DRAM
    up to a power of two (at least 4 KB), so that a few Verilator builds serve every program of a
    configuration."""
    from dataclasses import replace

    need = dram_needed(cfg, words)
    if power_of_two:
        need = min(cfg.dram_bytes, max(4096, 1 << (need - 1).bit_length()))
    full = dram_image(cfg, dram)

    def widen(run: CoreRun) -> CoreRun:
        full[:need] = run.state.dram[:need]
        run.state.cfg, run.state.dram = cfg, full
        return run

    return replace(cfg, dram_bytes=need), full[:need].copy(), widen


def run(program, cfg: CoreConfig, dram=None, progress=None, max_cycles=None) -> CoreRun:
    """Run `program` (words or assembly) on the MyHDL core `cfg`, after the cycle model has
    checked it is a legal program (a ProgramError names the pc and the instruction).

    progress   -- called as progress(cycles_done, cycles_total) while it simulates.
    max_cycles -- the longest program (the cycle model's count) to simulate; None: about a
                  minute's worth (rtl_cycle_limit). A longer one is refused before elaboration."""
    cfg = check_config(cfg, CoreConfig)
    check_progress(progress)
    words = isa.program_words(program)
    expect = core_fast.run(words, cfg, dram)
    check_budget(cfg, expect.cycles, max_cycles)
    fit, image, widen = fitted(cfg, words, dram)
    return widen(run_myhdl(fit, words, image, progress=progress, total=expect.cycles))


def trace_myhdl(program, cfg: CoreConfig, dram=None, progress=None, max_cycles=None,
                instead: str = "use --backend fast (the cycle model: the same cycles)"):
    """The MyHDL core's lockstep trace (chipkit.Trace): what the hardware did, cycle by
    cycle -- when the controller issued each instruction, when each unit finished each job (seen
    on the unit's own signals: the DMA's last beat, the loader's last row, the array's last
    result row written to ACC, the vector unit's busy falling), and the rows each job wrote, read
    from the memories right after it finished.

    Which rows a job writes is the instruction's footprint (chipkit.models.core_fast.footprint);
    everything about time and values comes from the RTL. progress, max_cycles: as in run();
    `instead` is what a refusal suggests."""
    from chipkit.models.core_fast import footprint
    from chipkit.models.core_trace import Step, Trace, dram_addresses, written
    from chipkit.timing import STALLS

    cfg = check_config(cfg, CoreConfig)
    check_progress(progress)
    words = isa.program_words(program)
    expect = core_fast.run(words, cfg, dram)  # refuse an illegal program with its pc first
    check_budget(cfg, expect.cycles, max_cycles, instead)
    shadow = CoreState.fresh(cfg, dram)  # the rows a job wrote, filled in from the RTL
    steps: dict[int, Step] = {}
    jobs: dict[int, tuple] = {}  # pc -> (instruction, footprint writes)
    dma_q, mm_q, pending = [], [], []  # DMA pcs in order; [pc, rows left]; (pc, done) to read
    unit = {"lw": None, "vec": None, "vec_busy": False}
    seen = dict.fromkeys(STALLS, 0)
    L = cfg.lanes

    def read_rows(pc):
        instr, writes = jobs[pc]
        for mem, row in writes:
            if mem == "w":
                grid = probe_ref["w1" if row else "w0"]
                shadow.w[row] = [[int(grid[i][j].val) for j in range(L)] for i in range(L)]
            else:
                raw = (_lut_rows(cfg, int(probe_ref["lut"].val))[row] if mem == "lut"
                       else int(probe_ref[mem][row].val))
                shadow.mems[mem][row] = unpack_raw(mem, [raw], L)[0]
        if instr.op.mnemonic == "dma.st":
            for addr in dram_addresses(instr, L).tolist():
                shadow.dram[addr] = int(probe_ref["dram"][addr].val)
        steps[pc].writes = written(instr, writes, shadow)

    probe_ref: dict = {}

    def on_cycle(cycle, probe):
        probe_ref.update(probe)
        for pc, _ in pending:
            read_rows(pc)
        pending.clear()
        busy = bool(probe["vec_busy"].val)
        if unit["vec_busy"] and not busy:
            steps[unit["vec"]].done = cycle - 1
            read_rows(unit["vec"])
        unit["vec_busy"] = busy
        if probe["issue"].val:
            pc = int(probe["pc"].val)
            instr = isa.decode(int(probe["word"].val))
            now = {s: int(c.val) for s, c in zip(STALLS, probe["counters"][5:])}
            stalls = {s: now[s] - seen[s] for s in STALLS if now[s] != seen[s]}
            seen.update(now)
            steps[pc] = Step(pc, issued=cycle, stalls=stalls)
            op = instr.op.mnemonic
            if op not in ("nop", "sync", "vshape", "halt"):
                jobs[pc] = (instr, footprint(instr, shadow)[1])
                if op.startswith("dma"):
                    dma_q.append(pc)
                elif op == "lw":
                    unit["lw"] = pc
                elif op == "mm":
                    mm_q.append([pc, instr.args["rows"]])
                else:
                    unit["vec"] = pc
            elif op == "vshape":
                a = instr.args
                shadow.shape = (a["rows"], a["chunks"], a["cstride"] or a["rows"])
        # the jobs that finish at the end of this cycle
        if probe["dma_count"].val and probe["rx_valid"].val and probe["rx_last"].val:
            pending.append((dma_q.pop(0), cycle))
        if int(probe["lw_left"].val) == 1:
            pending.append((unit["lw"], cycle))
        if probe["mm_we"].val:
            mm_q[0][1] -= 1
            if mm_q[0][1] == 0:
                pending.append((mm_q.pop(0)[0], cycle))
        for pc, done in pending:
            steps[pc].done = done

    fit, image, _ = fitted(cfg, words, dram)
    run = run_myhdl(fit, words, image, on_cycle=on_cycle, progress=progress, total=expect.cycles)
    return Trace("rtl", [steps[pc] for pc in sorted(steps)], dict(run.counters))
