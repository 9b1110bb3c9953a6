"""The inference core with time: the controller issues one instruction per cycle in order, the DMA,
weight-load, matrix and vector units run concurrently, and every stall is counted by its cause.

Values come from the golden model's instruction semantics (chipkit.models.core_golden), applied
when a unit finishes; a program whose units touch the same rows without a `sync` in between is
refused as a race, so for every accepted program the final state equals the golden model's. How
long each unit takes is chipkit.timing's, the specification the RTL meets cycle for cycle. A
vector op that would read a row it has already written is refused as it issues, with the golden
model's words (core_golden.overlap_error).

Every program ends: the ISA has no branches, and each stall lasts only until a running job
finishes, so the model needs no cycle limit (the golden model has no instruction limit either).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chipkit import isa, timing
from chipkit.checks import check_type
from chipkit.config import CoreConfig
from chipkit.isa import row_bytes
from chipkit.models.core_golden import CoreRun, CoreState, ProgramError, apply, overlap_error
from chipkit.timing import DMA_QUEUE


@dataclass
class Job:
    """An issued instruction: when it finishes, what it touches."""

    pc: int
    instr: isa.Instr
    done: int  # the cycle at whose end its results are in place
    reads: set = field(default_factory=set)
    writes: set = field(default_factory=set)
    issued: int = 0  # the cycle the controller issued it
    start: int = 0  # the first cycle its unit works on it


def _rows(mem, first, count):
    return {(mem, r) for r in range(first, first + count)}


def footprint(instr: isa.Instr, state: CoreState) -> tuple[set, set]:
    """(reads, writes) of an instruction as {(memory, row)}; weight buffers are ("w", buf)."""
    check_type(instr, isa.Instr, "instr", "isa.make(...) or isa.decode(word)")
    check_type(state, CoreState, "state", "CoreState.fresh(cfg, dram)")
    a, op, L = instr.args, instr.op.mnemonic, state.cfg.lanes
    if instr.op.unit == "dma":
        mem = isa.memory(a["mem"]).name
        rows = _rows(mem, a["row"], a["rows"])
        return (rows, set()) if op == "dma.st" else (set(), rows)
    if op == "lw":
        return _rows("sram", a["row"], L), {("w", a["buf"])}
    if op == "mm":
        acc = _rows("acc", a["acc"], a["rows"])
        reads = _rows("sram", a["a"], a["rows"]) | {("w", a["buf"])}
        return reads | (acc if a["accumulate"] else set()), acc
    if instr.op.src_mem is not None:  # the vector unit's datapath ops
        rows, chunks, cstride = state.shape
        def shaped(mem, base, r=rows, c=chunks, s=cstride):
            return {(mem, base + i + j * s) for i in range(r) for j in range(c)}
        reads = shaped(instr.op.src_mem, a["src"])
        if "src2" in a:
            reads |= shaped("sram", a["src2"])
        if "scale" in instr.op.reads and a["perchannel"]:
            reads |= _rows("scale", a["p"], chunks)
        elif "param" in instr.op.reads:
            reads |= {("param", a["p"])}
        if op == "vgelu":
            reads |= _rows("lut", 0, state.cfg.lut_rows)
        if op == "vtrans":
            n = chunks * L
            return reads, shaped("sram", a["dst"], n, rows // L, n)
        return reads, shaped("sram", a["dst"])
    return set(), set()


class FastCore:
    """Steps the core one cycle at a time (skipping ahead while nothing can change)."""

    def __init__(self, cfg: CoreConfig, program, dram=None):
        self.state = CoreState.fresh(cfg, dram)  # checks cfg and dram
        self.cfg = cfg
        self.words = isa.program_words(program)
        self.cycle, self.pc = 0, 0
        self.dma: list[Job] = []  # in order; the head is running
        self.lw: Job | None = None
        self.mm: list[Job] = []  # streaming and draining
        self.mm_free = 0  # first cycle at which the mm unit can take a new instruction
        self.vec: Job | None = None
        self.w_loaded = [False, False]
        self.timeline: list[Job] = []
        self.counters = dict.fromkeys(timing.COUNTERS, 0)

    # --- units ------------------------------------------------------------------------------
    def _in_flight(self) -> list[Job]:
        return [*self.dma, *([self.lw] if self.lw else []), *self.mm,
                *([self.vec] if self.vec else [])]

    def _retire(self):
        """Apply the effects of every job finished by the end of this cycle (program order)."""
        finished = sorted((j for j in self._in_flight() if j.done <= self.cycle),
                          key=lambda j: j.pc)
        for job in finished:
            self._apply(job)
            if job in self.dma:
                self.dma.remove(job)
            elif job in self.mm:
                self.mm.remove(job)
            elif job is self.lw:
                self.lw = None
            elif job is self.vec:
                self.vec = None

    def _apply(self, job: Job):
        """A finished job's effect on the state (the golden semantics; chipkit.lockstep hooks
        here to record what each instruction wrote)."""
        apply(self.state, job.pc, job.instr)

    def _unit_idle(self, unit: str) -> bool:
        return {"dma": not self.dma, "lw": self.lw is None, "mm": not self.mm,
                "vec": self.vec is None}[unit]

    def _duration(self, instr: isa.Instr) -> int:
        """How long its unit takes (chipkit.timing's; a lockstep demonstration overrides it)."""
        return timing.duration(instr, self.cfg, self.state.shape)

    # --- the controller -------------------------------------------------------------------
    def _blocked(self, instr: isa.Instr) -> str | None:
        """Why `instr` cannot issue this cycle (a stall cause), or None."""
        op, a = instr.op.mnemonic, instr.args
        if op == "nop":
            return None
        if op == "halt":
            return None if not self._in_flight() else "halt"
        if op == "sync":
            busy = [u for u, bit in isa.UNITS.items()
                    if a["units"] & bit and not self._unit_idle(u)]
            return "sync" if busy else None
        if instr.op.unit == "dma":
            return "dma_queue_full" if len(self.dma) >= DMA_QUEUE else None
        if op == "lw":
            if self.lw is not None:
                return "lw_busy"
            if any(j.instr.args["buf"] == a["buf"] for j in self.mm):
                return "weight_buffer_in_use"
            return None
        if op == "mm":
            if self.cycle < self.mm_free:
                return "mm_busy"
            if self.lw is not None and self.lw.instr.args["buf"] == a["buf"]:
                return "weights_not_loaded"
            return None
        return "vec_busy" if self.vec is not None else None  # vshape and the vector ops

    def _check_race(self, job: Job):
        for other in self._in_flight():
            same_queue = (other in self.dma and job.instr.op.unit == "dma")
            clash = (job.reads & other.writes) | (job.writes & (other.reads | other.writes))
            clash = {x for x in clash if x[0] != "w"}  # weight buffers are interlocked
            if clash and not same_queue and not (other in self.mm and job.instr.op.unit == "mm"):
                mem, row = sorted(clash)[0]
                raise ProgramError(
                    f"pc {job.pc} ({job.instr}): touches {mem.upper()} row {row} while pc "
                    f"{other.pc} ({other.instr}) is still running on it; put `sync units="
                    f"{isa.UNITS.get(other.instr.op.unit, 15)}` between them")

    def _issue(self, instr: isa.Instr):
        op = instr.op.mnemonic
        if op == "vshape":
            apply(self.state, self.pc, instr)
        if op in ("nop", "sync", "vshape", "halt"):
            return
        if instr.op.src_mem is not None and (
                why := overlap_error(instr, self.state.shape, self.cfg.lanes)):
            raise ProgramError(f"pc {self.pc} ({instr}): {why}")  # as the golden model says it
        reads, writes = footprint(instr, self.state)
        if op == "mm" and not self.w_loaded[instr.args["buf"]]:
            raise ProgramError(f"pc {self.pc} ({instr}): weight buffer {instr.args['buf']} was "
                               f"never loaded (lw buf={instr.args['buf']})")
        start = self.cycle + 1
        if instr.op.unit == "dma":
            start = max(start, max((j.done + 1 for j in self.dma), default=start))
        done = start + self._duration(instr) - 1
        job = Job(self.pc, instr, done, reads, writes, self.cycle, start)
        self._check_race(job)
        self.timeline.append(job)
        if instr.op.unit == "dma":
            self.dma.append(job)
            self.counters["dma_bytes"] += instr.args["rows"] * row_bytes(
                isa.memory(instr.args["mem"]).name,
                self.cfg.lanes)
        elif op == "lw":
            self.lw = job
            self.w_loaded[instr.args["buf"]] = True
        elif op == "mm":
            self.mm.append(job)
            self.mm_free = start + instr.args["rows"] - 1  # it may issue again from this cycle
            self.counters["array_busy"] += instr.args["rows"]
            self.counters["macs"] += instr.args["rows"] * self.cfg.lanes ** 2
        else:
            self.vec = job

    def run(self) -> CoreRun:
        """Run to `halt`; return the final state and the counters."""
        while True:
            if self.pc >= len(self.words):
                last = isa.disassemble([self.words[-1]]).strip() if self.words else "nothing"
                raise ProgramError(f"pc {self.pc}: the program ended without halt (last "
                                   f"instruction: {last}); end it with `halt`")
            try:
                instr = isa.decode(self.words[self.pc])
            except isa.DecodeError as e:
                raise ProgramError(f"pc {self.pc}: {e}") from None
            why = self._blocked(instr)
            if why is None:
                self._issue(instr)
                self.counters["instructions"] += 1
                if instr.op.mnemonic == "halt":
                    self.cycle += 1
                    break
                self.pc += 1
                step = 1
            else:  # nothing changes until the next job finishes (or the mm unit frees up)
                wake = [j.done + 1 for j in self._in_flight()] + (
                    [self.mm_free] if self.mm_free > self.cycle else [])
                step = max(1, min(wake) - self.cycle) if wake else 1
                self.counters[f"stall_{why}"] += step
            for _ in range(step):
                self._retire()
                self.cycle += 1
        self.state.halted = True
        self.counters["cycles"] = self.cycle
        return CoreRun(self.state, dict(self.counters), "fast", self.cycle, self.timeline)


def run(program, cfg: CoreConfig, dram=None) -> CoreRun:
    """Run `program` (words or assembly text) on the cycle model of the core `cfg`."""
    return FastCore(cfg, program, dram).run()
