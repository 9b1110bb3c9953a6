"""What a core run did, instruction by instruction: a Step per executed instruction (when it
issued, when its results were in place, the rows it wrote with their values then) and a Trace per
run. The golden model's trace holds values only; the cycle model's adds time. The RTL's trace
(chipkit.backends.core_rtl.trace_myhdl) is built from the same pieces, and chipkit.lockstep
compares any two.

Rows are keyed (memory, row): memory is "sram", "acc", "param", "scale", "lut", "w0"/"w1" (the
weight buffers, row = K index) or "dram" (row = byte address, the value a 1-tuple of the byte).
A row's value is a tuple of its lanes: ints, or (multiplier, shift) pairs for scale; a param
entry is (m1, s1, m2, s2).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chipkit import isa
from chipkit.checks import check_int, check_type
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.isa import row_bytes
from chipkit.models.core_fast import FastCore, Job, footprint
from chipkit.models.core_golden import CoreState, execute
from chipkit.timing import STALLS


@dataclass
class Step:
    """One executed instruction: when it issued and finished (None where the backend has no
    time, and `done` None for nop, sync, vshape and halt), the rows it wrote {(memory, row):
    lanes}, and the stall cycles by cause the controller spent waiting to issue it (None if the
    backend does not count them)."""

    pc: int
    issued: int | None = None
    done: int | None = None
    writes: dict = field(default_factory=dict)
    stalls: dict | None = None


@dataclass
class Trace:
    """A backend's run of a program: a Step per executed instruction, in program order, and its
    final counters (golden: instructions, macs, dma_bytes; the cycle models add cycles,
    array_busy and stall_<cause>)."""

    backend: str
    steps: list
    counters: dict

    @property
    def timed(self) -> bool:
        return any(s.issued is not None for s in self.steps)

    @property
    def cycles(self) -> int | None:
        return self.counters.get("cycles")


def dram_addresses(instr: isa.Instr, lanes: int) -> np.ndarray:
    """The DRAM byte addresses a dma.st writes, row after row."""
    check_type(instr, isa.Instr, "instr", "isa.make('dma.st', ...) or isa.decode(word)")
    lanes = check_int(lanes, "lanes", 1, 64)
    if instr.op.unit != "dma":
        raise ConfigError(f"instr must be a dma.ld or dma.st, got {instr.op.mnemonic}")
    a = instr.args
    mem = isa.memory(a["mem"]).name
    nbytes = row_bytes(mem, lanes)
    stride = a["stride"] or nbytes
    return (a["dram"] + np.arange(a["rows"])[:, None] * stride + np.arange(nbytes)).ravel()


def written(instr: isa.Instr, writes: set, state: CoreState) -> dict:
    """{(memory, row): lanes} now in `state` for the rows an instruction wrote (`writes` is its
    footprint's, plus DRAM for a dma.st)."""
    check_type(instr, isa.Instr, "instr", "isa.make(...) or isa.decode(word)")
    check_type(writes, (set, frozenset), "writes", "the rows from footprint(instr, state)")
    check_type(state, CoreState, "state", "CoreState.fresh(cfg, dram)")
    depth = {m: len(v) for m, v in state.mems.items()} | {"w": 2}
    bad = [x for x in writes if not (isinstance(x, tuple) and len(x) == 2 and x[0] in depth
                                     and isinstance(x[1], int) and 0 <= x[1] < depth[x[0]])]
    if bad:
        raise ConfigError(f"writes must hold (memory, row) pairs of this core, like footprint's; "
                          f"got {bad[0]!r}")
    out = {}
    for mem, row in writes:
        if mem == "w":
            for k, lanes in enumerate(state.w[row].tolist()):
                out[f"w{row}", k] = tuple(lanes)
        elif mem == "scale":
            out[mem, row] = tuple(tuple(pair) for pair in state.mems[mem][row].tolist())
        else:
            out[mem, row] = tuple(state.mems[mem][row].tolist())
    if instr.op.mnemonic == "dma.st":
        for addr in dram_addresses(instr, state.cfg.lanes).tolist():
            out["dram", addr] = (int(state.dram[addr]),)
    return out


def trace_golden(program, cfg: CoreConfig, dram=None) -> Trace:
    """The golden model's trace: chipkit.models.core_golden.execute, recording each instruction's
    writes (the rows of its footprint; the shape an instruction reads is unchanged by it)."""
    steps = []
    for pc, instr, state in execute(isa.program_words(program), cfg, dram):
        _, writes = footprint(instr, state)
        steps.append(Step(pc, writes=written(instr, writes, state)))
    return Trace("golden", steps, dict(state.counters))


def trace_fast(program, cfg: CoreConfig, dram=None, core: type = FastCore) -> Trace:
    """The cycle model's trace: `core` (FastCore, or a subclass of it) runs unchanged; its issues
    and finished jobs are recorded as they happen."""
    if not (isinstance(core, type) and issubclass(core, FastCore)):
        raise ConfigError(f"core must be FastCore or a subclass of it, got {core!r}")
    steps: dict[int, Step] = {}
    seen = {s: 0 for s in STALLS}

    class Tracing(core):
        def _issue(self, instr):
            now = {s: self.counters[f"stall_{s}"] for s in STALLS}
            stalls = {s: now[s] - seen[s] for s in STALLS if now[s] != seen[s]}
            seen.update(now)
            steps[self.pc] = Step(self.pc, issued=self.cycle, stalls=stalls)
            super()._issue(instr)

        def _apply(self, job: Job):
            super()._apply(job)
            steps[job.pc].done = self.cycle
            steps[job.pc].writes = written(job.instr, job.writes, self.state)

    run = Tracing(cfg, program, dram).run()
    name = "fast" if core is FastCore else core.__name__
    return Trace(name, [steps[pc] for pc in sorted(steps)], dict(run.counters))
