"""The `chipkit` command: info, grade, gemm, bench, lockstep, compile, run, demo, asm, disasm. A
user's mistake prints one line and exits 2.
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


_NPY_HOW = "make one with numpy: np.save('a.npy', np.array(rows, dtype=np.int8))"


def _read(path: str, flag: str, what: str, limit: int, check=None, kind: str = "") -> bytes:
    """The bytes of the file `path` given to `flag` (a FIFO or /dev/stdin too), at most `limit`;
    `check(first 8 bytes)` may refuse it before the rest is read. A ConfigError names the flag,
    the file and what to give instead (`kind`: "no such {kind} file")."""
    label = f"{flag} {path}".lstrip()
    if path == "":
        raise ConfigError(f"{flag or 'the file name'} is empty; give {what}")
    try:
        with open(path, "rb") as f:
            data = f.read(min(8, limit + 1))
            if check is not None:
                check(data)
            data += f.read(limit + 1 - len(data))
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such {kind + ' ' * bool(kind)}file; give {what}") \
            from None
    except IsADirectoryError:
        raise ConfigError(f"{label}: is a folder; give {what}") from None
    except PermissionError:
        raise ConfigError(f"{label}: permission denied; make it readable (chmod +r) or give "
                          f"another file") from None
    except OSError as e:
        raise ConfigError(f"{label}: cannot read it ({e.strerror or e}); give {what}") from None
    if len(data) > limit:
        raise ConfigError(f"{label}: larger than {limit:,} bytes; give {what}")
    return data


def _load_npy(path: str, flag: str):
    """A matrix from a .npy file, or a ConfigError that names the file and the problem. The
    header is read first, so a file that is no .npy, or one that claims a huge matrix, is
    refused before anything large is read."""
    import io

    from numpy.lib import format as npf

    from chipkit.backends.array_gemm import MAX_ELEMENTS

    what = "a .npy file written by np.save"
    bad = f"{flag} {path}: not a readable .npy file"

    def check(head: bytes):
        if not head:
            raise ConfigError(f"{bad}: it is empty; {_NPY_HOW}")
        if head.startswith(b"PK\x03\x04"):
            raise ConfigError(f"{flag} {path}: is an .npz archive; save one matrix with np.save")
        if not head.startswith(b"\x93NUMPY"):
            text = all(32 <= c < 127 or c in b"\t\r\n" for c in head)
            raise ConfigError(f"{bad}: it does not start with the .npy header (it holds "
                              f"{'text' if text else 'other data'}); {_NPY_HOW}")

    data = _read(path, flag, what, MAX_ELEMENTS * 16 + (1 << 16), check)
    buf = io.BytesIO(data)
    try:
        version = npf.read_magic(buf)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f".npy format version {version[0]}.{version[1]}")
        header = npf.read_array_header_1_0 if version == (1, 0) else npf.read_array_header_2_0
        shape, _, dtype = header(buf)
    except (ValueError, EOFError, SyntaxError) as e:
        raise ConfigError(f"{bad} ({_short(e)}); {_NPY_HOW}") from None
    if dtype.hasobject:
        raise ConfigError(f"{bad}: it holds Python objects (dtype object), not numbers; save an "
                          "integer matrix: np.save(path, np.asarray(A, dtype=np.int8))")
    if len(shape) != 2:
        raise ConfigError(f"{flag} {path}: must hold a 2-D matrix, got {len(shape)}-D shape "
                          f"{shape}")
    count = int(np.prod(shape, dtype=object))
    if count > MAX_ELEMENTS:
        raise ConfigError(f"{flag} {path}: holds a {shape[0]}x{shape[1]} matrix, {count:,} "
                          f"numbers; chipkit handles up to {MAX_ELEMENTS:,}: use a smaller one")
    if len(data) - buf.tell() < count * dtype.itemsize:
        raise ConfigError(f"{bad}: it is cut short (its header promises {count * dtype.itemsize:,}"
                          f" bytes of data, it holds {len(data) - buf.tell():,}); save it again")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError, TypeError) as e:
        raise ConfigError(f"{bad} ({_short(e)}); {_NPY_HOW}") from None


def _short(e: Exception) -> str:
    return " ".join(str(e).split())[:120]


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


def _max_cycles(args) -> None:
    if args.max_cycles is not None and args.max_cycles < 1:
        raise ConfigError(f"--max-cycles must be a positive number of cycles, got "
                          f"{args.max_cycles}")


def cmd_gemm(args) -> int:
    from chipkit.backends.array_gemm import gemm
    from chipkit.config import ArrayConfig

    _max_cycles(args)
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
    r = gemm(a, b, cfg, backend=args.backend, progress=bar, max_cycles=args.max_cycles)
    _save_product(args.out, r.product)
    if args.json:
        print(json.dumps(r.to_json()))
    else:
        print(_report(r))
        if args.out is not None:
            print(f"saved        {_printable(args.out)} (int32 {r.m}x{r.n})")
    return 0 if r.match_golden else 1


def _printable(path: str) -> str:
    """A file name as the output can print it: a character the output's encoding lacks (or a
    byte of the name that is no UTF-8) shown as ?."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return path.encode(encoding, "replace").decode(encoding)


