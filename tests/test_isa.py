"""The ISA: encode/decode and assemble/disassemble round-trip for every instruction, errors name
the line, the column and what was expected, and docs/isa.md is generated from the code."""
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit import isa, timing
from chipkit.errors import ChipkitError

DOC = Path(__file__).resolve().parent.parent / "docs" / "isa.md"


def values(f):
    """Every value field `f` takes: its named codes, or 0..2^bits - 1 (the top more often)."""
    if f.names:
        return st.sampled_from(sorted(f.names.values()))
    return st.integers(0, f.limit) | st.just(f.limit)


@st.composite
def instructions(draw):
    op = draw(st.sampled_from(isa.OPS))
    return isa.make(op.mnemonic, **{f.name: draw(values(f)) for f in op.fields})


def test_every_op_fits_one_word_and_codes_are_unique():
    assert len({op.code for op in isa.OPS}) == len(isa.OPS)
    assert all(op.used_bits <= isa.WORD_BITS for op in isa.OPS)
    assert max(op.code for op in isa.OPS) < 1 << isa.OPCODE_BITS


@given(st.lists(instructions(), min_size=1, max_size=20))
def test_round_trips(program):
    words = [isa.encode(i) for i in program]
    assert all(0 <= w < 1 << 64 for w in words)
    assert [isa.decode(w) for w in words] == program
    text = isa.disassemble(words)
    assert isa.assemble(text) == words
    assert isa.disassemble(isa.assemble(text)) == text


def test_operands_in_any_order_with_defaults_comments_and_hex():
    a = isa.assemble("MM buf=1, acc=0x10, rows=4, a=2  # comment\n\n; only a comment\nhalt")
    assert [str(isa.decode(w)) for w in a] == [
        "mm a=2, rows=4, acc=16, buf=1, accumulate=0", "halt"]


@pytest.mark.parametrize(("text", "match"), [
    ("nop\nmul a=1", r"line 2, column 1: unknown instruction 'mul'; expected one of nop, halt"),
    ("mm a=1, rows=2, acc=3", r"line 1, column 22: mm needs operand 'buf'"),
    ("mm a=1 rows=2", r"line 1, column 8: expected ',' after a=1"),
    ("dma.ld mem=dram, row=0, dram=0, rows=1",
     r"line 1, column 12: expected an integer or one of sram, acc, param, scale, lut for 'mem'"),
    ("lw row=5000, buf=0", r"line 1, column 8: row=5000 does not fit in 12 bits \(0\.\.4095\)"),
    ("lw row=1, buf=0, buf=1", r"line 1, column 18: operand 'buf' given twice"),
    ("sync units=x", r"line 1, column 12: expected an integer for 'units', got 'x'"),
    ("halt now=1", r"line 1, column 6: halt has no operand 'now'; expected one of none"),
    ("lw row=1 buf", r"line 1, column 10: expected ',' after row=1, got 'buf'"),
])
def test_assembly_errors_name_line_column_and_expectation(text, match):
    with pytest.raises(isa.AsmError, match=match) as e:
        isa.assemble(text)
    assert isinstance(e.value, ChipkitError)


def test_decode_rejects_unknown_opcodes_and_reserved_bits():
    with pytest.raises(isa.DecodeError, match="unknown opcode 63"):
        isa.decode(63)
    with pytest.raises(isa.DecodeError, match="bits above are set"):
        isa.decode(1 | 1 << 40)
    with pytest.raises(isa.DecodeError, match="64-bit unsigned"):
        isa.decode(-1)


def test_make_checks_python_arguments():
    with pytest.raises(ChipkitError, match="mm has no operand 'b'"):
        isa.make("mm", a=0, rows=1, acc=0, buf=0, b=1)
    with pytest.raises(ChipkitError, match=r"buf=2 does not fit in 1 bits"):
        isa.make("lw", row=0, buf=2)
    assert isa.make("dma.ld", mem="acc", row=0, dram=0, rows=1).args["mem"] == 1


def test_doc_tables_are_generated_from_the_code():
    text = DOC.read_text()
    generated = text.split(isa.BEGIN, 1)[1].split(isa.END, 1)[0].strip("\n") + "\n"
    assert generated == isa.reference(), "docs/isa.md is stale: regenerate its tables with " \
                                         "`python -m chipkit.isa --doc`"


