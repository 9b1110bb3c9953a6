"""The inference core's Verilog (chipkit.hdl.core, converted by MyHDL) compiled by Verilator, with
one generic C++ harness that runs any program: the same host-port protocol as
chipkit.backends.core_rtl.run_myhdl, so the same final state and counters.

One build serves every program of a configuration: the core is converted with a fixed
instruction memory (IMEM_DEPTH words), and the harness reads its work from a file -- the host
writes (memory, address, 64-bit word) that load the program and the DRAM image, then the read
requests (memory, address) that fetch the final state. It applies reset for a cycle, performs the
writes one a clock cycle, pulses `start`, clocks until `halted` (timing that loop alone), then
sets each read address, evaluates (the read port is combinational) and writes the word out.

Builds are cached under chipkit.flow.verilator.cache_root() (key: the canonical Verilog, the
harness,
the build flags and Verilator's version); two processes may build at once (each builds in its own
folder and renames it into place). An index keyed by the sources the core is converted from
(source_key) lets a new process find its build without converting again. Verilator
zero-initialises every register and memory (`--x-initial 0`), as MyHDL starts its memories at
zero.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from myhdl import ResetSignal, Signal

from chipkit import isa
from chipkit.backends import core_rtl
from chipkit.checks import check_int, show
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError, SimulationError
from chipkit.flow import verilator as vl
from chipkit.flow.convert import fresh_names
from chipkit.hdl.core import check_rtl_config, core
from chipkit.hdl.core_host import host_signals
from chipkit.models import core_fast
from chipkit.models.core_golden import CoreRun

#: instructions the converted core holds: one build runs any program up to this long
IMEM_DEPTH = 4096
#: a sensitivity list: `always @(a, b, c)` (MyHDL writes its signals in set order)
#: the converted module's name (the cache folder says which configuration it is)
TOP = "chipkit_core"
#: on top of chipkit.flow.verilator.BUILD_FLAGS: every register and memory starts at 0 (as in
#: MyHDL),
#: and an x the design assigns is 0
CORE_FLAGS = ("--x-assign", "0", "--x-initial", "0")
MAGIC_IN, MAGIC_OUT = 0x43484B43, 0x43484B52  # "CHKC", "CHKR"
WRITE = np.dtype([("mem", "<u4"), ("addr", "<u4"), ("word", "<u8")])
READ = np.dtype([("mem", "<u4"), ("addr", "<u4")])
HEAD_IN = np.dtype([("magic", "<u4"), ("version", "<u4"), ("writes", "<u8"), ("reads", "<u8"),
                    ("max_cycles", "<u8")])
HEAD_OUT = np.dtype([("magic", "<u4"), ("halted", "<u4"), ("cycles", "<u8"),
                     ("seconds", "<f8")])

HARNESS = r"""// chipkit.backends.core_verilator harness: any program on the converted core.
// IN:  head {u32 magic, u32 version, u64 writes, u64 reads, u64 max_cycles},
//      writes x {u32 mem, u32 addr, u64 word}, reads x {u32 mem, u32 addr}
// OUT: head {u32 magic, u32 halted, u64 cycles clocked after start, f64 loop seconds},
//      then (if halted) one u64 per read
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>
#include "verilated.h"
#include "Vdut.h"

struct HeadIn { uint32_t magic, version; uint64_t writes, reads, max_cycles; };
struct Write { uint32_t mem, addr; uint64_t word; };
struct Read { uint32_t mem, addr; };
struct HeadOut { uint32_t magic, halted; uint64_t cycles; double seconds; };

static void tick(Vdut* top) {  // inputs are set with the clock low; then the rising edge
  top->clock = 0;
  top->eval();
  top->clock = 1;
  top->eval();
}

