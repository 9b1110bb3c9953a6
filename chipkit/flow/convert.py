"""From MyHDL to Verilog and VHDL, and the checks a converted design must pass: Verilator's lint and
GHDL's analysis. Re-simulating the converted Verilog lives next door, in chipkit.flow.resim.
"""
from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

import myhdl._block
import myhdl._simulator

from chipkit.errors import ConfigError, SimulationError
from chipkit.flow.sim import Bench
from chipkit.flow.tools import need

#: Verilator warnings MyHDL's converter triggers by construction, switched off by name (never
# -Wno-fatal):
#: DECLFILENAME -- MyHDL names files after modules anyway; UNUSEDSIGNAL/UNUSED -- unused bits of a
# slice.
LINT_WAIVERS = ("-Wno-DECLFILENAME", "-Wno-UNUSEDSIGNAL", "-Wno-UNUSED")


def fresh_names() -> None:
    """Name MyHDL's blocks as in a fresh process, so a design converts to the same text whatever
    ran before: MyHDL keeps the names it handed out (and suffixes new ones) and numbers each
    block's instances by how often the block was called."""
    myhdl._block._name_set.clear()
    myhdl._block._inst_name_set.clear()
    for blk in myhdl._simulator._blocks:
        if hasattr(blk, "calls"):
            blk.calls = 0


def convert(bench: Bench, path: str | Path, hdl: str = "Verilog") -> Path:
    """Convert the bench's block to `hdl` ("Verilog" or "VHDL") in folder `path`; return the
    file."""
    if hdl not in ("Verilog", "VHDL"):
        raise ConfigError(f"hdl must be 'Verilog' or 'VHDL', got {hdl!r}")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fresh_names()
    inst = bench.instance()
    extra = {"testbench": False} if hdl == "Verilog" else {}
    with warnings.catch_warnings():
        # constants are undriven signals by design (tie cells, clamp values): MyHDL makes them wires
        warnings.filterwarnings(
            "ignore", message=r"Signal is not driven: \S*(const|largest|smallest)$")
        inst.convert(hdl=hdl, path=str(path), name=bench.name, **extra)
    out = path / (bench.name + (".v" if hdl == "Verilog" else ".vhd"))
    if not out.exists():
        raise SimulationError(f"MyHDL did not write {out}")
    return out


_WIDTH = re.compile(r"%Warning-WIDTH: .*? expects (\d+) bits.*? generates (\d+) bits")


def lint_verilog(vfile: str | Path, truncations: bool = False) -> list[str]:
    """Run `verilator --lint-only -Wall` on a converted file; raise SimulationError with its
    complaints.

    MyHDL relies on Verilog's rule that an operand is widened to its context (a signed 16-bit
    product added to a 33-bit sum is sign-extended), and Verilator reports each such widening as
    WIDTH. Newer Verilators split that warning into WIDTHEXPAND and WIDTHTRUNC; we do the same split
    here: widenings are returned as notes (the re-simulation checks their meaning), anything else
    fails, truncations included.

    truncations -- True: return WIDTH truncations as notes too. For the whole core
                   (chipkit.hdl.core), whose address arithmetic wraps at each memory's width on
                   purpose (row + offset mod 2^12, a 48-bit counter plus a 64-bit product): MyHDL
                   writes each such wrap as a plain assignment, which Verilator reports. Its
                   re-simulation against the MyHDL core on random programs checks their meaning.
    """
    exe = need("verilator")
    vfile = Path(vfile)
    cmd = [exe, "--lint-only", "-Wall", *LINT_WAIVERS, "--top-module", vfile.stem, str(vfile)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    warnings_ = [ln for ln in out.stderr.splitlines() if ln.startswith("%Warning")]
    errors = [ln for ln in out.stderr.splitlines() if ln.startswith("%Error")
              and "Exiting due to" not in ln]
    expansions = [w for w in warnings_ if (m := _WIDTH.search(w)) and int(m[2]) < int(m[1])]
    if truncations:
        expansions += [w for w in warnings_ if "%Warning-WIDTH" in w and w not in expansions]
    problems = errors + [w for w in warnings_ if w not in expansions]
    if problems:
        raise SimulationError(f"verilator lint failed for {vfile.name}:\n" + "\n".join(problems))
    return expansions


def analyse_vhdl(vhdfile: str | Path) -> None:
    """Analyse and elaborate a converted VHDL file (and MyHDL's support package) with GHDL."""
    exe = need("ghdl")
    vhdfile = Path(vhdfile)
    folder = vhdfile.parent
    packages = sorted(folder.glob("pck_myhdl_*.vhd"))
    analyse = ["-a", "--std=08", *map(str, packages), str(vhdfile)]
    for step in (analyse, ["-e", "--std=08", vhdfile.stem]):
        out = subprocess.run([exe, *step], capture_output=True, text=True, cwd=folder, timeout=120)
        if out.returncode != 0:
            raise SimulationError(
                f"ghdl {step[0]} failed for {vhdfile.name}:\n{out.stderr.strip()}")