def _save_product(path, product) -> None:
    """--out: C as int32 .npy at exactly this path (np.save would append .npy to a bare name)."""
    if path is None:
        return
    if path == "":
        raise ConfigError("--out is empty; give a file name such as c.npy")
    try:
        with open(path, "wb") as f:
            np.save(f, product.astype(np.int32))
    except OSError as e:
        raise _write_error("--out", path, e) from None


def _write_error(flag: str, path: str, e: OSError) -> ConfigError:
    """An OSError writing `path` (given to `flag`) as one sentence that says what to do."""
    if isinstance(e, IsADirectoryError):
        return ConfigError(f"{flag} {path}: cannot write it: is a folder; give a file name")
    if isinstance(e, FileNotFoundError):
        folder = Path(path).parent
        return ConfigError(f"{flag} {path}: cannot write it: the folder {folder} does not exist; "
                           "create it first or choose another place")
    return ConfigError(f"{flag} {path}: cannot write it ({e.strerror or e})")


def _core_gemm(args, array) -> int:
    from chipkit.backends.core_gemm import core_gemm
    from chipkit.backends.core_run import BACKENDS as CORE_BACKENDS
    from chipkit.config import CoreConfig

    if args.backend not in CORE_BACKENDS:
        raise ConfigError(f"the core runs on {', '.join(CORE_BACKENDS)}, not {args.backend!r}: "
                          "choose one with --backend")
    if array.rows != array.cols or array.dataflow != "ws":
        raise ConfigError(f"the inference core has a square weight-stationary array: use "
                          f"--array {array.rows}x{array.rows} --dataflow ws")
    _lanes(array.rows, f"--array {array.rows}x{array.rows}", "--array LxL")
    a, b = _operands(args)
    bar = _progress_bar() if args.backend == "rtl" and sys.stderr.isatty() else None
    r = core_gemm(a, b, CoreConfig(lanes=array.rows), backend=args.backend, progress=bar,
                  max_cycles=args.max_cycles)
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
    from chipkit.backends.model_run import one_pass
    from chipkit.bench import bench, core_speed, core_vs_scalesim, report, report_core

    runs, core, speed, tf = bench(), core_vs_scalesim(), core_speed(), one_pass()
    if args.json:
        print(json.dumps({"runs": runs, "core_vs_scalesim_ws": core, "core_speed": speed,
                          "transformer_cycles_per_pass": tf["cycles_per_pass"],
                          "transformer_utilization": tf["utilization"]}))
    else:
        print(report(runs) + "\n\n" + report_core(core, speed) + "\n\n"
              + f"tiny transformer, one pass of 16 tokens on the {tf['array']} core (cycle model): "
              f"{tf['cycles_per_pass']:,} cycles, utilization {tf['utilization']:.1%}, "
              f"{tf['instructions']} instructions")
    return 0


