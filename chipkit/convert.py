"""From MyHDL to Verilog and VHDL, and the checks a converted design must pass: Verilator's lint and
GHDL's analysis. Re-simulating the converted Verilog lives next door, in chipkit.resim.
"""
from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

from chipkit.errors import ConfigError, SimulationError
from chipkit.sim import Bench
from chipkit.tools import need

#: Verilator warnings MyHDL's converter triggers by construction, switched off by name (never -Wno-fatal):
#: DECLFILENAME -- MyHDL names files after modules anyway; UNUSEDSIGNAL/UNUSED -- unused bits of a slice.
LINT_WAIVERS = ("-Wno-DECLFILENAME", "-Wno-UNUSEDSIGNAL", "-Wno-UNUSED")


def convert(bench: Bench, path: str | Path, hdl: str = "Verilog") -> Path:
    """Convert the bench's block to `hdl` ("Verilog" or "VHDL") in folder `path`; return the file."""
    if hdl not in ("Verilog", "VHDL"):
        raise ConfigError(f"hdl must be 'Verilog' or 'VHDL', got {hdl!r}")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    inst = bench.instance()
    extra = {"testbench": False} if hdl == "Verilog" else {}
    with warnings.catch_warnings():
        # tie cells (chipkit.hdl.multipliers) are constants by design: MyHDL makes them wires
        warnings.filterwarnings("ignore", message=r"Signal is not driven: \S*const$")
        inst.convert(hdl=hdl, path=str(path), name=bench.name, **extra)
    out = path / (bench.name + (".v" if hdl == "Verilog" else ".vhd"))
    if not out.exists():
        raise SimulationError(f"MyHDL did not write {out}")
    return out


def lint_verilog(vfile: str | Path) -> str:
    """Run `verilator --lint-only -Wall` on a converted file; raise SimulationError with its complaints."""
    exe = need("verilator")
    vfile = Path(vfile)
    cmd = [exe, "--lint-only", "-Wall", *LINT_WAIVERS, "--top-module", vfile.stem, str(vfile)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SimulationError(f"verilator lint failed for {vfile.name}:\n{out.stderr.strip()}")
    return out.stderr


def analyse_vhdl(vhdfile: str | Path) -> None:
    """Analyse and elaborate a converted VHDL file (and MyHDL's support package) with GHDL."""
    exe = need("ghdl")
    vhdfile = Path(vhdfile)
    folder = vhdfile.parent
    packages = sorted(folder.glob("pck_myhdl_*.vhd"))
    for step in (["-a", "--std=08", *map(str, packages), str(vhdfile)], ["-e", "--std=08", vhdfile.stem]):
        out = subprocess.run([exe, *step], capture_output=True, text=True, cwd=folder, timeout=120)
        if out.returncode != 0:
            raise SimulationError(f"ghdl {step[0]} failed for {vhdfile.name}:\n{out.stderr.strip()}")