int main(int argc, char** argv) {
  if (argc != 3) { std::fprintf(stderr, "usage: %s IN OUT\n", argv[0]); return 2; }
  FILE* fi = std::fopen(argv[1], "rb");
  if (!fi) { std::perror("chipkit core harness"); return 2; }
  HeadIn h;
  if (std::fread(&h, sizeof h, 1, fi) != 1 || h.magic != MAGIC_INu || h.version != 1) {
    std::fprintf(stderr, "chipkit core harness: not an input file\n"); return 2; }
  std::vector<Write> writes(h.writes);
  std::vector<Read> reads(h.reads);
  if ((h.writes && std::fread(writes.data(), sizeof(Write), h.writes, fi) != h.writes) ||
      (h.reads && std::fread(reads.data(), sizeof(Read), h.reads, fi) != h.reads)) {
    std::fprintf(stderr, "chipkit core harness: input file ends early\n"); return 2; }
  std::fclose(fi);

  const std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
  const std::unique_ptr<Vdut> top{new Vdut{ctx.get()}};
  top->start = 0;
  top->host_we = 0;
  top->reset = 1;  // one cycle of synchronous reset
  tick(top.get());
  top->reset = 0;
  for (const Write& w : writes) {  // one host write a cycle
    top->host_we = 1;
    top->host_mem = w.mem;
    top->host_addr = w.addr;
    top->host_wdata = w.word;
    tick(top.get());
  }
  top->host_we = 0;
  top->start = 1;
  tick(top.get());
  top->start = 0;
  top->clock = 0;
  top->eval();
  uint64_t n = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (!top->halted && n < h.max_cycles) {
    top->clock = 1;
    top->eval();
    top->clock = 0;
    top->eval();
    ++n;
  }
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  HeadOut o{MAGIC_OUTu, top->halted ? 1u : 0u, n, dt.count()};
  std::vector<uint64_t> words;
  if (o.halted) {
    words.reserve(reads.size());
    for (const Read& r : reads) {  // host_rdata is combinational: no clock
      top->host_mem = r.mem;
      top->host_addr = r.addr;
      top->eval();
      words.push_back(top->host_rdata);
    }
  }
  top->final();
  FILE* fo = std::fopen(argv[2], "wb");
  if (!fo || std::fwrite(&o, sizeof o, 1, fo) != 1 ||
      (!words.empty() && std::fwrite(words.data(), 8, words.size(), fo) != words.size()) ||
      std::fclose(fo) != 0) {
    std::perror("chipkit core harness"); return 2; }
  return 0;
}
""".replace("MAGIC_IN", str(MAGIC_IN)).replace("MAGIC_OUT", str(MAGIC_OUT))


@dataclass
class CoreBuild:
    """A compiled core: `binary` runs input files; `verilog` is the converted module it was built
    from (kept in the cache folder); `built` is False when it came from the cache (this process's
    or the disk's); `seconds` is how long getting it took (conversion, and the build if one ran)."""

    binary: Path
    verilog: Path
    key: str
    built: bool
    seconds: float


def core_ports() -> tuple:
    """The core's top-level signals, in core()'s order: clock, reset, start, halted, host_we,
    host_mem, host_addr, host_wdata, host_rdata."""
    clock, start, halted, host_we = (Signal(bool(0)) for _ in range(4))
    reset = ResetSignal(0, active=1, isasync=False)
    return (clock, reset, start, halted, host_we, *host_signals())


def convert_core(cfg: CoreConfig, folder: str | Path, imem_depth: int = IMEM_DEPTH,
                 vector: bool = True) -> Path:
    """Convert the core `cfg` (instruction memory of `imem_depth` words) to Verilog module TOP in
    `folder`; return the file."""
    check_rtl_config(cfg, imem_depth)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fresh_names()
    inst = core(*core_ports(), cfg, imem_depth, vector=vector)
    with warnings.catch_warnings():  # constants are undriven by design; some taps feed nothing
        warnings.filterwarnings("ignore", message=r"Signal is not driven")
        warnings.filterwarnings("ignore", message=r"Signal is driven but not read")
        inst.convert(hdl="Verilog", path=str(folder), name=TOP, testbench=False)
    out = folder / f"{TOP}.v"
    if not out.exists():
        raise SimulationError(f"MyHDL did not write {out}")
    return out


def canonical(verilog: str) -> str:
    """chipkit.flow.verilator.canonical (set-ordered assignments and sensitivity lists sorted)."""
    return vl.canonical(verilog)


def _entry_name(cfg: CoreConfig, imem_depth: int, vector: bool) -> str:
    return (f"core{cfg.lanes}x{cfg.lanes}-bw{cfg.dma_bytes_per_cycle}-lat{cfg.dram_latency}"
            f"-i{imem_depth}{'' if vector else '-novec'}")


#: this process's builds: (cfg, imem_depth, vector, cache folder) -> CoreBuild
_BUILDS: dict = {}
#: the chipkit sources the converted core depends on (relative to the package), for source_key
SOURCES = ("hdl/*.py", "isa.py", "config.py", "errors.py", "numerics.py", "convert.py",
           "models/*.py", "backends/core_verilator.py")


def source_key(cfg: CoreConfig, imem_depth: int, vector: bool, version: str) -> str:
    """A hash of everything the converted core is made from: the configuration, the chipkit
    sources (SOURCES), MyHDL's version, the harness, the flags and Verilator's version. The index
    maps it to the build it converted to, so a new process skips the conversion (36 s for a
    core with the default 1 MB DRAM) while the build itself stays keyed by its canonical
    Verilog; any change of source means one conversion again, to look the build up."""
    import myhdl

    import chipkit

    pkg = Path(chipkit.__file__).parent
    h = hashlib.sha256(repr((cfg, imem_depth, vector, myhdl.__version__, version, HARNESS,
                             vl.BUILD_FLAGS + CORE_FLAGS)).encode())
    for pattern in SOURCES:
        for f in sorted(pkg.glob(pattern)):
            h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:24]


