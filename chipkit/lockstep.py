"""Lockstep: run one core program on two backends and report the first place they differ -- the
cycle, the instruction, and the register or memory row and lane (`chipkit lockstep`).

Every backend gives a Trace (chipkit.models.core_trace): per executed instruction, in program
order, the cycle it issued, the cycle at whose end its results were in place, and the rows it
wrote with their values then. lockstep() walks the two traces' events in cycle order and returns
the first Divergence (None when they agree). TRACERS names the backends; a backend joins by
adding a function `(words, cfg, dram) -> Trace` to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chipkit import isa
from chipkit.checks import show
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError
from chipkit.models import core_fast
from chipkit.models.core_trace import Step, Trace, trace_fast, trace_golden
from chipkit.timing import STALLS

#: what a refused lockstep against the MyHDL core suggests instead
RTL_INSTEAD = ("lockstep traces the MyHDL core only: compare --a fast --b golden for the cycle "
               "model, or check the same RTL's final state at speed with backend 'verilator' "
               "(chipkit.backends.core_run.run)")


def trace_rtl(program, cfg: CoreConfig, dram=None, progress=None, max_cycles=None) -> Trace:
    """The MyHDL core's trace (chipkit.backends.core_rtl.trace_myhdl): issues and finishes seen
    on the hardware's own signals, rows read from its memories. A program longer than
    `max_cycles` (None: about a minute of MyHDL) is refused before anything is built; progress is
    called as progress(cycles_done, cycles_total) while it simulates."""
    from chipkit.backends.core_rtl import trace_myhdl

    return trace_myhdl(program, cfg, dram, progress, max_cycles, RTL_INSTEAD)


#: backend name -> tracer(program, cfg, dram) -> Trace
TRACERS = {"golden": trace_golden, "fast": trace_fast, "rtl": trace_rtl}
#: the tracers that simulate the hardware: they take progress and max_cycles too
SLOW = ("rtl",)


@dataclass
class Divergence:
    """The first difference between two traces.

    kind -- "issue" or "done" (a cycle differs: a_value, b_value are the cycles), "write" (a row
            differs: memory, row, lane, and the lane's value in each; None where a backend did not
            write the row, lane None then and the values are the whole rows), "missing" (one
            backend stopped before this instruction), "counter" (a final counter differs)
    cycle -- the first cycle at which the two differ (None if neither backend is timed)
    stalls -- for a timing divergence, the stall cycles by cause the controller spent before
              issuing the instruction, where they differ: cause -> (a, b)
    """

    a: str
    b: str
    pc: int
    instr: str
    kind: str
    cycle: int | None
    a_value: object = None
    b_value: object = None
    memory: str | None = None
    row: int | None = None
    lane: int | None = None
    a_row: tuple | None = None
    b_row: tuple | None = None
    a_step: Step | None = None
    b_step: Step | None = None
    counter: str | None = None
    stalls: dict = field(default_factory=dict)

    def where(self) -> str:
        if self.memory == "dram":
            return f"DRAM byte {self.row} (0x{self.row:x})"
        return f"{self.memory.upper()} row {self.row}" + (
            f", lane {self.lane}" if self.lane is not None else "")

    def __str__(self) -> str:
        a, b = self.a, self.b
        at = f"cycle {self.cycle}, " if self.cycle is not None else ""
        lines = [f"{a} and {b} diverge at {at}pc {self.pc}: {self.instr}"]
        if self.kind == "write":
            def says(name, v):
                return f"{name} did not write it" if v is None else f"{name} wrote {v}"
            lines.append(f"  {self.where()}: {says(a, self.a_value)}, {says(b, self.b_value)}")
        elif self.kind == "issue":
            lines.append(f"  issue: {a} issued it at cycle {self.a_value}, {b} at cycle "
                         f"{self.b_value}")
        elif self.kind == "done":
            lines.append(f"  done: its results were in place at the end of cycle {self.a_value} "
                         f"on {a}, {self.b_value} on {b}")
        elif self.kind == "missing":
            ran, stopped = (a, b) if self.a_step is not None else (b, a)
            lines.append(f"  {ran} executed it, {stopped} stopped before it")
        else:
            lines.append(f"  counter {self.counter}: {a} {self.a_value:,}, {b} {self.b_value:,} "
                         "(every instruction's timing and writes agreed)")
        if self.kind in ("write", "done", "missing"):
            lines += self._timing()
        if self.stalls:
            lines.append("  stall cycles before it issued: " + "; ".join(
                f"{k} {va} on {a}, {vb} on {b}" for k, (va, vb) in self.stalls.items()))
        return "\n".join(lines)

    def _timing(self) -> list[str]:
        """When the instruction issued and finished on each timed backend (one line)."""
        timed = [(name, s) for name, s in ((self.a, self.a_step), (self.b, self.b_step))
                 if s is not None and s.issued is not None]
        if not timed:
            return []
        def when(s, done=True):
            return f"issued at cycle {s.issued}" + (
                f", done at {s.done}" if done and s.done is not None else "")
        done = self.kind != "done"  # a done divergence has just said when each finished
        if len(timed) == 2 and when(timed[0][1], done) == when(timed[1][1], done):
            return [f"  {when(timed[0][1], done)} on both"]
        return ["  " + "; ".join(f"{when(s, done)} on {name}" for name, s in timed)]

    def to_json(self) -> dict:
        step = lambda s: None if s is None else {"issued": s.issued, "done": s.done}  # noqa: E731
        return {"a": self.a, "b": self.b, "pc": self.pc, "instr": self.instr, "kind": self.kind,
                "cycle": self.cycle, "memory": self.memory, "row": self.row, "lane": self.lane,
                "a_value": self.a_value, "b_value": self.b_value, "a_row": self.a_row,
                "b_row": self.b_row, "counter": self.counter, "a_step": step(self.a_step),
                "b_step": step(self.b_step),
                "stalls": {k: list(v) for k, v in self.stalls.items()}}


def _stalls_through(t: Trace, i: int) -> dict | None:
    """Stall cycles by cause the controller spent before issuing steps 0..i (None: not counted)."""
    total: dict = {}
    for s in t.steps[:i + 1]:
        if s.stalls is None:
            return None
        for k, v in s.stalls.items():
            total[k] = total.get(k, 0) + v
    return total


def _first_write(sa: Step, sb: Step) -> dict:
    """The first (memory, row, lane) where two steps' writes differ, as Divergence fields."""
    for key in sorted(sa.writes.keys() | sb.writes.keys()):
        ra, rb = sa.writes.get(key), sb.writes.get(key)
        if ra == rb:
            continue
        out = {"memory": key[0], "row": key[1], "a_row": ra, "b_row": rb, "a_value": ra,
               "b_value": rb}
        if ra is not None and rb is not None:
            lane = next((i for i, (x, y) in enumerate(zip(ra, rb)) if x != y), min(len(ra),
                                                                                  len(rb)))
            out.update(lane=lane, a_value=ra[lane] if lane < len(ra) else None,
                       b_value=rb[lane] if lane < len(rb) else None)
        return out
    return {}


