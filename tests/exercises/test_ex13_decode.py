"""Graded: exercise 13, decode a 64-bit instruction word (solutions/ex13_decode.py).

Against chipkit.isa.decode on words from chipkit.isa.make/encode: every opcode, fields at their
extremes, unknown opcodes and reserved bits refused with ValueError. chipkit.isa.decode is withheld
from the student's process: the bit slicing is the exercise.
"""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit import isa
from chipkit.grading.checks import GRADED

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.isa.decode", "chipkit.isa.disassemble")



def value(f):
    if f.names:  # a field whose codes name things (mem): only those codes are instructions
        return st.sampled_from(sorted(f.names.values()))
    top = (1 << f.bits) - 1
    return st.one_of(st.sampled_from([0, top, top >> 1, 1 & top]), st.integers(0, top))


@st.composite
def words(draw, ops=isa.OPS):
    op = draw(st.sampled_from(ops))
    return isa.encode(isa.make(op.mnemonic, **{f.name: draw(value(f)) for f in op.fields}))


def check(mod, word):
    want = isa.decode(word)
    got = mod.decode(word)
    assert isinstance(got, tuple) and len(got) == 2, (
        f"decode should return (mnemonic, fields), got {got!r}")
    mnemonic, fields = got
    assert mnemonic == want.op.mnemonic, (
        f"word 0x{word:016x}: expected mnemonic {want.op.mnemonic!r}, got {mnemonic!r}")
    assert dict(fields) == want.args, (
        f"word 0x{word:016x} ({want.op.mnemonic}): expected fields {want.args}, got {fields}")


@pytest.mark.points(1)
def test_the_docs_example(mod):
    check(mod, isa.encode(isa.make("mm", a=0, rows=16, acc=0, buf=0)))
    check(mod, isa.encode(isa.make("dma.ld", mem="sram", row=32, dram=0x100, rows=16)))
    check(mod, isa.encode(isa.make("halt")))
    assert mod.decode(isa.encode(isa.make("mm", a=5, rows=7, acc=9, buf=1, accumulate=1))) == (
        "mm", {"a": 5, "rows": 7, "acc": 9, "buf": 1, "accumulate": 1})


@pytest.mark.points(3)
@GRADED
@given(words())
def test_every_instruction(mod, word):
    check(mod, word)


@pytest.mark.points(1)
@GRADED
@given(words([op for op in isa.OPS if op.unit == "dma"]))
def test_wide_dma_fields(mod, word):
    check(mod, word)


@pytest.mark.points(1)
@GRADED
@given(st.integers(len(isa.OPS), 63), st.integers(0, (1 << 58) - 1))
def test_unknown_opcodes_are_refused(mod, code, rest):
    word = code | rest << 6
    with pytest.raises(ValueError):
        mod.decode(word)


@pytest.mark.points(1)
@GRADED
@given(st.sampled_from([op for op in isa.OPS if op.used_bits < 64]), st.data())
def test_reserved_bits_are_refused(mod, op, data):
    bit = data.draw(st.integers(op.used_bits, 63))
    with pytest.raises(ValueError):
        mod.decode(op.code | 1 << bit)