def _lanes(lanes: int, given: str, option: str) -> None:
    """The core's L must be a power of two from 2 to 64: say so with the option that sets it."""
    if not 2 <= lanes <= 64 or lanes & (lanes - 1):
        raise ConfigError(f"core lanes must be a power of two from 2 to 64 (the 256-entry GELU "
                          f"table is stored L entries a row): give {option} with L = 2, 4, 8, "
                          f"16, 32 or 64, got {given}")


_PROGRAM = "assembly (.s), or a .hex / .bin program from `chipkit asm`"


def _source(path: str, what: str, kind: str) -> str:
    """The assembly text in the file `path`: UTF-8, read whole (FIFOs and /dev/stdin too)."""
    from chipkit import isa

    data = _read(path, "", what, isa.MAX_PROGRAM_BYTES, kind=kind)
    binary = " (or, if it is a binary program from `chipkit asm -o`, name it .bin)"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ConfigError(f"{path}: is UTF-16 text; save it as UTF-8")
    if b"\0" in data:
        raise ConfigError(f"{path}: not assembly text: it holds NUL bytes (binary data, or "
                          f"UTF-16 text){binary}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} on line {line}); "
                          f"save it as UTF-8{binary}") from None


def cmd_lockstep(args) -> int:
    from chipkit import isa
    from chipkit.config import CoreConfig
    from chipkit.lockstep import TRACERS, run_lockstep

    _max_cycles(args)
    for flag, name in (("--a", args.a), ("--b", args.b)):
        if name not in TRACERS:
            raise ConfigError(f"unknown backend {name!r} for lockstep; choose from "
                              f"{', '.join(TRACERS)} with {flag}")
    _lanes(args.lanes, str(args.lanes), "--lanes")
    cfg = CoreConfig(lanes=args.lanes)
    if Path(args.program).suffix.lower() in (".hex", ".bin"):
        words = isa.load(args.program)
    else:
        words = isa.assemble(_source(args.program, _PROGRAM, "program"))
    dram = None
    if args.dram is not None:
        data = _read(args.dram, "--dram", f"a file of raw bytes, the DRAM from address 0 (at most "
                     f"{cfg.dram_bytes:,} bytes, the core's DRAM)", cfg.dram_bytes)
        dram = np.frombuffer(data, dtype=np.uint8)
    bar = _progress_bar() if "rtl" in (args.a, args.b) and sys.stderr.isatty() else None
    run = run_lockstep(words, cfg, dram, a=args.a, b=args.b, progress=bar,
                       max_cycles=args.max_cycles)
    print(json.dumps(run.to_json()) if args.json else run.summary())
    return 0 if run.divergence is None else 1


def cmd_asm(args) -> int:
    from chipkit import isa

    words = isa.assemble(_source(args.source, "assembly text (docs/isa.md)", "assembly"))
    if args.out is not None:
        if args.out == "":
            raise ConfigError("-o is empty; give a file name such as prog.hex or prog.bin")
        try:
            isa.save(words, args.out)
        except ConfigError as e:
            raise ConfigError(f"-o {e}") from None
        print(f"{len(words)} instructions -> {_printable(args.out)}")
    else:
        sys.stdout.write("".join(f"{w:016x}\n" for w in words))
    return 0


def cmd_disasm(args) -> int:
    from chipkit import isa

    sys.stdout.write(isa.disassemble(isa.load(args.program)))
    return 0