def lockstep(a: Trace, b: Trace, words) -> Divergence | None:
    """The first divergence between traces `a` and `b` of the program `words` (or assembly text):
    the earliest cycle at which one issued, finished or wrote something the other did not (in
    program order when neither is timed; a finish after an issue in the same cycle), then the
    final counters both have; None when they agree."""
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, Trace):
            raise ConfigError(f"lockstep compares two traces (chipkit.models.core_trace.Trace, "
                              f"e.g. trace_fast(words, cfg)); {name} is {type(t).__name__}")
    words = isa.program_words(words)
    timed = a.timed or b.timed
    names = ((a.backend, b.backend) if a.backend != b.backend
             else (f"{a.backend} (a)", f"{b.backend} (b)"))
    found = []

    def add(i: int, cycle, order: int, **kw):
        sa = a.steps[i] if i < len(a.steps) else None
        sb = b.steps[i] if i < len(b.steps) else None
        pc = (sa or sb).pc
        d = Divergence(*names, pc, isa.disassemble([words[pc]]).strip(),
                       cycle=cycle if timed else None, a_step=sa, b_step=sb, **kw)
        at = cycle if cycle is not None else float("inf")
        found.append(((at, order, i) if timed else (i, order), d))

    for i in range(max(len(a.steps), len(b.steps))):
        if i >= len(a.steps) or i >= len(b.steps):
            s = a.steps[i] if i < len(a.steps) else b.steps[i]
            add(i, s.issued, 0, kind="missing")
            break
        sa, sb = a.steps[i], b.steps[i]
        if sa.pc != sb.pc:
            raise ConfigError(f"the traces are of different programs: step {i} is pc {sa.pc} on "
                              f"{a.backend}, pc {sb.pc} on {b.backend}")
        if None not in (sa.issued, sb.issued) and sa.issued != sb.issued:
            add(i, min(sa.issued, sb.issued), 0, kind="issue", a_value=sa.issued,
                b_value=sb.issued)
        if None not in (sa.done, sb.done) and sa.done != sb.done:
            add(i, min(sa.done, sb.done), 1, kind="done", a_value=sa.done, b_value=sb.done)
        elif sa.writes != sb.writes:
            when = [x for x in (sa.done, sb.done) if x is not None] or [
                x for x in (sa.issued, sb.issued) if x is not None] or [None]
            add(i, when[0], 1, kind="write", **_first_write(sa, sb))
    if found:
        key, d = min(found, key=lambda f: f[0])
        if d.kind in ("issue", "done"):
            sa, sb = _stalls_through(a, key[2]), _stalls_through(b, key[2])
            if sa is not None and sb is not None:
                causes = dict.fromkeys([*STALLS, *sa, *sb])
                d.stalls = {k: (sa.get(k, 0), sb.get(k, 0)) for k in causes
                            if sa.get(k, 0) != sb.get(k, 0)}
        return d
    for k in a.counters:
        if k in b.counters and a.counters[k] != b.counters[k]:
            last = len(a.steps) - 1
            add(last, a.cycles or b.cycles, 2, kind="counter", counter=k,
                a_value=a.counters[k], b_value=b.counters[k])
            return found[0][1]
    return None