def test_doc_examples_assemble():
    blocks = re.findall(r"```\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks
    for block in blocks:
        assert isa.assemble(block)


def cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "chipkit.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("suffix", [".hex", ".bin"])
def test_chipkit_asm_then_disasm_round_trips(tmp_path, suffix):
    src = tmp_path / "gemm.s"
    src.write_text(DOC.read_text().split("```\n")[1].split("```")[0])
    out = tmp_path / f"gemm{suffix}"
    p = cli("asm", src, "-o", out)
    assert p.returncode == 0, p.stderr
    q = cli("disasm", out)
    assert q.returncode == 0, q.stderr
    assert isa.assemble(q.stdout) == isa.assemble(src.read_text()) == isa.load(out)


@pytest.mark.parametrize(("args", "message"), [
    (["asm", "/nonexistent.s"], "no such assembly file"),
    (["disasm", "/nonexistent.hex"], "no such file"),
])
def test_cli_bad_files_are_one_line_exit_2(args, message):
    p = cli(*args)
    assert p.returncode == 2 and message in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_cli_malformed_assembly_and_programs(tmp_path):
    bad = tmp_path / "bad.s"
    bad.write_text("nop\nmm a=1, rows=2\n")
    p = cli("asm", bad)
    assert p.returncode == 2 and "line 2, column 15: mm needs operand 'acc'" in p.stderr
    odd = tmp_path / "odd.bin"
    odd.write_bytes(b"\x01" * 12)
    p = cli("disasm", odd)
    assert p.returncode == 2 and "not a whole number of 8-byte" in p.stderr
    junk = tmp_path / "junk.hex"
    junk.write_text("0000000000000001\nzz\n")
    p = cli("disasm", junk)
    assert p.returncode == 2 and "line 2: expected a 64-bit hex word" in p.stderr
    unknown = tmp_path / "unknown.hex"
    unknown.write_text("000000000000003f\n")
    p = cli("disasm", unknown)
    assert p.returncode == 2 and "unknown opcode 63" in p.stderr


def test_doc_states_the_timing_the_models_and_rtl_keep():
    """docs/isa.md's timing section is chipkit.timing's own rules and vector costs."""
    text = DOC.read_text()
    rules = timing.__doc__[timing.__doc__.index("    dma.ld / dma.st"):].rstrip()
    assert rules in text, "docs/isa.md's timing rules differ from chipkit/timing.py's"
    for op, (passes, extra) in timing.VECTOR_COST.items():
        assert f"| `{op}` | {passes} | {extra} |" in text
    assert f"`VECTOR_LATENCY` = {timing.VECTOR_LATENCY}" in text
    assert ", ".join(timing.STALLS[:3]) in text


@pytest.mark.parametrize("brk", ["\f", "\v", "\x1c", "\x85", "\u2028"])
def test_line_numbers_count_newlines_only(brk):
    """An editor starts a line at \\n (or \\r\\n) only: a form feed or a vertical tab inside a line
    is blank space, and the line numbers of errors match what the editor shows."""
    assert isa.assemble(f"nop{brk}\r\nhalt {brk}\n{brk}\n") == [0, 1]
    with pytest.raises(isa.AsmError, match=r"^line 3, column 1: unknown instruction 'mul'"):
        isa.assemble(f"nop{brk}\r\n{brk}halt\r\nmul")


@pytest.mark.parametrize(("call", "match"), [
    (lambda: isa.assemble(None), "text must be a str of assembly, got NoneType"),
    (lambda: isa.assemble(b"halt"), r"got bytes \(decode bytes first"),
    (lambda: isa.assemble_line(3), "line must be a str"),
    (lambda: isa.assemble_line("halt", 0), "lineno must be a positive integer"),
    (lambda: isa.assemble_line("nop\nhalt"), "assemble_line takes one line"),
    (lambda: isa.make(["mm"]), r"unknown instruction \['mm'\]"),
    (lambda: isa.make("lw", row=1.0, buf=0), r"lw row must be an integer in 0\.\.4095, got 1\.0"),
    (lambda: isa.make("lw", row=True, buf=0), "got True"),
    (lambda: isa.make("dma.ld", mem="dram", row=0, dram=0, rows=1),
     r"mem='dram' names no memory; use one of sram \(0\)"),
    (lambda: isa.encode("mm"), "instr must be an isa.Instr"),
    (lambda: isa.encode(isa.Instr(isa.BY_NAME["lw"], {"row": 1})), "lw takes exactly"),
    (lambda: isa.disassemble_one(None), "instr must be an isa.Instr"),
    (lambda: isa.decode(1.0), r"got 1\.0"),
    (lambda: isa.decode(True), "got True"),
    (lambda: isa.decode(np.float64(1)), "64-bit unsigned"),
    (lambda: isa.decode("1"), "got '1'"),
    (lambda: isa.disassemble([1.5]), r"words\[0\]: an instruction word is a 64-bit unsigned"),
    (lambda: isa.disassemble([1, -1]), r"words\[1\]: .* got -1"),
    (lambda: isa.disassemble([1, 2**64]), r"words\[1\]: .* got 18446744073709551616"),
    (lambda: isa.disassemble(None), "words must be a sequence of 64-bit instruction words"),
    (lambda: isa.disassemble("halt"), r"got str \(assemble text with isa.assemble\)"),
    (lambda: isa.disassemble(np.ones(2)), "1-D float64 array"),
    (lambda: isa.disassemble(np.ones((2, 2), np.int64)), "2-D int64 array"),
    (lambda: isa.disassemble([np.float32(1)]), "64-bit unsigned"),
    (lambda: isa.disassemble([isa.make("halt")]), r"encode an isa.Instr with isa.encode"),
    (lambda: isa.program_words(b"\x01" * 8), r"got bytes \(read a binary program file"),
    (lambda: isa.program_words(7), "program must be a sequence"),
    (lambda: isa.program_words([1, 1.5]), r"program\[1\]"),
    (lambda: isa.save([-1], "x.bin"), r"words\[0\]: .* got -1"),
    (lambda: isa.save([2**70], "x.bin"), r"words\[0\]: .* got 1180591620717411303424"),
    (lambda: isa.save([1], None), "path must be a file name"),
    (lambda: isa.save([1], ""), "path must be a file name"),
    (lambda: isa.load(3), "path must be a file name"),
    (lambda: isa.memory(5), r"mem=5 names no memory; use one of sram \(0\), acc \(1\)"),
    (lambda: isa.memory(None), "mem=None names no memory"),
    (lambda: isa.row_bytes("dram", 8), "mem must be the name of a memory"),
    (lambda: isa.row_bytes("sram", 0), "lanes must be a positive integer"),
])
def test_public_functions_check_their_arguments(call, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ChipkitError, match=match):
        call()
    assert not list(tmp_path.iterdir()), "a refused save wrote a file"


def test_numpy_words_and_values_are_accepted(tmp_path):
    words = isa.assemble("lw row=3, buf=1\nhalt")
    for program in (np.array(words, np.uint64), np.array(words, np.int64), tuple(words),
                    iter(words), [np.uint64(w) for w in words]):
        assert isa.program_words(program) == words
    assert isa.disassemble(np.asarray(words, np.uint64)) == "lw row=3, buf=1\nhalt\n"
    isa.save(np.array(words, np.uint64), tmp_path / "p.bin")
    assert isa.load(tmp_path / "p.bin") == words
    assert isa.decode(np.uint64(words[0])) == isa.make("lw", row=np.int16(3), buf=np.uint8(1))


@pytest.mark.parametrize(("where", "match"), [
    ("missing/p.hex", "folder .*missing does not exist; create it first"),
    (".", "is a folder; give a file name inside it"),
    ("/dev/full", r"/dev/full: cannot write it \(No space left on device\)"),
])
def test_save_to_a_place_it_cannot_write(tmp_path, monkeypatch, where, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ChipkitError, match=match):
        isa.save([1], where)


def test_load_refuses_what_save_never_writes(tmp_path):
    (tmp_path / "nul.hex").write_bytes("halt\n".encode("utf-16"))
    with pytest.raises(isa.DecodeError, match="not hex text .*NUL bytes"):
        isa.load(tmp_path / "nul.hex")
    with pytest.raises(ChipkitError, match="is a folder; give a program"):
        isa.load(tmp_path)
    with pytest.raises(ChipkitError, match="no such file"):
        isa.load(tmp_path / "none.bin")
    assert isa.load("/dev/null") == []
