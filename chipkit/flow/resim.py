"""Re-simulate converted Verilog with Icarus Verilog on the same vectors as the MyHDL simulation.

A generated testbench reads each input's vectors with $readmemh, applies them with the Bench's
timing (chipkit.flow.sim), and writes every output in hex; we read them back as signed or unsigned
integers.
"""
from __future__ import annotations

import string
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from chipkit.errors import SimulationError
from chipkit.flow.convert import convert
from chipkit.flow.sim import HALF_PERIOD, Bench, port_dtype, port_signed, port_width
from chipkit.flow.tools import need
from chipkit.numerics import from_twos, to_twos, wrap_unsigned


def _decl(kind: str, name: str, width: int) -> str:
    return f"{kind} {'' if width == 1 else f'[{width - 1}:0] '}{name};"


def testbench(bench: Bench, n: int) -> str:
    """Verilog testbench text for `bench`'s converted module, running `n` steps."""
    ins, outs = bench.input_ports(), bench.outputs
    lines = ["`timescale 1ns/1ns", "module tb;", "integer t, f;"]
    if bench.clocked:
        lines += ["reg clock = 0;", f"always #{HALF_PERIOD} clock = ~clock;"]
    for k, tpl in ins.items():
        w = port_width(tpl)
        lines += [_decl("reg", k, w), f"reg [{w - 1}:0] v_{k} [0:{n - 1}];"]
    lines += [_decl("wire", k, port_width(tpl)) for k, tpl in outs.items()]
    conns = (["clock"] if bench.clocked else []) + list(ins) + list(outs)
    lines.append(f"{bench.name} dut(" + ", ".join(f".{k}({k})" for k in conns) + ");")
    lines += ["initial begin"]
    lines += [f'  $readmemh("{k}.hex", v_{k});' for k in ins]
    lines += ['  f = $fopen("out.txt", "w");', f"  for (t = 0; t < {n}; t = t + 1) begin"]
    lines += [f"    {k} = v_{k}[t];" for k in ins]
    lines += ["    @(posedge clock); #1;" if bench.clocked else "    #1;"]
    fmt = " ".join("%h" for _ in outs)
    lines += [f'    $fdisplay(f, "{fmt}", {", ".join(outs)});', "  end", "  $fclose(f);",
              "  $finish;", "end", "endmodule"]
    return "\n".join(lines) + "\n"


def run_iverilog(bench: Bench, vectors: dict, vfile: str | Path | None = None) -> dict:
    """Simulate `bench`'s converted Verilog in Icarus on `vectors`; return {output: int64 array}.

    `vfile` is the converted module (from chipkit.flow.convert.convert); when None, the bench is
    converted afresh into a temporary folder."""
    iverilog = need("iverilog")
    vvp = str(Path(iverilog).with_name("vvp"))
    vecs, n = bench.check_vectors(vectors)
    with tempfile.TemporaryDirectory(prefix="chipkit_resim_") as tmp:
        work = Path(tmp)
        vfile = Path(vfile) if vfile is not None else convert(bench, work, "Verilog")
        for k, tpl in bench.input_ports().items():
            bits = to_twos(vecs[k], port_width(tpl)) if port_signed(tpl) else wrap_unsigned(
                vecs[k], port_width(tpl))
            (work / f"{k}.hex").write_text("".join(f"{int(b):x}\n" for b in bits))
        (work / "tb.v").write_text(testbench(bench, n))
        comp = subprocess.run([iverilog, "-g2005", "-o", "sim.vvp", "tb.v", str(vfile.resolve())],
                              cwd=work, capture_output=True, text=True, timeout=300)
        if comp.returncode != 0:
            raise SimulationError(
                f"iverilog could not compile {vfile.name}:\n{comp.stderr.strip()}")
        out = subprocess.run([vvp, "-n", "sim.vvp"], cwd=work, capture_output=True, text=True,
                             timeout=600)
        if out.returncode != 0 or not (work / "out.txt").exists():
            raise SimulationError(f"vvp failed on {vfile.name}:\n{out.stderr.strip()}")
        rows = [line.split() for line in (work / "out.txt").read_text().splitlines() if line]
    return decode_outputs(bench, rows, n, base=16, language="Verilog")


def decode_outputs(bench: Bench, rows: list, n: int, base: int, language: str) -> dict:
    """{output: array} from a testbench's text rows (one column per output, in `base` digits);
    an undefined digit (x, z, U, X, ...) is an error naming the output and the step."""
    if len(rows) != n:
        raise SimulationError(f"the {language} testbench wrote {len(rows)} rows, expected {n}")
    digits = set(string.hexdigits if base == 16 else "01")
    result = {}
    for j, (k, tpl) in enumerate(bench.outputs.items()):
        raw = [r[j] for r in rows]
        bad = next((t for t, s in enumerate(raw) if set(s) - digits), None)
        if bad is not None:
            raise SimulationError(f"output {k!r} is undefined ({raw[bad][:16]}) at step {bad} in "
                                  f"the {language}")
        vals = np.array([int(s, base) for s in raw], dtype=port_dtype(tpl))
        result[k] = from_twos(vals, port_width(tpl)) if port_signed(tpl) else vals
    return result
