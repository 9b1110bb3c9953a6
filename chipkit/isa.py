"""The inference core's instruction set: opcodes and fields, 64-bit encoding, an assembler (text ->
words) and a disassembler (words -> text) that round-trip. docs/isa.md is generated from the tables
here (`python -m chipkit.isa --doc`), and a test keeps the two equal.

Every instruction is one 64-bit word: the opcode in bits 5..0, then its fields in the order listed,
least significant first. Assembly is one instruction per line, operands by name:

    dma.ld mem=sram, row=0, dram=0x100, rows=16, stride=32   # comments start with # or ;
    mm a=0, rows=16, acc=0, buf=0, accumulate=1
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chipkit.errors import ChipkitError, ConfigError, RangeError

WORD_BITS = 64
OPCODE_BITS = 6
#: the largest program file load() reads (2M binary words): anything bigger is not a program
MAX_PROGRAM_BYTES = 1 << 24


def _show(value, limit: int = 40) -> str:
    """repr(value), cut short: an error message quotes a value, never a whole file."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_int(v) -> bool:
    """An integer: a Python or numpy one, not a bool."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


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
    if not isinstance(mem, str) or mem not in MEMORIES:
        raise ConfigError(f"mem must be the name of a memory: one of {', '.join(MEMORIES)}; got "
                          f"{_show(mem)}")
    if not _is_int(lanes) or lanes < 1:
        raise ConfigError(f"lanes must be a positive integer (the core's L), got {_show(lanes)}")
    return MEMORIES[mem].row_bytes(int(lanes))


def memory(code: int) -> Memory:
    """The memory a `mem` field names; DecodeError for a code that names none."""
    if not _is_int(code) or int(code) not in MEMORY_BY_CODE:
        raise DecodeError(f"mem={_show(code)} names no memory; use one of "
                          f"{', '.join(f'{m.name} ({m.code})' for m in MEMORIES.values())}")
    return MEMORY_BY_CODE[int(code)]


class AsmError(ChipkitError):
    """Malformed assembly: the message names the line, the column and what was expected."""


class DecodeError(ChipkitError):
    """A word that is not a valid instruction (unknown opcode, a field value out of its table,
    reserved bits set), or a value where an instruction word was expected."""


@dataclass(frozen=True)
class Field:
    """An operand: `bits` wide; with `names`, only the named codes are instructions (mem: 0..4
    name the memories, 5..7 are refused everywhere a word or value enters)."""

    name: str
    bits: int
    doc: str
    default: int | None = None  # None: the operand is required in assembly
    names: dict | None = None  # symbolic values (mem=sram), written back by the disassembler
    noun: str = "value"  # what a code names, for the refusal: "mem=5 names no memory"

    @property
    def limit(self) -> int:
        return (1 << self.bits) - 1

    def allowed(self) -> str:
        """The values this field takes, for error messages."""
        if self.names:
            return "one of " + ", ".join(f"{k} ({v})" for k, v in self.names.items())
        return f"0..{self.limit}"

    def refusal(self, value: int) -> str | None:
        """Why `value` (an int) is no value of this field; None when it is one."""
        if not 0 <= value <= self.limit:
            return f"{self.name}={value} does not fit in {self.bits} bits (0..{self.limit})"
        if self.names and value not in self.names.values():
            return f"{self.name}={value} names no {self.noun}; use {self.allowed()}"
        return None


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
    return Field("mem", 3, doc, names={k: m.code for k, m in MEMORIES.items()}, noun="memory")


_DMA = (_mem("on-chip memory: sram, acc, param, scale or lut (codes 5..7 are refused)"),
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


def _field_value(op: Op, f: Field, v) -> int:
    """The value `v` of field `f` of `op` as an int; an error naming the field otherwise."""
    if isinstance(v, str) and f.names:
        if v.lower() not in f.names:
            raise AsmError(f"{op.mnemonic} {f.name}={_show(v)} names no {f.noun}; use "
                           f"{f.allowed()}")
        return f.names[v.lower()]
    if not _is_int(v):
        raise AsmError(f"{op.mnemonic} {f.name} must be an integer in 0..{f.limit}"
                       + (f" or a name ({', '.join(f.names)})" if f.names else "")
                       + f", got {_show(v)}")
    why = f.refusal(int(v))
    if why:
        raise RangeError(f"{op.mnemonic} {why}")
    return int(v)


#: per op, each field's (name, default, the values it takes): make's and decode's fast path
_TAKES = {op.mnemonic: tuple((f.name, f.default, frozenset(f.names.values()) if f.names
                             else range(f.limit + 1)) for f in op.fields) for op in OPS}


def make(mnemonic: str, **args) -> Instr:
    """An instruction from Python: make("mm", a=0, rows=16, acc=0, buf=0); defaults fill in."""
    takes = _TAKES.get(mnemonic) if type(mnemonic) is str else None
    if takes is not None:  # the common case, plain ints in range, checked in one pass
        values = {}
        for name, default, ok in takes:
            v = args.get(name, default)
            if type(v) is not int or v not in ok:
                break
            values[name] = v
        else:
            if all(k in values for k in args):
                return Instr(BY_NAME[mnemonic], values)
    return _make(mnemonic, args)


def _make(mnemonic, args: dict) -> Instr:
    """make, with a message naming what is wrong."""
    if not isinstance(mnemonic, str) or mnemonic not in BY_NAME:
        raise AsmError(f"unknown instruction {_show(mnemonic)}; known: {', '.join(BY_NAME)}")
    op = BY_NAME[mnemonic]
    names = {f.name for f in op.fields}
    extra = set(args) - names
    if extra:
        raise AsmError(f"{mnemonic} has no operand {sorted(extra)[0]!r}; its operands are "
                       f"{', '.join(f.name for f in op.fields) or 'none'}")
    values = {}
    for f in op.fields:
        if f.name not in args and f.default is None:
            raise AsmError(f"{mnemonic} needs operand {f.name!r} ({f.doc})")
        values[f.name] = _field_value(op, f, args.get(f.name, f.default))
    return Instr(op, values)


def _checked(instr) -> dict:
    """The field values of `instr`, if it is an instruction of this ISA with every field in its
    table; an error naming the argument or the field otherwise."""
    if type(instr) is Instr and type(instr.args) is dict \
            and BY_NAME.get(getattr(instr.op, "mnemonic", None)) is instr.op:
        takes = _TAKES[instr.op.mnemonic]  # the common case: what make or decode built
        if len(instr.args) == len(takes) and all(
                type(instr.args.get(name)) is int and instr.args[name] in ok
                for name, _, ok in takes):
            return instr.args
    if not isinstance(instr, Instr):
        raise ConfigError(f"instr must be an isa.Instr (from isa.make or isa.decode), got "
                          f"{_show(instr)}")
    op = instr.op
    if not isinstance(op, Op) or BY_NAME.get(op.mnemonic) != op:
        raise ConfigError(f"instr.op must be one of isa.OPS, got {_show(op)}")
    if not isinstance(instr.args, dict) or set(instr.args) != {f.name for f in op.fields}:
        raise AsmError(f"{op.mnemonic} takes exactly the operands "
                       f"{', '.join(f.name for f in op.fields) or 'none'}; got "
                       f"{_show(instr.args)} (build instructions with isa.make)")
    return {f.name: _field_value(op, f, instr.args[f.name]) for f in op.fields}


def encode(instr: Instr) -> int:
    """The 64-bit word of an instruction."""
    args = _checked(instr)
    word, pos = instr.op.code, OPCODE_BITS
    for f in instr.op.fields:
        word |= args[f.name] << pos
        pos += f.bits
    return word


def _word(w, what: str = "word") -> int:
    """`w` as an int if it is a 64-bit unsigned integer; DecodeError naming `what` otherwise."""
    if not _is_int(w) or not 0 <= w < 1 << WORD_BITS:
        hint = " (encode an isa.Instr with isa.encode)" if isinstance(w, Instr) else ""
        raise DecodeError(f"{what}: an instruction word is a 64-bit unsigned integer "
                          f"(0..2**64-1), got {_show(w)}{hint}")
    return int(w)


def decode(word: int) -> Instr:
    """The instruction in a 64-bit word; DecodeError for an unknown opcode, a field value out of
    its table or set reserved bits."""
    word = _word(word)
    code = word & ((1 << OPCODE_BITS) - 1)
    if code not in BY_CODE:
        raise DecodeError(f"unknown opcode {code} in word 0x{word:016x}; opcodes are "
                          f"0..{max(BY_CODE)} ({', '.join(BY_NAME)})")
    op = BY_CODE[code]
    args, pos = {}, OPCODE_BITS
    for f, (name, _, ok) in zip(op.fields, _TAKES[op.mnemonic]):
        args[name] = v = (word >> pos) & f.limit
        if v not in ok:
            raise DecodeError(f"word 0x{word:016x}: {op.mnemonic} {f.refusal(v)}")
        pos += f.bits
    if word >> pos:
        raise DecodeError(f"word 0x{word:016x}: {op.mnemonic} uses bits 0..{pos - 1}, "
                          f"but bits above are set")
    return Instr(op, args)


def disassemble_one(instr: Instr) -> str:
    """Canonical assembly text: every operand named, symbolic where the field has names."""
    args, parts = _checked(instr), []
    for f in instr.op.fields:
        sym = {n: k for k, n in (f.names or {}).items()}.get(args[f.name])
        parts.append(f"{f.name}={sym if sym is not None else args[f.name]}")
    return instr.op.mnemonic + (" " + ", ".join(parts) if parts else "")


def _words(words, name: str) -> list[int]:
    """A sequence of 64-bit words (a list, tuple, iterable or 1-D integer numpy array) -> ints;
    a ChipkitError naming `name` (and the index of a bad word) otherwise."""
    if isinstance(words, np.ndarray):
        if words.ndim != 1 or words.dtype.kind not in "iuO":
            raise ConfigError(f"{name} must be a sequence of 64-bit instruction words; got a "
                              f"{words.ndim}-D {words.dtype} array (want 1-D integers)")
        words = words.tolist()
    elif isinstance(words, (str, bytes, bytearray, memoryview, dict, set, frozenset)) or \
            not hasattr(words, "__iter__"):
        hint = {str: " (assemble text with isa.assemble)", bytes: " (read a binary program "
                "file with isa.load)"}.get(type(words), "")
        raise ConfigError(f"{name} must be a sequence of 64-bit instruction words (a list of "
                          f"ints), got {type(words).__name__}{hint}")
    return [_word(w, f"{name}[{i}]") for i, w in enumerate(words)]


def disassemble(words) -> str:
    """Assembly text for a sequence of words, one instruction per line."""
    out = []
    for i, w in enumerate(_words(words, "words")):
        try:
            out.append(disassemble_one(decode(w)) + "\n")
        except DecodeError as e:
            raise DecodeError(f"words[{i}]: {e}") from None
    return "".join(out)


_TOKEN = re.compile(r"\s*([A-Za-z_][\w.]*)\s*=\s*([^,\s]+)\s*")


def _number(text: str) -> int | None:
    """An assembly integer: decimal (leading zeros allowed), 0x hex, 0b binary, 0o octal."""
    if not text.isascii() or len(text) > 70:  # 64 binary digits and a prefix at most
        return None
    for base in (0, 10):  # base 0 refuses leading zeros ("010"); base 10 takes them
        try:
            return int(text, base)
        except ValueError:
            pass
    return None


def assemble_line(line: str, lineno: int = 1) -> Instr | None:
    """One line of assembly -> Instr, or None for a blank or comment-only line."""
    if not isinstance(line, str):
        raise AsmError(f"line must be a str (one line of assembly), got {_show(line)}")
    if not _is_int(lineno) or lineno < 1:
        raise AsmError(f"lineno must be a positive integer, got {_show(lineno)}")
    if "\n" in line.rstrip("\n"):
        raise AsmError(f"line {lineno}: assemble_line takes one line; give text of several "
                       "lines to isa.assemble")
    code = re.split(r"[#;]", line.rstrip("\r\n"), maxsplit=1)[0]
    if not code.strip():
        return None
    m = re.match(r"\s*(\S+)", code)
    mnemonic, col = m[1].lower(), m.start(1) + 1
    if mnemonic not in BY_NAME:
        raise AsmError(f"line {lineno}, column {col}: unknown instruction {_show(m[1])}; expected "
                       f"one of {', '.join(BY_NAME)}")
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
                           f"{_show(rest.strip())}")
        name, value = t[1], t[2]
        ncol, vcol = pos + t.start(1) + 1, pos + t.start(2) + 1
        after = rest[t.end():]
        if after and not after.startswith(","):
            raise AsmError(f"line {lineno}, column {pos + t.end() + 1}: expected ',' after "
                           f"{name}={value[:40]}, got {_show(after.strip())}")
        if name not in fields:
            raise AsmError(f"line {lineno}, column {ncol}: {mnemonic} has no operand "
                           f"{_show(name)}; expected one of {', '.join(fields) or 'none'}")
        if name in args:
            raise AsmError(f"line {lineno}, column {ncol}: operand {name!r} given twice")
        f = fields[name]
        v = f.names.get(value.lower()) if f.names else None
        v = _number(value) if v is None else v
        if v is None and value.isascii() and value.isdigit():  # too many digits to convert
            raise AsmError(f"line {lineno}, column {vcol}: {name}={value[:20]}... does not fit "
                           f"in {f.bits} bits (0..{f.limit})")
        if v is None:
            expect = "an integer" + (f" or one of {', '.join(f.names)}" if f.names else "")
            raise AsmError(f"line {lineno}, column {vcol}: expected {expect} for {name!r}, "
                           f"got {_show(value)}")
        why = f.refusal(v)
        if why:
            raise AsmError(f"line {lineno}, column {vcol}: {why}")
        args[name] = v
        pos += t.end() + (1 if after else 0)
        rest = code[pos:]
    missing = [f.name for f in op.fields if f.default is None and f.name not in args]
    if missing:
        raise AsmError(f"line {lineno}, column {len(code.rstrip()) + 1}: {mnemonic} needs "
                       f"operand {missing[0]!r} ({fields[missing[0]].doc})")
    return make(mnemonic, **args)


def assemble(text: str) -> list[int]:
    """Assembly text -> 64-bit words. AsmError names the line, column and what was expected.
    Lines end at \\n (or \\r\\n) only, as an editor counts them: a form feed or a vertical tab is
    blank space inside a line."""
    if not isinstance(text, str):
        hint = " (decode bytes first: data.decode())" if isinstance(text, (bytes, bytearray)) \
            else ""
        raise AsmError(f"text must be a str of assembly, got {type(text).__name__}{hint}")
    words = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        instr = assemble_line(line.removesuffix("\r"), lineno)
        if instr is not None:
            words.append(encode(instr))
    return words


def program_words(program) -> list[int]:
    """A program given as assembly text or as instruction words -> its words (each a 64-bit
    unsigned integer; what they decode to is the machine's business)."""
    if isinstance(program, str):
        return assemble(program)
    return _words(program, "program")


def _path(path, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise ConfigError(f"{name} must be a file name (a str or a Path), got {_show(path)}")
    try:
        return Path(path)
    except TypeError:
        raise ConfigError(f"{name} must be a file name (a str or a Path), got "
                          f"{_show(path)}") from None


def _file_error(path: Path, e: OSError, writing: bool) -> ConfigError:
    """An OSError on `path` as one sentence that says what to do."""
    if isinstance(e, IsADirectoryError):
        return ConfigError(f"{path}: is a folder; give a file name inside it" if writing else
                           f"{path}: is a folder; give a program written by `chipkit asm`")
    if isinstance(e, FileNotFoundError):
        if writing:
            return ConfigError(f"{path}: folder {path.parent} does not exist; create it first")
        return ConfigError(f"{path}: no such file; give a program written by `chipkit asm`")
    if isinstance(e, PermissionError):
        return ConfigError(f"{path}: permission denied; choose a file you may "
                           f"{'write' if writing else 'read'}")
    return ConfigError(f"{path}: cannot {'write' if writing else 'read'} it "
                       f"({e.strerror or e})")


def save(words, path) -> None:
    """Write a program: `.hex` gives one 16-digit hex word per line (what $readmemh reads),
    anything else 8 little-endian bytes per word. Every word must decode (DecodeError names it)."""
    words = _words(words, "words")
    for i, w in enumerate(words):
        try:
            decode(w)
        except DecodeError as e:
            raise DecodeError(f"words[{i}]: {e}") from None
    path = _path(path, "path")
    if path.suffix.lower() == ".hex":
        data = "".join(f"{w:016x}\n" for w in words).encode()
    else:
        data = b"".join(w.to_bytes(8, "little") for w in words)
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise _file_error(path, e, writing=True) from None


def load(path) -> list[int]:
    """Read a program written by save(): hex text or little-endian binary words. Every word must
    decode; DecodeError names the file, the line (hex) or word (binary) and the field. Any file
    that can be read will do (a FIFO, /dev/stdin), up to MAX_PROGRAM_BYTES."""
    path = _path(path, "path")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_PROGRAM_BYTES + 1)
    except OSError as e:
        raise _file_error(path, e, writing=False) from None
    if len(data) > MAX_PROGRAM_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_PROGRAM_BYTES:,} bytes, too big for a "
                          "program; give a program written by `chipkit asm`")
    if path.suffix.lower() == ".hex":
        if b"\0" in data:
            raise DecodeError(f"{path}: not hex text (it holds NUL bytes: binary data, or "
                              "UTF-16 text?); write programs with `chipkit asm -o PROG.hex`")
        where, words = [], []
        for n, line in enumerate(data.decode(errors="replace").split("\n"), start=1):
            text = line.split("//")[0].strip()
            if text:
                if not re.fullmatch(r"[0-9a-fA-F]{1,16}", text):
                    raise DecodeError(f"{path} line {n}: expected a 64-bit hex word, got "
                                      f"{_show(text)}")
                words.append(int(text, 16))
                where.append(f"line {n}")
    else:
        if len(data) % 8:
            text = data.isascii() and b"\0" not in data
            raise DecodeError(f"{path} is {len(data)} bytes long, not a whole number of 8-byte "
                              "instruction words; write programs with `chipkit asm`"
                              + (" (a program in hex text is read from a .hex file)" * text))
        words = [int.from_bytes(data[i:i + 8], "little") for i in range(0, len(data), 8)]
        where = [f"word {i} (byte {8 * i})" for i in range(len(words))]
    for w, at in zip(words, where):
        try:
            decode(w)
        except DecodeError as e:
            raise DecodeError(f"{path} {at}: {e}") from None
    return words


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
