"""The `chipkit` command: info, grade, gemm, bench, lockstep, asm, disasm. A user's mistake prints
one line and exits 2.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

from chipkit.backends.array_gemm import BACKEND_NAMES, BACKENDS, check_size
from chipkit.errors import ChipkitError, ConfigError


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr and exit 2 (argparse's own code)."""

    def error(self, message):
        sys.stderr.write(f"chipkit: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def cmd_info(args) -> int:
    import matplotlib
    import myhdl
    import numpy

    import chipkit
    from chipkit.flow.tools import TOOLS, version

    print(f"chipkit     {chipkit.__version__}")
    print(f"python      {platform.python_version()}")
    print(f"numpy       {numpy.__version__}")
    print(f"myhdl       {myhdl.__version__}")
    print(f"matplotlib  {matplotlib.__version__}")
    print("optional tools:")
    for name in TOOLS:
        v = version(name)
        print(f"  {name:10s}  {v if v else 'not found (' + TOOLS[name][2] + ')'}")
    return 0


def cmd_grade(args) -> int:
    from chipkit.grading.runner import grade_command

    return grade_command(impl=args.impl, as_json=args.json, only=args.only, timeout=args.timeout)


def _positive(name: str, value) -> int:
    if value is None:
        raise ConfigError(f"give the GEMM's size with --m, --n and --k (or operands with --a and "
                          f"--b); --{name} is missing")
    if value < 1:
        raise ConfigError(f"--{name} must be a positive integer, got {value}")
    return value


def _load_npy(path: str, flag: str):
    """A matrix from a .npy file, or a ConfigError that names the file and the problem."""
    import numpy as np

    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ConfigError(f"{flag} {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{flag} {path}: is a folder, not a .npy file") from None
    except (OSError, ValueError, EOFError) as e:
        raise ConfigError(f"{flag} {path}: not a readable .npy file ({e})") from None
    if not isinstance(x, np.ndarray):
        x.close()
        raise ConfigError(f"{flag} {path}: is an .npz archive; save one matrix with np.save")
    if x.ndim != 2:
        raise ConfigError(f"{flag} {path}: must hold a 2-D matrix, got {x.ndim}-D shape {x.shape}")
    return x


def _operands(args):
    """A and B: from --a/--b files, or random int8 of size --m/--n/--k from --seed."""
    import numpy as np

    if (args.a is None) != (args.b is None):
        raise ConfigError("give both --a and --b (two .npy files), or neither")
    if args.a is not None:
        given = [f"--{d}" for d in "mnk" if getattr(args, d) is not None]
        if given:
            raise ConfigError(f"{'/'.join(given)} cannot be used with --a/--b: the sizes come "
                              "from the files")
        return _load_npy(args.a, "--a"), _load_npy(args.b, "--b")
    m, n, k = (_positive(d, getattr(args, d)) for d in "mnk")
    check_size(m, n, k)
    if args.seed < 0:
        raise ConfigError(f"--seed must be a non-negative integer, got {args.seed}")
    rng = np.random.default_rng(args.seed)
    return (rng.integers(-128, 128, (m, k), dtype=np.int8),
            rng.integers(-128, 128, (k, n), dtype=np.int8))


def _progress_bar(width: int = 30):
    """progress(done, total) drawing `[#####.....]  45 %  1,234/2,742 cycles` on stderr."""

    shown = [-1]

    def progress(done: int, total: int):
        pct = 100 * done // total if total else 100
        if pct == shown[0]:  # redraw once per percent, not every cycle
            return
        shown[0] = pct
        bar = "#" * (width * pct // 100)
        sys.stderr.write(f"\r[{bar:.<{width}}] {pct:3d} %  {done:,}/{total:,} cycles")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return progress


def _report(r) -> str:
    from chipkit.config import DATAFLOW_NAMES

    rows, diff = int(r.array.split("x")[0]), r.cycles - r.scalesim_cycles
    if diff == 1:
        why = "= ours - 1: it reports the last cycle's index"
    elif diff == r.folds * rows + 1:
        why = (f"= ours - {r.folds} x {rows} - 1: it does not count the {rows}-cycle drain of "
               "each fold, and reports the last cycle's index")
    else:
        why = f"= ours {'-' if diff > 0 else '+'} {abs(diff)}"
    return "\n".join([
        f"GEMM         C {r.m}x{r.n} = A {r.m}x{r.k} @ B {r.k}x{r.n} (int8, int32 sums), "
        f"{r.macs:,} MACs",
        f"array        {r.array}, {r.dataflow} ({DATAFLOW_NAMES[r.dataflow]}): {r.folds:,} folds "
        f"x {r.cycles // r.folds:,} cycles",
        f"backend      {r.backend} ({BACKEND_NAMES[r.backend]}), {r.seconds:.3g} s",
        f"cycles       {r.cycles:,}   (SCALE-Sim 3.0: {r.scalesim_cycles:,} {why})",
        f"utilization  {100 * r.utilization:.1f} %",
        f"golden       {'match' if r.match_golden else 'MISMATCH'}",
    ])


def cmd_gemm(args) -> int:
    from chipkit.backends.array_gemm import gemm
    from chipkit.config import ArrayConfig

    if args.target not in ("array", "core"):
        raise ConfigError(f"unknown --target {args.target!r}; use array or core")
    cfg = ArrayConfig.parse(args.array, args.dataflow)
    if args.target == "core":
        return _core_gemm(args, cfg)
    if args.backend not in BACKENDS:
        raise ConfigError(f"unknown --backend {args.backend!r}; choose one of "
                          f"{', '.join(BACKENDS)}")
    a, b = _operands(args)
    bar = _progress_bar() if args.backend == "rtl" and sys.stderr.isatty() else None
    r = gemm(a, b, cfg, backend=args.backend, progress=bar)
    _save_product(args.out, r.product)
    if args.json:
        print(json.dumps(r.to_json()))
    else:
        print(_report(r))
        if args.out is not None:
            print(f"saved        {args.out} (int32 {r.m}x{r.n})")
    return 0 if r.match_golden else 1


def _save_product(path, product) -> None:
    """--out: C as int32 .npy at exactly this path (np.save would append .npy to a bare name)."""
    if path is None:
        return
    try:
        with open(path, "wb") as f:
            np.save(f, product.astype(np.int32))
    except OSError as e:
        raise ConfigError(f"--out {path}: cannot write it ({e.strerror or e})") from None


def _core_gemm(args, array) -> int:
    from chipkit.backends.core_gemm import core_gemm
    from chipkit.config import CoreConfig

    if array.rows != array.cols or array.dataflow != "ws":
        raise ConfigError(f"the inference core has a square weight-stationary array: use "
                          f"--array {array.rows}x{array.rows} --dataflow ws")
    a, b = _operands(args)
    bar = _progress_bar() if args.backend == "rtl" and sys.stderr.isatty() else None
    r = core_gemm(a, b, CoreConfig(lanes=array.rows), backend=args.backend, progress=bar)
    _save_product(args.out, r.product)
    if args.json:
        print(json.dumps(r.to_json()))
    else:
        c = r.counters
        stalls = ", ".join(f"{k[6:]} {v:,}" for k, v in c.items() if k.startswith("stall_") and v)
        print(f"GEMM         C {r.m}x{r.n} = A {r.m}x{r.k} @ B {r.k}x{r.n}, {r.macs:,} MACs, as "
              f"{r.instructions} instructions on the {r.array} core ({r.backend})")
        if r.cycles is not None:
            print(f"cycles       {r.cycles:,} (SCALE-Sim WS, compute only: {r.scalesim_cycles:,};"
                  f" ratio {r.cycles / r.scalesim_cycles:.2f})")
            print(f"array busy   {c['array_busy']:,} cycles; DMA {c['dma_bytes']:,} bytes")
            print(f"stalls       {stalls or 'none'}")
        print(f"golden       {'match' if r.match_golden else 'MISMATCH'}")
    return 0 if r.match_golden else 1


def cmd_bench(args) -> int:
    from chipkit.bench import bench, core_speed, core_vs_scalesim, report, report_core

    runs, core, speed = bench(), core_vs_scalesim(), core_speed()
    if args.json:
        print(json.dumps({"runs": runs, "core_vs_scalesim_ws": core, "core_speed": speed}))
    else:
        print(report(runs) + "\n\n" + report_core(core, speed))
    return 0


def cmd_lockstep(args) -> int:
    from chipkit import isa
    from chipkit.config import CoreConfig
    from chipkit.lockstep import run_lockstep

    path = Path(args.program)
    if not path.is_file():
        raise ConfigError(f"{path}: no such program file")
    if path.suffix in (".hex", ".bin"):
        words = isa.load(path)
    else:
        try:
            words = isa.assemble(path.read_text())
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not assembly text; give a .s file, or a program written "
                              "by `chipkit asm -o PROG.hex` (or .bin)") from None
    dram = None
    if args.dram is not None:
        dpath = Path(args.dram)
        if not dpath.is_file():
            raise ConfigError(f"--dram {dpath}: no such file (raw bytes, the DRAM from address 0)")
        dram = np.frombuffer(dpath.read_bytes(), dtype=np.uint8)
    run = run_lockstep(words, CoreConfig(lanes=args.lanes), dram, a=args.a, b=args.b)
    print(json.dumps(run.to_json()) if args.json else run.summary())
    return 0 if run.divergence is None else 1


def cmd_asm(args) -> int:
    from chipkit import isa

    path = Path(args.source)
    if not path.is_file():
        raise ConfigError(f"{path}: no such assembly file")
    words = isa.assemble(path.read_text())
    if args.out:
        isa.save(words, args.out)
        print(f"{len(words)} instructions -> {args.out}")
    else:
        sys.stdout.write("".join(f"{w:016x}\n" for w in words))
    return 0


def cmd_disasm(args) -> int:
    from chipkit import isa

    sys.stdout.write(isa.disassemble(isa.load(args.program)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="chipkit", description="Design an int8 inference chip from the bits up.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    info = sub.add_parser("info", help="versions and the optional HDL tools found")
    info.set_defaults(func=cmd_info)
    g = sub.add_parser("grade", help="grade the exercises: a score table and Score: X/Y")
    g.add_argument("--impl", default="exercises",
                   help="exercises (default), solutions, or a folder with a student's files")
    g.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    g.add_argument("--only", default=None, help="grade only exercises whose name contains this")
    g.add_argument("--timeout", type=float, default=None,
                   help="seconds each graded test may run (default 10; some exercises allow more)")
    g.set_defaults(func=cmd_grade)
    m = sub.add_parser("gemm", help="multiply two int8 matrices on the systolic array: cycles, "
                       "utilization, SCALE-Sim's count, the golden check",
                       description="Multiply random int8 matrices of size --m/--n/--k (from "
                       "--seed), or your own --a/--b .npy files, on an RxC systolic array.")
    for d, what in (("m", "rows of A and C"), ("n", "columns of B and C"), ("k", "the inner size")):
        m.add_argument(f"--{d}", type=int, default=None, help=f"{d.upper()}: {what}")
    m.add_argument("--a", default=None, help="A (M x K int8 values) from a .npy file, with --b")
    m.add_argument("--b", default=None, help="B (K x N int8 values) from a .npy file, with --a")
    m.add_argument("--out", default=None, help="save C (int32) to this .npy file")
    m.add_argument("--array", default="4x4", help="the array, RxC (default 4x4)")
    m.add_argument("--dataflow", default="ws", help="ws (weight-stationary, default) or os "
                   "(output-stationary)")
    m.add_argument("--backend", default="fast", help=f"{', '.join(BACKENDS)} (default fast)")
    m.add_argument("--target", default="array", help="array (default: the systolic array alone) "
                   "or core (a program on the inference core, operands in DRAM)")
    m.add_argument("--seed", type=int, default=0, help="seed of the random operands (default 0)")
    m.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    m.set_defaults(func=cmd_gemm)
    bn = sub.add_parser("bench", help="simulated cycles per second: the fast model vs MyHDL; the "
                        "core's cycles vs SCALE-Sim WS")
    bn.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    bn.set_defaults(func=cmd_bench)
    ls = sub.add_parser("lockstep", help="run a core program on two backends; report the first "
                        "cycle, instruction and memory row where they differ",
                        description="Run an inference-core program on two backends side by side. "
                        "Exit 0 when they agree, 1 when they diverge.")
    ls.add_argument("program", help="assembly (.s), or a .hex / .bin program from `chipkit asm`")
    ls.add_argument("--a", default="fast", help="the first backend: fast (default), golden or rtl")
    ls.add_argument("--b", default="golden",
                    help="the second backend: golden (default), fast or rtl")
    ls.add_argument("--lanes", type=int, default=8, help="L: the core's L x L array (default 8)")
    ls.add_argument("--dram", default=None, help="the initial DRAM image: a file of raw bytes "
                    "from address 0 (default: zeros)")
    ls.add_argument("--json", action="store_true", help="print one JSON object instead of a "
                    "report")
    ls.set_defaults(func=cmd_lockstep)
    a = sub.add_parser("asm", help="assemble an inference-core program (docs/isa.md)")
    a.add_argument("source", help="assembly text file")
    a.add_argument("-o", "--out", default=None,
                   help="write the program here: .hex (one word a line) or binary (8 bytes a "
                   "word); without it the words are printed in hex")
    a.set_defaults(func=cmd_asm)
    d = sub.add_parser("disasm", help="disassemble a program back to assembly text")
    d.add_argument("program", help="a .hex or binary program written by `chipkit asm`")
    d.set_defaults(func=cmd_disasm)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ChipkitError as e:
        msg = " ".join(str(e).split())
        sys.stderr.write(f"chipkit: error: {msg}\n")
        return 2
    except BrokenPipeError:  # `chipkit grade | head`: the reader left; nothing more to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("chipkit: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