def _core_array(text: str):
    """--array LxL for the core: a CoreConfig, or a ConfigError naming the option."""
    from chipkit.config import ArrayConfig, CoreConfig

    array = ArrayConfig.parse(text, "ws")
    if array.rows != array.cols:
        raise ConfigError(f"the inference core has a square array: use --array "
                          f"{array.rows}x{array.rows}, got --array {text}")
    _lanes(array.rows, f"--array {text}", "--array LxL")
    return CoreConfig(lanes=array.rows)


def _sort_report(r) -> str:
    mark = "sorted" if r.sorted else "NOT sorted"
    agree = "equal to the golden model" if r.match_golden else "DIFFERENT from the golden model"
    return (f"{' '.join(map(str, r.input))}  ->  {' '.join(map(str, r.output))}   {mark}\n"
            f"  {r.backend} on the {r.array} core: {r.passes} passes, {r.cycles:,} cycles "
            f"({r.cycles // r.passes:,} a pass), utilization {r.utilization:.1%}, "
            f"{r.time_us:,.1f} us at {r.clock_mhz} MHz; int32 logits {agree}")


def cmd_run(args) -> int:
    from chipkit.backends.model_run import check_model, sort_digits

    check_model(args.model)
    cfg = _core_array(args.array)
    bar = _progress_bar() if args.backend == "rtl" and sys.stderr.isatty() else None
    r = sort_digits(args.input, args.backend, cfg, progress=bar)
    print(json.dumps(r.to_json()) if args.json else _sort_report(r))
    return 0 if r.match_golden else 1


def cmd_compile(args) -> int:
    from chipkit import isa
    from chipkit.backends.model_run import check_model, compiled, parse_digits
    from chipkit.nn import task

    check_model(args.model)
    cfg = _core_array(args.array)
    digits = parse_digits(args.input)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"-o {out}: is a file; give a folder (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"-o {out}: cannot create the folder ({e.strerror})") from None
    cm = compiled(cfg)
    tokens = task.sequences(digits[None, :], np.zeros((1, 0), dtype=np.int64))[0]
    (out / "program.s").write_text(cm.listing())
    isa.save(cm.words, out / "program.hex")
    (out / "dram.bin").write_bytes(cm.dram(tokens).tobytes())
    mmap = cm.program.memory_map()
    mmap.update({"input_address": cm.input_addr, "logits_address": cm.logits_addr,
                 "lanes": cfg.lanes, "tokens": tokens.tolist()})
    (out / "memory_map.json").write_text(json.dumps(mmap, indent=1))
    print(f"{len(cm.instructions)} instructions, a {cm.program.dram.size:,}-byte DRAM image -> "
          f"{out}/ (program.s, program.hex, dram.bin, memory_map.json); run it with: chipkit "
          f"lockstep {out}/program.s --dram {out}/dram.bin --lanes {cfg.lanes}")
    return 0


DEMO_INPUTS = ("3 1 4 1 5 9 2 6", "9 8 7 6 5 4 3 2", "0 0 7 0 0 7 0 0", "5 0 5 0 5 0 5 0")