def _index_write(root: Path, skey: str, entry: str) -> None:
    """index/<source key> = the build folder's name (written atomically)."""
    folder = root / "index"
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".idx-", dir=folder)
    with os.fdopen(fd, "w") as f:
        f.write(entry)
    os.replace(tmp, folder / skey)


def build_core(cfg: CoreConfig, imem_depth: int = IMEM_DEPTH, vector: bool = True,
               cache_dir: str | Path | None = None) -> CoreBuild:
    """The compiled core `cfg`: from this process's memo, else from the disk cache (through the
    source index, see source_key; else converting to compute the key), else converted and
    compiled (a `build.log` in the cache folder keeps Verilator's output and how long the build
    took). ToolMissing when Verilator is missing."""
    start = time.perf_counter()
    exe, version = vl._verilator()
    root = vl.cache_root(cache_dir)
    memo_key = (cfg, imem_depth, vector, str(root.resolve()), version)
    hit = _BUILDS.get(memo_key)
    if hit is not None and hit.binary.exists():
        return CoreBuild(hit.binary, hit.verilog, hit.key, False, time.perf_counter() - start)
    skey = source_key(cfg, imem_depth, vector, version)
    try:
        entry = (root / "index" / skey).read_text().strip()
    except OSError:
        entry = ""
    if entry and (root / entry / "Vdut").exists():
        final = root / entry
        result = CoreBuild(final / "Vdut", final / "dut.v", entry.rsplit("-", 1)[-1], False,
                           time.perf_counter() - start)
        _BUILDS[memo_key] = result
        return result
    with tempfile.TemporaryDirectory(prefix="chipkit_core_verilator_") as tmp:
        work = Path(tmp)
        src = convert_core(cfg, work / "src", imem_depth, vector)
        verilog = src.read_text()
        parts = [canonical(verilog), HARNESS, " ".join(vl.BUILD_FLAGS + CORE_FLAGS), version]
        digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]
        final = root / f"{_entry_name(cfg, imem_depth, vector)}-{digest}"
        built = not (final / "Vdut").exists()
        if built:
            vl.compile_into(exe, work, verilog, HARNESS, TOP, final, vl.BUILD_FLAGS + CORE_FLAGS,
                            what=f"the core {cfg}", log=f"{version}\n{cfg}\nimem_depth="
                            f"{imem_depth} vector={vector}\n")
    _index_write(root, skey, final.name)
    result = CoreBuild(final / "Vdut", final / "dut.v", digest, built,
                       time.perf_counter() - start)
    _BUILDS[memo_key] = result
    return result


def read_requests(cfg: CoreConfig) -> list[tuple[int, int]]:
    """The (host_mem, host_addr) reads core_rtl.read_all makes, in its order."""
    asked: list = []
    core_rtl.read_all(cfg, lambda mem, addr: asked.append((mem, addr)) or 0)
    return asked