@dataclass
class LockstepRun:
    """Two backends' traces of one program and their first divergence (None: they agree)."""

    a: Trace
    b: Trace
    divergence: Divergence | None

    @property
    def cycles(self) -> int | None:
        return self.a.cycles if self.a.cycles is not None else self.b.cycles

    def summary(self) -> str:
        if self.divergence is not None:
            return str(self.divergence)
        n = len(self.a.steps)
        return f"no divergence in {n} instructions" + (
            f", {self.cycles:,} cycles" if self.cycles is not None else
            " (neither backend counts cycles)")

    def to_json(self) -> dict:
        return {"a": self.a.backend, "b": self.b.backend, "diverged": self.divergence is not None,
                "instructions": len(self.a.steps), "cycles": self.cycles,
                "divergence": None if self.divergence is None else self.divergence.to_json()}


def run_lockstep(program, cfg: CoreConfig, dram=None, a: str = "fast", b: str = "golden",
                 progress=None, max_cycles=None) -> LockstepRun:
    """Run `program` (words or assembly text) from the DRAM image `dram` on backends `a` and `b`
    (names in TRACERS) and compare them.

    progress   -- rtl: called as progress(cycles_done, cycles_total) while MyHDL simulates
    max_cycles -- rtl: the most cycles to simulate in MyHDL (both runs together, by the cycle
                  model's count); None: about a minute's worth. A longer program is refused
                  before anything is built, with the estimate."""
    for arg, name in (("a", a), ("b", b)):
        if not isinstance(name, str) or name not in TRACERS:
            raise ConfigError(f"unknown backend {show(name)} for lockstep; choose from "
                              f"{', '.join(TRACERS)} (argument {arg}, --{arg})")
    check_config(cfg, CoreConfig)
    words = isa.program_words(program)
    slow = [n for n in (a, b) if n in SLOW]
    kw = {}
    if slow:  # the cycle model's count first (it is cheap), then refuse or go
        from chipkit.backends import core_rtl

        core_rtl.check_progress(progress)
        limit = (core_rtl.rtl_cycle_limit(cfg) if max_cycles is None
                 else core_rtl.check_max_cycles(max_cycles))
        core_rtl.check_budget(cfg, core_fast.run(words, cfg, dram).cycles, limit, RTL_INSTEAD,
                              runs=len(slow))
        kw = {"progress": progress, "max_cycles": limit}
    ta = TRACERS[a](words, cfg, dram, **(kw if a in SLOW else {}))
    tb = TRACERS[b](words, cfg, dram, **(kw if b in SLOW else {}))
    ta.backend, tb.backend = a, b
    return LockstepRun(ta, tb, lockstep(ta, tb, words))
