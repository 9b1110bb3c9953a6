"""A program being written: instructions with comments, the `sync`s they need, the DRAM image
they start from, and a map of which memory rows hold what.

`Program.emit` inserts the waits itself. It keeps, for every unit, the rows that the unit's
instructions since its last `sync` may still be reading or writing; an instruction that touches
one of those rows on another unit first gets `sync units=<those units>`. The rule is the cycle
model's race rule (chipkit.models.core_fast), applied as if every unit were as slow as it could
be, so a compiled program is never refused as a race and is as concurrent as its order allows:
to overlap work, emit it early (a weight prefetch before the matrix products it must not wait
for).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chipkit import isa
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.models.core_fast import footprint
from chipkit.models.core_golden import CoreState, pack_rows

DRAM_ALIGN = 64  # bytes: every DRAM block starts on this boundary
MEMORIES = ("sram", "acc", "param", "scale")


@dataclass(frozen=True)
class Region:
    """Rows `start`..`start + rows - 1` of memory `mem`, named for the memory map."""

    mem: str
    name: str
    start: int
    rows: int

    def __getitem__(self, i: int) -> int:
        return self.start + i


@dataclass
class Program:
    cfg: CoreConfig
    instructions: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    regions: list = field(default_factory=list)
    dram_blocks: list = field(default_factory=list)  # (address, name, bytes)
    _next: dict = field(default_factory=dict)
    _dram_end: int = 0
    _pending: dict = field(default_factory=dict)  # unit -> (reads, writes) since its last sync
    _state: CoreState | None = None

    def __post_init__(self):
        self._next = {m: 0 for m in MEMORIES}
        self._pending = {u: (set(), set()) for u in isa.UNITS}
        self._state = CoreState.fresh(self.cfg, np.zeros(0, dtype=np.uint8))

    # -- memory
    def alloc(self, mem: str, name: str, rows: int) -> Region:
        """`rows` fresh rows of an on-chip memory."""
        depth = {"sram": self.cfg.sram_rows, "acc": self.cfg.acc_rows,
                 "param": self.cfg.param_rows, "scale": self.cfg.scale_rows}[mem]
        start = self._next[mem]
        if start + rows > depth:
            raise ConfigError(f"{name} needs {rows} {mem.upper()} rows at row {start}; the core "
                              f"has {depth}: use a core with more {mem.upper()} rows "
                              f"(CoreConfig({mem}_rows=...)) or a smaller model")
        self._next[mem] = start + rows
        region = Region(mem, name, start, rows)
        self.regions.append(region)
        return region

    def top(self, mem: str) -> int:
        """The next free row of `mem`: with `rewind`, regions that are never live together share
        rows (the emitter's waits keep their uses apart)."""
        return self._next[mem]

    def rewind(self, mem: str, row: int) -> None:
        self._next[mem] = row

    def free_rows(self, mem: str) -> int:
        depth = {"sram": self.cfg.sram_rows, "acc": self.cfg.acc_rows,
                 "param": self.cfg.param_rows, "scale": self.cfg.scale_rows}[mem]
        return depth - self._next[mem]

    def put(self, name: str, data) -> int:
        """Bytes placed in the initial DRAM image; their address."""
        data = np.ascontiguousarray(data, dtype=np.uint8).ravel()
        addr = self._dram_end
        self._dram_end = -(-(addr + data.size) // DRAM_ALIGN) * DRAM_ALIGN
        if self._dram_end > self.cfg.dram_bytes:
            raise ConfigError(f"the DRAM image needs {self._dram_end:,} bytes ({name} at "
                              f"{addr:,}); the core's DRAM has {self.cfg.dram_bytes:,}")
        self.dram_blocks.append((addr, name, data))
        return addr

    def put_rows(self, name: str, mem: str, rows) -> int:
        """Memory rows of `mem` packed as the DMA moves them; their DRAM address."""
        return self.put(name, pack_rows(mem, np.ascontiguousarray(rows), self.cfg.lanes))

    def reserve(self, name: str, nbytes: int) -> int:
        """DRAM bytes the program or the host fills later (zeros in the image)."""
        return self.put(name, np.zeros(nbytes, dtype=np.uint8))

    @property
    def dram(self) -> np.ndarray:
        image = np.zeros(self._dram_end, dtype=np.uint8)
        for addr, _, data in self.dram_blocks:
            image[addr:addr + data.size] = data
        return image

    # -- instructions
    def emit(self, mnemonic: str, comment: str = "", **args) -> None:
        """Append an instruction, after the `sync` it needs (see the module docstring)."""
        instr = isa.make(mnemonic, **args)
        unit = instr.op.unit
        if mnemonic == "vshape":
            a = instr.args
            self._state.shape = (a["rows"], a["chunks"], a["cstride"] or a["rows"])
        reads, writes = footprint(instr, self._state)
        reads = {r for r in reads if r[0] != "w"}
        writes = {w for w in writes if w[0] != "w"}
        wait = 0
        for other, (r, w) in self._pending.items():
            if other != unit and ((reads & w) or (writes & (r | w))):
                wait |= isa.UNITS[other]
        if wait:
            self._sync(wait)
        if unit in self._pending:
            if unit in ("lw", "vec"):  # one job at a time: the previous one has finished
                self._pending[unit] = (set(), set())
            r, w = self._pending[unit]
            r |= reads
            w |= writes
        self.instructions.append(instr)
        self.comments.append(comment)

    def _sync(self, units: int) -> None:
        self.instructions.append(isa.make("sync", units=units))
        self.comments.append("wait: " + ", ".join(u for u, bit in isa.UNITS.items()
                                                  if units & bit))
        for u, bit in isa.UNITS.items():
            if units & bit:
                self._pending[u] = (set(), set())

    def sync_all(self) -> None:
        self._sync(15)

    def halt(self) -> None:
        self.instructions.append(isa.make("halt"))
        self.comments.append("")

    # -- the result
    @property
    def words(self) -> list[int]:
        return [isa.encode(i) for i in self.instructions]

    def listing(self) -> str:
        """Assembly text, every instruction commented with what it does for the model."""
        lines = []
        for instr, comment in zip(self.instructions, self.comments):
            text = str(instr)
            lines.append(f"{text:<55} # {comment}" if comment else text)
        return "\n".join(lines) + "\n"

    def memory_map(self) -> dict:
        """Which rows of which memory hold what, and the DRAM blocks, as plain data."""
        return {"on_chip": [{"mem": r.mem, "name": r.name, "start": r.start, "rows": r.rows}
                            for r in self.regions],
                "dram": [{"name": n, "address": a, "bytes": int(d.size)}
                         for a, n, d in self.dram_blocks]}