def input_file(writes, reads, max_cycles: int) -> bytes:
    """The harness's input: the head, the writes, the reads."""
    head = np.array([(MAGIC_IN, 1, len(writes), len(reads), max_cycles)], dtype=HEAD_IN)
    w = np.array([(m, a, d) for m, a, d in writes], dtype=WRITE)
    r = np.array(list(reads), dtype=READ)
    return head.tobytes() + w.tobytes() + r.tobytes()


def simulate(built: CoreBuild, writes, reads, max_cycles: int) -> tuple[dict, float, int]:
    """Run the harness: ({(mem, addr): word}, loop seconds, cycles clocked after start)."""
    with tempfile.TemporaryDirectory(prefix="chipkit_core_vrun_") as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        fin.write_bytes(input_file(writes, reads, max_cycles))
        run = subprocess.run([str(built.binary), str(fin), str(fout)], capture_output=True,
                             text=True, timeout=3600)
        if run.returncode != 0 or not fout.exists():
            raise SimulationError(f"the Verilator core failed (exit {run.returncode}):\n"
                                  f"{run.stderr.strip()}")
        raw = fout.read_bytes()
    head = np.frombuffer(raw[:HEAD_OUT.itemsize], dtype=HEAD_OUT)[0]
    if head["magic"] != MAGIC_OUT:
        raise SimulationError("the Verilator core harness wrote no result head")
    if not head["halted"]:
        raise ConfigError(f"the RTL core (Verilator) did not halt within {max_cycles} cycles")
    words = np.frombuffer(raw[HEAD_OUT.itemsize:], dtype="<u8")
    if words.size != len(reads):
        raise SimulationError(f"the Verilator core harness read {words.size} words, expected "
                              f"{len(reads)}")
    got = {(int(m), int(a)): int(w) for (m, a), w in zip(reads, words)}
    return got, float(head["seconds"]), int(head["cycles"])


def run_verilator(cfg: CoreConfig, words, dram=None, max_cycles: int = 10_000_000,
                  vector: bool = True, cache_dir: str | Path | None = None) -> CoreRun:
    """Run a program (instruction words) on the core `cfg` compiled by Verilator: the same fields
    as core_rtl.run_myhdl's result; `seconds` is the harness's own clocked loop (C++ timer, from
    `start` to `halted`), not the build, the loading or the read-back."""
    check_config(cfg, CoreConfig)
    words = isa.program_words(words)
    max_cycles = check_int(max_cycles, "max_cycles (cycles before a run counts as hung)", lo=1)
    if len(words) > IMEM_DEPTH:
        raise ConfigError(f"the Verilator core holds {IMEM_DEPTH} instructions, the program has "
                          f"{len(words)}")
    built = build_core(cfg, IMEM_DEPTH, vector, cache_dir)
    return run_built(built, cfg, words, dram, max_cycles)


def run_built(built: CoreBuild, cfg: CoreConfig, words, dram=None,
              max_cycles: int = 10_000_000) -> CoreRun:
    """run_verilator on an existing build of `cfg`."""
    if not isinstance(built, CoreBuild):
        raise ConfigError(f"built must be a CoreBuild (build_core(cfg)), got {show(built)}")
    check_config(cfg, CoreConfig)
    words = isa.program_words(words)
    max_cycles = check_int(max_cycles, "max_cycles (cycles before a run counts as hung)", lo=1)
    reads = read_requests(cfg)
    got, seconds, _ = simulate(built, core_rtl.host_writes(cfg, words, dram), reads, max_cycles)
    raw, dram_bytes, counters = core_rtl.read_all(cfg, lambda mem, addr: got[mem, addr])
    state = core_rtl.rows_to_state(cfg, raw, dram_bytes, counters)
    return CoreRun(state, counters, "verilator", counters["cycles"], seconds=seconds)


def run(program, cfg: CoreConfig, dram=None) -> CoreRun:
    """Run `program` (words or assembly) on the core `cfg` compiled by Verilator, after the cycle
    model has checked it is a legal program. The build holds the DRAM the program reaches,
    rounded up to a power of two (at least 4 KB), so that a few cached builds serve every
    program of a configuration; the result has the full DRAM again."""
    cfg = check_config(cfg, CoreConfig)
    words = isa.program_words(program)
    core_fast.run(words, cfg, dram)  # a ProgramError names the pc and the instruction
    fit, image, widen = core_rtl.fitted(cfg, words, dram, power_of_two=True)
    return widen(run_verilator(fit, words, image))
