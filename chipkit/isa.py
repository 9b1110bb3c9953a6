"""The inference core's instruction set: opcodes and fields, 64-bit encoding, an assembler (text ->
words) and a disassembler (words -> text) that round-trip. docs/isa.md is generated from the tables
here (`python -m chipkit.isa --doc`), and a test keeps the two equal.

Every instruction is one 64-bit word: the opcode in bits 5..0, then its fields in the order listed,
least significant first. Assembly is one instruction per line, operands by name:

    dma.ld mem=sram, row=0, dram=0x100, rows=16, stride=32   # comments start with # or ;
    mm a=0, rows=16, acc=0, buf=0, accumulate=1
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from chipkit.errors import ChipkitError, RangeError

WORD_BITS = 64
OPCODE_BITS = 6



@dataclass(frozen=True)
class Memory:
    """An on-chip memory a DMA can reach: its `mem` code and the bytes of one row."""

    name: str
    code: int
    lane_bytes: int  # bytes per lane of a row; 0: rows of `fixed_bytes` whatever L
    doc: str
    fixed_bytes: int = 0

    def row_bytes(self, lanes: int) -> int:
        """Bytes of one row in DRAM (and bits / 8 of one row on chip)."""
        return self.lane_bytes * lanes or self.fixed_bytes


#: on-chip memories a DMA can reach, by name; their `mem` codes are 0..4
MEMORIES = {m.name: m for m in (
    Memory("sram", 0, 1, "int8 scratchpad: rows of L int8 lanes (activations, weights, vector "
           "results)"),
    Memory("acc", 1, 4, "accumulator memory: rows of L int32 lanes (what the array writes)"),
    Memory("param", 2, 0, "vector parameters: entries of (m1 u16, s1 u8, m2 u16, s2 u8), 8 bytes "
           "each", fixed_bytes=8),
    Memory("scale", 3, 4, "per-channel scales: rows of L (multiplier u16, shift u8) pairs, 4 "
           "bytes a lane"),
    Memory("lut", 4, 1, "the GELU table: 256 int8 entries, L to a row"),
)}
MEMORY_BY_CODE = {m.code: m for m in MEMORIES.values()}
UNITS = {"dma": 1, "lw": 2, "mm": 4, "vec": 8}  # bits of the `sync` mask


def row_bytes(mem: str, lanes: int) -> int:
    """Bytes of one row of memory `mem` (a name) on a core of `lanes` lanes."""
    return MEMORIES[mem].row_bytes(lanes)


def memory(code: int) -> Memory:
    """The memory a `mem` field names; DecodeError for a code that names none."""
    if code not in MEMORY_BY_CODE:
        raise DecodeError(f"mem={code} names no memory; use one of "
                          f"{', '.join(f'{m.name} ({m.code})' for m in MEMORIES.values())}")
    return MEMORY_BY_CODE[code]


class AsmError(ChipkitError):
    """Malformed assembly: the message names the line, the column and what was expected."""


class DecodeError(ChipkitError):
    """A word that is not a valid instruction (unknown opcode, reserved bits set)."""


@dataclass(frozen=True)
class Field:
    name: str
    bits: int
    doc: str
    default: int | None = None  # None: the operand is required in assembly
    names: dict | None = None  # symbolic values (mem=sram), written back by the disassembler


@dataclass(frozen=True)
class Op:
    """An instruction: its opcode, the unit that runs it, its operand fields, and the memories
    it reads and writes ("w": the weight buffers; "mem": the memory its `mem` field names; a
    vector op reads its `src` rows from `src_mem`)."""

    mnemonic: str
    code: int
    unit: str  # which unit executes it: ctrl, dma, lw, mm, vec
    doc: str
    fields: tuple = field(default_factory=tuple)
    reads: tuple = ()
    writes: tuple = ()
    src_mem: str | None = None  # vector ops: the memory `src` addresses

    @property
    def used_bits(self) -> int:
        return OPCODE_BITS + sum(f.bits for f in self.fields)


def _mem(doc):
    return Field("mem", 3, doc, names={k: m.code for k, m in MEMORIES.items()})


_DMA = (_mem("on-chip memory: sram, acc, param, scale or lut"),
        Field("row", 12, "first on-chip row (entry for param)"),
        Field("dram", 22, "DRAM byte address of the first row"),
        Field("rows", 10, "number of rows (entries) to move"),
        Field("stride", 11, "DRAM bytes from one row to the next; 0: the row size (contiguous)", 0))
_V2 = (Field("dst", 12, "first destination row"), Field("src", 12, "first source row"))

OPS = (
    Op("nop", 0, "ctrl", "does nothing for one cycle"),
    Op("halt", 1, "ctrl", "waits until every unit is idle, then stops the core"),
    Op("sync", 2, "ctrl", "stalls issue until the units in `units` are idle (their queues empty)",
       (Field("units", 4, "mask: 1 dma, 2 lw, 4 mm, 8 vec (15: all)", 15),)),
    Op("dma.ld", 3, "dma", "DRAM -> on-chip memory, `rows` rows; runs in the background", _DMA,
       reads=("dram",), writes=("mem",)),
    Op("dma.st", 4, "dma", "on-chip memory -> DRAM, `rows` rows; runs in the background", _DMA,
       reads=("mem",), writes=("dram",)),
    Op("lw", 5, "lw", "loads the L x L weight tile in SRAM rows row..row+L-1 (row i = K index i, "
       "lane j = column j) into weight buffer `buf`, while the array may stream with the other",
       (Field("row", 12, "first SRAM row of the tile"), Field("buf", 1, "weight buffer, 0 or 1")),
       reads=("sram",), writes=("w",)),
    Op("mm", 6, "mm", "for i < rows: ACC[acc+i] (+)= SRAM[a+i] (a row of L int8) x W[buf] (L x L)",
       (Field("a", 12, "first SRAM row of A"), Field("rows", 10, "rows of A to stream"),
        Field("acc", 12, "first ACC row of the result"), Field("buf", 1, "weight buffer"),
        Field("accumulate", 1, "1: add to ACC (K folds after the first), 0: overwrite", 0)),
       reads=("sram", "w", "acc"), writes=("acc",)),
    Op("vshape", 7, "vec", "sets the vector unit's shape: `rows` logical rows of `chunks` memory "
       "rows each; chunk c of row r is at base + r + c * cstride",
       (Field("rows", 12, "logical rows"), Field("chunks", 8, "memory rows per logical row", 1),
        Field("cstride", 12, "rows between chunks of one logical row", 0))),
    Op("vrq", 8, "vec", "ACC -> SRAM: requantize int32 to int8, sat((x*m + 2^(s-1)) >> s); "
       "per-tensor (m1, s1) from PARAM[p], or per channel from SCALE rows p.. (one per chunk)",
       (*_V2, Field("p", 8, "PARAM entry or first SCALE row"),
        Field("perchannel", 1, "1: scales from SCALE rows", 0)),
       reads=("acc", "param", "scale"), writes=("sram",), src_mem="acc"),
    Op("vadd", 9, "vec", "ACC, SRAM -> SRAM: residual add sat8(RQ(ACC[src], m1, s1) + "
       "RQ(SRAM[src2], m2, s2)) with (m1, s1, m2, s2) from PARAM[p]",
       (*_V2, Field("src2", 12, "first SRAM row of the residual"), Field("p", 8, "PARAM entry")),
       reads=("acc", "sram", "param"), writes=("sram",), src_mem="acc"),
    Op("vrelu", 10, "vec", "SRAM -> SRAM: max(x, 0)", _V2, reads=("sram",), writes=("sram",),
       src_mem="sram"),
    Op("vgelu", 11, "vec", "SRAM -> SRAM: GELU by the 256-entry LUT", _V2,
       reads=("sram", "lut"), writes=("sram",), src_mem="sram"),
    Op("vsoftmax", 12, "vec", "ACC -> SRAM: integer softmax over each logical row, probabilities "
       "at scale 1/128; exponent scale (m1, s1) from PARAM[p]", (*_V2, Field("p", 8, "PARAM")),
       reads=("acc", "param"), writes=("sram",), src_mem="acc"),
    Op("vlnorm", 13, "vec", "SRAM -> SRAM: integer LayerNorm over each logical row, out at scale "
       "2^-frac", (*_V2, Field("frac", 4, "fraction bits of the result", 5)),
       reads=("sram",), writes=("sram",), src_mem="sram"),
    Op("vtrans", 14, "vec", "SRAM -> SRAM: transposes each L x L block (for K^T in attention)",
       _V2, reads=("sram",), writes=("sram",), src_mem="sram"),
    Op("vmove", 15, "vec", "SRAM -> SRAM: copies the shaped rows", _V2, reads=("sram",),
       writes=("sram",), src_mem="sram"),
)
BY_NAME = {op.mnemonic: op for op in OPS}
BY_CODE = {op.code: op for op in OPS}
#: the ops the vector unit's datapath runs (vshape only sets its shape)
VECTOR_OPS = tuple(op.mnemonic for op in OPS if op.src_mem is not None)


@dataclass(frozen=True)
class Instr:
    """One decoded instruction: the op and its field values by name."""

    op: Op
    args: dict

    def __str__(self) -> str:
        return disassemble_one(self)


def _limit(f: Field) -> int:
    return (1 << f.bits) - 1


def make(mnemonic: str, **args) -> Instr:
    """An instruction from Python: make("mm", a=0, rows=16, acc=0, buf=0); defaults fill in."""
    if mnemonic not in BY_NAME:
        raise AsmError(f"unknown instruction {mnemonic!r}; known: {', '.join(BY_NAME)}")
    op = BY_NAME[mnemonic]
    names = {f.name for f in op.fields}
    extra = set(args) - names
    if extra:
        raise AsmError(f"{mnemonic} has no operand {sorted(extra)[0]!r}; its operands are "
                       f"{', '.join(f.name for f in op.fields) or 'none'}")
    values = {}
    for f in op.fields:
        v = args.get(f.name, f.default)
        if v is None:
            raise AsmError(f"{mnemonic} needs operand {f.name!r} ({f.doc})")
        if isinstance(v, str) and f.names and v in f.names:
            v = f.names[v]
        if isinstance(v, bool) or not isinstance(v, int):
            raise AsmError(f"{mnemonic} {f.name} must be an integer, got {v!r}")
        if not 0 <= v <= _limit(f):
            raise RangeError(f"{mnemonic} {f.name}={v} does not fit in {f.bits} bits "
                             f"(0..{_limit(f)})")
        values[f.name] = v
    return Instr(op, values)


def encode(instr: Instr) -> int:
    """The 64-bit word of an instruction."""
    word, pos = instr.op.code, OPCODE_BITS
    for f in instr.op.fields:
        word |= instr.args[f.name] << pos
        pos += f.bits
    return word


def decode(word: int) -> Instr:
    """The instruction in a 64-bit word; DecodeError for an unknown opcode or set reserved bits."""
    if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word < 1 << WORD_BITS:
        raise DecodeError(f"an instruction word is a 64-bit unsigned integer, got {word!r}")
    code = word & ((1 << OPCODE_BITS) - 1)
    if code not in BY_CODE:
        raise DecodeError(f"unknown opcode {code} in word 0x{word:016x}")
    op = BY_CODE[code]
    args, pos = {}, OPCODE_BITS
    for f in op.fields:
        args[f.name] = (word >> pos) & _limit(f)
        pos += f.bits
    if word >> pos:
        raise DecodeError(f"word 0x{word:016x}: {op.mnemonic} uses bits 0..{pos - 1}, "
                          f"but bits above are set")
    return Instr(op, args)


def disassemble_one(instr: Instr) -> str:
    """Canonical assembly text: every operand named, symbolic where the field has names."""
    parts = []
    for f in instr.op.fields:
        v = instr.args[f.name]
        sym = {n: k for k, n in (f.names or {}).items()}.get(v)
        parts.append(f"{f.name}={sym if sym is not None else v}")
    return instr.op.mnemonic + (" " + ", ".join(parts) if parts else "")


def disassemble(words) -> str:
    """Assembly text for a sequence of words, one instruction per line."""
    return "".join(disassemble_one(decode(int(w))) + "\n" for w in words)


_TOKEN = re.compile(r"\s*([A-Za-z_][\w.]*)\s*=\s*([^,\s]+)\s*")


def _number(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def assemble_line(line: str, lineno: int = 1) -> Instr | None:
    """One line of assembly -> Instr, or None for a blank or comment-only line."""
    code = re.split(r"[#;]", line, maxsplit=1)[0]
    if not code.strip():
        return None
    m = re.match(r"\s*(\S+)", code)
    mnemonic, col = m[1].lower(), m.start(1) + 1
    if mnemonic not in BY_NAME:
        raise AsmError(f"line {lineno}, column {col}: unknown instruction {m[1]!r}; expected one "
                       f"of {', '.join(BY_NAME)}")
    op = BY_NAME[mnemonic]
    fields = {f.name: f for f in op.fields}
    pos, args = m.end(1), {}
    rest = code[pos:]
    while rest.strip():
        t = _TOKEN.match(rest)
        if not t:
            col = pos + len(rest) - len(rest.lstrip()) + 1
            raise AsmError(f"line {lineno}, column {col}: expected name=value (e.g. "
                           f"{op.fields[0].name if op.fields else 'nothing'}=0), got "
                           f"{rest.strip()!r}")
        name, value = t[1], t[2]
        ncol, vcol = pos + t.start(1) + 1, pos + t.start(2) + 1
        after = rest[t.end():]
        if after and not after.startswith(","):
            raise AsmError(f"line {lineno}, column {pos + t.end() + 1}: expected ',' after "
                           f"{name}={value}, got {after.strip()!r}")
        if name not in fields:
            raise AsmError(f"line {lineno}, column {ncol}: {mnemonic} has no operand {name!r}; "
                           f"expected one of {', '.join(fields) or 'none'}")
        if name in args:
            raise AsmError(f"line {lineno}, column {ncol}: operand {name!r} given twice")
        f = fields[name]
        v = f.names.get(value.lower()) if f.names else None
        v = _number(value) if v is None else v
        if v is None:
            expect = "an integer" + (f" or one of {', '.join(f.names)}" if f.names else "")
            raise AsmError(f"line {lineno}, column {vcol}: expected {expect} for {name!r}, "
                           f"got {value!r}")
        if not 0 <= v <= _limit(f):
            raise AsmError(f"line {lineno}, column {vcol}: {name}={v} does not fit in "
                           f"{f.bits} bits (0..{_limit(f)})")
        args[name] = v
        pos += t.end() + (1 if after else 0)
        rest = code[pos:]
    missing = [f.name for f in op.fields if f.default is None and f.name not in args]
    if missing:
        raise AsmError(f"line {lineno}, column {len(code.rstrip()) + 1}: {mnemonic} needs "
                       f"operand {missing[0]!r} ({fields[missing[0]].doc})")
    return make(mnemonic, **args)


def assemble(text: str) -> list[int]:
    """Assembly text -> 64-bit words. AsmError names the line, column and what was expected."""
    words = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        instr = assemble_line(line, lineno)
        if instr is not None:
            words.append(encode(instr))
    return words


def program_words(program) -> list[int]:
    """A program given as assembly text or as instruction words -> its words."""
    if isinstance(program, str):
        return assemble(program)
    try:
        return [int(w) for w in program]
    except (TypeError, ValueError):
        raise ChipkitError("a program is assembly text or a sequence of 64-bit instruction "
                           f"words, got {type(program).__name__}") from None


def save(words, path) -> None:
    """Write a program: `.hex` gives one 16-digit hex word per line (what $readmemh reads),
    anything else 8 little-endian bytes per word."""
    path = Path(path)
    if path.suffix == ".hex":
        path.write_text("".join(f"{w:016x}\n" for w in words))
    else:
        path.write_bytes(b"".join(int(w).to_bytes(8, "little") for w in words))


def load(path) -> list[int]:
    """Read a program written by save(): hex text or little-endian binary words."""
    path = Path(path)
    if not path.is_file():
        raise ChipkitError(f"{path}: no such file; give a program written by `chipkit asm`")
    data = path.read_bytes()
    if path.suffix == ".hex":
        words = []
        for n, line in enumerate(data.decode(errors="replace").splitlines(), start=1):
            text = line.split("//")[0].strip()
            if text:
                if not re.fullmatch(r"[0-9a-fA-F]{1,16}", text):
                    raise DecodeError(f"{path.name} line {n}: expected a 64-bit hex word, got "
                                      f"{text[:20]!r}")
                words.append(int(text, 16))
        return words
    if len(data) % 8:
        raise DecodeError(f"{path.name} is {len(data)} bytes long, not a whole number of 8-byte "
                          "instruction words; write programs with `chipkit asm`")
    return [int.from_bytes(data[i:i + 8], "little") for i in range(0, len(data), 8)]


def reference() -> str:
    """The instruction tables of docs/isa.md, generated from OPS and MEMORIES."""
    out = ["| opcode | mnemonic | unit | reads | writes | what it does |",
           "|---|---|---|---|---|---|"]
    out += [f"| {op.code} | `{op.mnemonic}` | {op.unit} | {', '.join(op.reads) or '-'} | "
            f"{', '.join(op.writes) or '-'} | {op.doc} |" for op in OPS]
    out += ["", "| memory | `mem` | bytes a row | rows hold |", "|---|---|---|---|"]
    out += [f"| {m.name} | {m.code} | {f'{m.lane_bytes} L' if m.lane_bytes else m.fixed_bytes}"
            f" | {m.doc} |" for m in MEMORIES.values()]
    for op in OPS:
        if not op.fields:
            continue
        out += ["", f"**`{op.mnemonic}`** — bits 5..0 = {op.code}", "",
                "| field | bits | default | meaning |", "|---|---|---|---|"]
        pos = OPCODE_BITS
        for f in op.fields:
            d = "required" if f.default is None else str(f.default)
            out.append(f"| `{f.name}` | {pos + f.bits - 1}..{pos} | {d} | {f.doc} |")
            pos += f.bits
    return "\n".join(out) + "\n"


BEGIN, END = "<!-- BEGIN GENERATED: python -m chipkit.isa --doc -->", "<!-- END GENERATED -->"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--doc"]:
        sys.stdout.write(reference())
        return 0
    sys.stderr.write("usage: python -m chipkit.isa --doc\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
