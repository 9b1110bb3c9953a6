"""The converted core (chipkit.backends.core_verilator.convert_core) re-simulated in Icarus Verilog,
with the same host-port protocol as the MyHDL and Verilator runs: for tests (slow, but a second,
independent reading of the Verilog: Icarus has x where Verilator has 0).

Icarus leaves memories as x, where MyHDL and Verilator start them at zero: the generated
testbench writes zeros to every word of the host-visible memories (SRAM, ACC, PARAM, SCALE, IMEM,
DRAM, and the LUT's register) at time 0, through hierarchical references. Registers are not
touched: reset must clear them, and a register it misses shows up as an undefined word in the
read-back (an error naming the memory and the address). That is how the memories' write toggles
(chipkit.hdl.core's `tog_*`) were found unreset: in Verilog !x is x, so no read port saw a write.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

from chipkit import isa
from chipkit.backends import core_rtl
from chipkit.backends.core_verilator import IMEM_DEPTH, TOP, convert_core, read_requests
from chipkit.checks import check_int
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError, SimulationError
from chipkit.flow.tools import need
from chipkit.hdl.core_host import HOST_ADDR_BITS, HOST_MEM_BITS, HOST_WORD_BITS
from chipkit.models.core_golden import CoreRun

#: the memories the testbench zeroes (the host-visible ones; MyHDL starts them at zero)
ZEROED = ("sram", "acc", "param", "scale", "imem", "dram")
#: the LUT is one wide register (lut_bits), a memory too: reset leaves it alone
ZEROED_REGS = ("lut_bits",)
_MEMORY = re.compile(r"^reg \[(\d+)-1:0\] (\w+) \[0:(\d+)-1\];$", re.MULTILINE)
_MEMORY2 = re.compile(r"^reg \[(\d+):0\] (\w+) \[0:(\d+)-1\];$", re.MULTILINE)


def memories(verilog: str) -> dict[str, int]:
    """{memory name: depth} of the memories declared in converted Verilog."""
    found = {m[2]: int(m[3]) for m in _MEMORY2.finditer(verilog)}
    found.update({m[2]: int(m[3]) for m in _MEMORY.finditer(verilog)})
    return found


def testbench(verilog: str, n_writes: int, n_reads: int, max_cycles: int) -> str:
    """The testbench: zero the memories, reset a cycle, the writes one a cycle (wm/wa/wd.hex),
    a start pulse, clock until halted (or max_cycles), stop the clock, then each read (rm/ra.hex)
    to out.txt (the first line: `halted CYCLES` or `timeout`)."""
    depth = memories(verilog)
    missing = [m for m in ZEROED if m not in depth]
    if missing:
        raise SimulationError(f"the converted core declares no memory {', '.join(missing)}")
    zero = [f"  for (i = 0; i < {depth[m]}; i = i + 1) dut.{m}[i] = 0;" for m in ZEROED]
    zero += [f"  dut.{r} = 0;" for r in ZEROED_REGS]
    M, A, D = HOST_MEM_BITS - 1, HOST_ADDR_BITS - 1, HOST_WORD_BITS - 1  # host-port msbs
    return "\n".join([
        "`timescale 1ns/10ps",
        "module tb;",
        "integer i, n, f;",
        "reg clock = 0, run = 1, reset = 1, start = 0, host_we = 0;",
        f"reg [{M}:0] host_mem = 0;", f"reg [{A}:0] host_addr = 0;",
        f"reg [{D}:0] host_wdata = 0;", "wire halted;", f"wire [{D}:0] host_rdata;",
        f"reg [{M}:0] wm [0:{n_writes - 1}];", f"reg [{A}:0] wa [0:{n_writes - 1}];",
        f"reg [{D}:0] wd [0:{n_writes - 1}];",
        f"reg [{M}:0] rm [0:{n_reads - 1}];", f"reg [{A}:0] ra [0:{n_reads - 1}];",
        "always #5 if (run) clock = ~clock;",
        f"{TOP} dut(.clock(clock), .reset(reset), .start(start), .halted(halted), "
        ".host_we(host_we), .host_mem(host_mem), .host_addr(host_addr), "
        ".host_wdata(host_wdata), .host_rdata(host_rdata));",
        "initial begin",
        *zero,
        '  $readmemh("wm.hex", wm); $readmemh("wa.hex", wa); $readmemh("wd.hex", wd);',
        '  $readmemh("rm.hex", rm); $readmemh("ra.hex", ra);',
        '  f = $fopen("out.txt", "w");',
        "  @(negedge clock); reset = 0;",
        f"  for (i = 0; i < {n_writes}; i = i + 1) begin",
        "    host_we = 1; host_mem = wm[i]; host_addr = wa[i]; host_wdata = wd[i];",
        "    @(negedge clock);",
        "  end",
        "  host_we = 0; start = 1;",
        "  @(negedge clock); start = 0;",
        "  n = 0;",
        f"  while (!halted && n < {max_cycles}) begin @(negedge clock); n = n + 1; end",
        "  run = 0;",
        '  if (!halted) begin $fdisplay(f, "timeout"); $fclose(f); $finish; end',
        '  $fdisplay(f, "halted %0d", n);',
        f"  for (i = 0; i < {n_reads}; i = i + 1) begin",
        "    host_mem = rm[i]; host_addr = ra[i]; #1;",
        '    $fdisplay(f, "%h", host_rdata);',
        "  end",
        "  $fclose(f);",
        "  $finish;",
        "end",
        "endmodule",
    ]) + "\n"


def run_icarus(cfg: CoreConfig, words, dram=None, vfile: str | Path | None = None,
               max_cycles: int = 1_000_000) -> CoreRun:
    """Run a program on the converted core `cfg` in Icarus: the same fields as
    core_rtl.run_myhdl's result (`seconds`: the whole vvp run).

    vfile -- the converted core (e.g. core_verilator.build_core(cfg).verilog, the very file
             Verilator compiled), else converted afresh with IMEM_DEPTH instructions."""
    check_config(cfg, CoreConfig)
    words = isa.program_words(words)
    max_cycles = check_int(max_cycles, "max_cycles (cycles before a run counts as hung)", lo=1)
    iverilog = need("iverilog")
    vvp = str(Path(iverilog).with_name("vvp"))
    writes = core_rtl.host_writes(cfg, words, dram)
    reads = read_requests(cfg)
    with tempfile.TemporaryDirectory(prefix="chipkit_core_icarus_") as tmp:
        work = Path(tmp)
        src = Path(vfile) if vfile is not None else convert_core(cfg, work / "src", IMEM_DEPTH)
        verilog = src.read_text()
        if len(words) > memories(verilog).get("imem", 0):
            raise ConfigError(f"the converted core holds {memories(verilog).get('imem', 0)} "
                              f"instructions, the program has {len(words)}")
        for name, col in (("wm", [w[0] for w in writes]), ("wa", [w[1] for w in writes]),
                          ("wd", [w[2] for w in writes]), ("rm", [r[0] for r in reads]),
                          ("ra", [r[1] for r in reads])):
            (work / f"{name}.hex").write_text("".join(f"{v:x}\n" for v in col))
        (work / "tb.v").write_text(testbench(verilog, len(writes), len(reads), max_cycles))
        comp = subprocess.run([iverilog, "-g2005", "-o", "sim.vvp", "tb.v", str(src.resolve())],
                              cwd=work, capture_output=True, text=True, timeout=600)
        if comp.returncode != 0:
            raise SimulationError(f"iverilog could not compile the core:\n{comp.stderr.strip()}")
        t0 = time.perf_counter()
        out = subprocess.run([vvp, "-n", "sim.vvp"], cwd=work, capture_output=True, text=True,
                             timeout=3600)
        seconds = time.perf_counter() - t0
        if out.returncode != 0 or not (work / "out.txt").exists():
            raise SimulationError(f"vvp failed on the core:\n{out.stderr.strip()}")
        lines = (work / "out.txt").read_text().split()
    if not lines or lines[0] != "halted":
        raise ConfigError(f"the RTL core (Icarus) did not halt within {max_cycles} cycles")
    vals = lines[2:]
    if len(vals) != len(reads):
        raise SimulationError(f"the Icarus testbench read {len(vals)} words, expected "
                              f"{len(reads)}")
    got = {}
    for (mem, addr), v in zip(reads, vals):
        try:
            got[mem, addr] = int(v, 16)
        except ValueError:
            raise SimulationError(f"host_rdata is undefined ({v}) reading memory {mem} address "
                                  f"{addr} in Icarus") from None
    raw, dram_bytes, counters = core_rtl.read_all(cfg, lambda mem, addr: got[mem, addr])
    state = core_rtl.rows_to_state(cfg, raw, dram_bytes, counters)
    return CoreRun(state, counters, "icarus", counters["cycles"], seconds=seconds)

