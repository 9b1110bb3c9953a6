"""Re-simulate converted VHDL with GHDL on the same vectors as the MyHDL simulation.

A generated VHDL-2008 testbench reads one line of binary input values per step from a text file,
applies them with the Bench's timing (chipkit.flow.sim), and writes every output in binary.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from chipkit.errors import SimulationError
from chipkit.flow.convert import convert
from chipkit.flow.resim import decode_outputs
from chipkit.flow.sim import HALF_PERIOD, Bench, port_signed, port_width
from chipkit.flow.tools import need
from chipkit.numerics import to_twos, wrap_unsigned


def _vhdl_type(tpl) -> str:
    """The type MyHDL gives a port: std_logic, unsigned(n-1 downto 0) or signed(n-1 downto 0)."""
    if isinstance(tpl, bool):
        return "std_logic"
    return f"{'signed' if port_signed(tpl) else 'unsigned'}({port_width(tpl) - 1} downto 0)"


def _slv(tpl) -> str:
    if isinstance(tpl, bool):
        return "std_logic"
    return f"std_logic_vector({port_width(tpl) - 1} downto 0)"


def testbench(bench: Bench) -> str:
    """VHDL-2008 testbench text for `bench`'s converted entity; it runs until in.txt ends."""
    ins, outs = bench.input_ports(), bench.outputs
    ports = (["clock"] if bench.clocked else []) + list(ins) + list(outs)
    lines = ["library ieee;", "use ieee.std_logic_1164.all;", "use ieee.numeric_std.all;",
             "use std.textio.all;", "", "entity tb is", "end entity tb;", "",
             "architecture sim of tb is"]
    if bench.clocked:
        lines.append("  signal clock : std_logic := '0';")
    lines += [f"  signal {k} : {_vhdl_type(t)};" for k, t in {**ins, **outs}.items()]
    lines += ["begin",
              f"  dut: entity work.{bench.name} port map ("
              + ", ".join(f"{k} => {k}" for k in ports) + ");",
              "  stimulus: process",
              '    file fin : text open read_mode is "in.txt";',
              '    file fout : text open write_mode is "out.txt";',
              "    variable li, lo : line;"]
    lines += [f"    variable v_{k} : {_slv(t)};" for k, t in {**ins, **outs}.items()]
    lines += ["  begin", "    while not endfile(fin) loop", "      readline(fin, li);"]
    for k, t in ins.items():
        cast = "" if isinstance(t, bool) else ("signed" if port_signed(t) else "unsigned")
        lines += [f"      read(li, v_{k});", f"      {k} <= {cast}(v_{k});" if cast
                  else f"      {k} <= v_{k};"]
    if bench.clocked:
        lines += [f"      wait for {HALF_PERIOD} ns;", "      clock <= '1';",
                  "      wait for 1 ns;"]
    else:
        lines += ["      wait for 1 ns;"]
    for j, (k, t) in enumerate(outs.items()):
        value = k if isinstance(t, bool) else f"std_logic_vector({k})"
        lines += [f"      v_{k} := {value};", f"      write(lo, v_{k});"]
        if j + 1 < len(outs):
            lines.append("      write(lo, string'(\" \"));")
    lines.append("      writeline(fout, lo);")
    if bench.clocked:
        lines += [f"      wait for {HALF_PERIOD - 1} ns;", "      clock <= '0';"]
    lines += ["    end loop;", "    wait;", "  end process stimulus;", "end architecture sim;"]
    return "\n".join(lines) + "\n"


def _bits(values, tpl) -> list[str]:
    w = port_width(tpl)
    pattern = to_twos(values, w) if port_signed(tpl) else wrap_unsigned(values, w)
    return [format(int(v), f"0{w}b") for v in np.atleast_1d(pattern)]


def run_ghdl(bench: Bench, vectors: dict, vhdfile: str | Path | None = None) -> dict:
    """Simulate `bench`'s converted VHDL in GHDL on `vectors`; return {output: array}, exactly like
    chipkit.flow.resim.run_iverilog. `vhdfile` is the converted entity (converted afresh when
    None)."""
    ghdl = need("ghdl")
    vecs, n = bench.check_vectors(vectors)
    with tempfile.TemporaryDirectory(prefix="chipkit_ghdl_") as tmp:
        work = Path(tmp)
        if vhdfile is None:
            vhdfile = convert(bench, work, "VHDL")
        vhdfile = Path(vhdfile).resolve()
        packages = sorted(vhdfile.parent.glob("pck_myhdl_*.vhd"))
        columns = [_bits(vecs[k], t) for k, t in bench.input_ports().items()]
        (work / "in.txt").write_text("".join(" ".join(row) + "\n" for row in zip(*columns)))
        (work / "tb.vhd").write_text(testbench(bench))
        steps = [["-a", "--std=08", *map(str, packages), str(vhdfile), "tb.vhd"],
                 ["--elab-run", "--std=08", "tb", "--ieee-asserts=disable"]]
        for step in steps:
            out = subprocess.run([ghdl, *step], cwd=work, capture_output=True, text=True,
                                 timeout=900, check=False)
            if out.returncode != 0:
                raise SimulationError(f"ghdl {step[0]} failed on {vhdfile.name}:\n"
                                      + "\n".join(out.stderr.strip().splitlines()[-8:]))
        rows = [line.split() for line in (work / "out.txt").read_text().splitlines() if line]
    return decode_outputs(bench, rows, n, base=2, language="VHDL")