def cmd_demo(args) -> int:
    from chipkit.backends.model_run import sort_digits

    cfg = _core_array(args.array)
    print(f"chipkit demo: a tiny transformer (2 layers, 18.7 k int8 parameters) sorts 8 digits "
          f"on the simulated {cfg.lanes}x{cfg.lanes} inference core ({args.backend} backend)\n")
    ok = True
    for text in DEMO_INPUTS:
        bar = _progress_bar() if args.backend == "rtl" and sys.stderr.isatty() else None
        r = sort_digits(text, args.backend, cfg, progress=bar)
        print(_sort_report(r) + "\n")
        ok &= r.match_golden
    return 0 if ok else 1


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
    m.add_argument("--max-cycles", type=int, default=None, help="rtl: simulate up to this many "
                   "cycles in MyHDL (default: about a minute's worth; longer runs are refused "
                   "with an estimate)")
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
    ls.add_argument("--max-cycles", type=int, default=None, help="rtl: simulate up to this "
                    "many cycles in MyHDL (default: about a minute's worth; longer runs are "
                    "refused with an estimate)")
    ls.add_argument("--dram", default=None, help="the initial DRAM image: a file of raw bytes "
                    "from address 0 (default: zeros)")
    ls.add_argument("--json", action="store_true", help="print one JSON object instead of a "
                    "report")
    ls.set_defaults(func=cmd_lockstep)
    r = sub.add_parser("run", help="run a model on the simulated core: the tiny transformer "
                       "sorts 8 digits, every pass checked against the integer golden model",
                       description="Sort 8 digits with the tiny transformer on the simulated "
                       "inference core. Exit 0 when the chip equals the golden model, 1 when it "
                       "does not.")
    r.add_argument("--model", default="tiny-transformer", help="the model (tiny-transformer)")
    r.add_argument("--input", required=True, help='8 digits 0..9, e.g. "3 1 4 1 5 9 2 6"')
    r.add_argument("--backend", default="fast", help="golden, fast (default), rtl (MyHDL, "
                   "about a minute a pass) or verilator")
    r.add_argument("--array", default="8x8", help="the core's array, LxL (default 8x8)")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=cmd_run)
    cp = sub.add_parser("compile", help="compile a model for the core: the listing, the "
                        "program, the DRAM image of its first pass and the memory map")
    cp.add_argument("--model", default="tiny-transformer", help="the model (tiny-transformer)")
    cp.add_argument("--array", default="8x8", help="the core's array, LxL (default 8x8)")
    cp.add_argument("--input", default="3 1 4 1 5 9 2 6",
                    help="the 8 digits written into dram.bin (default \"3 1 4 1 5 9 2 6\")")
    cp.add_argument("-o", "--out", required=True, help="the folder to write")
    cp.set_defaults(func=cmd_compile)
    dm = sub.add_parser("demo", help="the tiny transformer sorting a few sequences on the "
                        "simulated chip, with cycles, utilization and the golden check")
    dm.add_argument("--backend", default="fast", help="golden, fast (default), rtl or verilator")
    dm.add_argument("--array", default="8x8", help="the core's array, LxL (default 8x8)")
    dm.set_defaults(func=cmd_demo)
    a = sub.add_parser("asm", help="assemble an inference-core program (docs/isa.md)")
    a.add_argument("source", help="assembly text file (UTF-8; /dev/stdin reads a pipe)")
    a.add_argument("-o", "--out", default=None,
                   help="write the program here: .hex (one word a line) or binary (8 bytes a "
                   "word); without it the words are printed in hex")
    a.set_defaults(func=cmd_asm)
    d = sub.add_parser("disasm", help="disassemble a program back to assembly text")
    d.add_argument("program", help="a .hex or binary program written by `chipkit asm`")
    d.set_defaults(func=cmd_disasm)
    return p


def _silence_stdout() -> None:
    """Send what is left of the output to /dev/null, so that the flush at exit cannot fail
    again (Python's advice for a closed pipe)."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except ChipkitError as e:
        msg = " ".join(str(e).split())
        sys.stderr.write(f"chipkit: error: {msg}\n")
        return 2
    except BrokenPipeError:  # `chipkit grade | head`: the reader left; nothing more to say
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("chipkit: interrupted\n")
        return 130
    except OSError as e:
        if e.filename:  # a file no command checked for: still one line
            sys.stderr.write(f"chipkit: error: {e.filename}: {e.strerror or e}\n")
            return 2
        _silence_stdout()  # the output itself: a full disk, a closed terminal
        sys.stderr.write(f"chipkit: error: cannot write the output ({e.strerror or e})\n")
        return 2
    except UnicodeEncodeError as e:  # the output's encoding cannot show a character
        _silence_stdout()
        sys.stderr.write(f"chipkit: error: cannot write the output: {e.object[e.start:e.end]!r} "
                         f"has no {e.encoding} form; set PYTHONIOENCODING=utf-8\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
