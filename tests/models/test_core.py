"""The golden model of the inference core: programs compute what numpy says, byte layouts round
trip, and illegal programs stop with the program counter and the instruction."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit import isa
from chipkit.compiler.gemm import compile_gemm
from chipkit.config import CoreConfig
from chipkit.errors import ChipkitError, ConfigError
from chipkit.models import array_golden, core_golden, vector_golden


@settings(max_examples=40)
@given(lanes=st.sampled_from([2, 4, 8]), m=st.integers(1, 40), k=st.integers(1, 30),
       n=st.integers(1, 30), extreme=st.booleans(), seed=st.integers(0, 2**16))
def test_compiled_gemm_equals_numpy(lanes, m, k, n, extreme, seed):
    rng = np.random.default_rng(seed)
    a = rng.choice([-128, 127], (m, k)) if extreme else rng.integers(-128, 128, (m, k))
    b = rng.choice([-128, 127], (k, n)) if extreme else rng.integers(-128, 128, (k, n))
    g = compile_gemm(a, b, CoreConfig(lanes=lanes))
    state = core_golden.run(g.words, g.cfg, g.dram).state
    np.testing.assert_array_equal(g.read_c(state.dram), array_golden.gemm(a, b))
    kt, nt = -(-k // lanes), -(-n // lanes)
    assert state.counters["macs"] == m * kt * nt * lanes * lanes  # padded tiles are computed
    assert state.halted


def test_gemm_in_chunks_when_a_does_not_fit():
    cfg = CoreConfig(lanes=4, sram_rows=64, acc_rows=64)
    rng = np.random.default_rng(1)
    a, b = rng.integers(-128, 128, (100, 8)), rng.integers(-128, 128, (8, 8))
    g = compile_gemm(a, b, cfg)
    assert sum(i.op.mnemonic == "dma.st" for i in g.instructions) > 2
    np.testing.assert_array_equal(g.read_c(core_golden.run(g.words, cfg, g.dram).dram), a @ b)


def test_gemm_that_cannot_fit_says_what_to_change():
    with pytest.raises(ConfigError, match=r"needs 2080 SRAM rows .* smaller K or N \(split the "
                       r"GEMM\), more lanes \(the command line's --array 4x4"):
        compile_gemm(np.ones((4, 64), int), np.ones((64, 64), int), CoreConfig(lanes=2))


@pytest.mark.parametrize("mem", list(isa.MEMORIES))
def test_dram_row_layouts_round_trip(mem):
    rng = np.random.default_rng(2)
    lanes = 4
    shapes = {"sram": ((5, lanes), -128, 128), "lut": ((5, lanes), -128, 128),
              "acc": ((5, lanes), -(2**31), 2**31), "param": ((5, 4), 0, 256),
              "scale": ((5, lanes, 2), 0, 256)}
    shape, lo, hi = shapes[mem]
    rows = rng.integers(lo, hi, shape)
    raw = core_golden.pack_rows(mem, rows, lanes)
    assert raw.shape == (5, isa.row_bytes(mem, lanes)) and raw.dtype == np.uint8
    np.testing.assert_array_equal(core_golden.unpack_rows(mem, raw, lanes), rows)


def vector_program(op_lines, lanes=4, rows=8, chunks=2):
    """DRAM: an int32 block (ACC), an int8 block (SRAM), one PARAM entry, a GELU table; run the
    vector instructions on them and store the SRAM result back."""
    rng = np.random.default_rng(3)
    n = rows * chunks
    acc = rng.integers(-3000, 3000, (n, lanes))
    s8 = rng.integers(-128, 128, (n, lanes))
    param = np.array([[3000, 16, 20000, 15]])
    lut = np.arange(-128, 128)[::-1].reshape(-1, lanes)  # any table: out = -1 - x
    parts = [core_golden.pack_rows("acc", acc, lanes), core_golden.pack_rows("sram", s8, lanes),
             core_golden.pack_rows("param", param, lanes), core_golden.pack_rows("lut", lut, lanes)]
    addrs, dram, at = [], [], 0
    for p in parts:
        addrs.append(at)
        dram.append(p.ravel())
        at += p.size
    text = f"""
        dma.ld mem=acc, row=0, dram={addrs[0]}, rows={n}
        dma.ld mem=sram, row=0, dram={addrs[1]}, rows={n}
        dma.ld mem=param, row=0, dram={addrs[2]}, rows=1
        dma.ld mem=lut, row=0, dram={addrs[3]}, rows={256 // lanes}
        sync
        vshape rows={rows}, chunks={chunks}
        {op_lines}
        sync
        dma.st mem=sram, row=100, dram={at}, rows={n}
        halt
    """
    cfg = CoreConfig(lanes=lanes, sram_rows=256, acc_rows=64)
    state = core_golden.run(text, cfg, np.concatenate(dram))
    out = core_golden.unpack_rows("sram", state.dram[at:at + n * lanes].reshape(n, lanes), lanes)

    def logical(block):  # chunk c of row r is at r + c * rows
        return block.reshape(chunks, rows, lanes).transpose(1, 0, 2).reshape(rows, -1)

    return logical(out), logical(acc), logical(s8), lut.ravel()


def test_vector_instructions_follow_the_vector_golden_model():
    out, acc, _, _ = vector_program("vrq dst=100, src=0, p=0")
    np.testing.assert_array_equal(out, vector_golden.requantize(acc, 3000, 16))
    out, acc, s8, _ = vector_program("vadd dst=100, src=0, src2=0, p=0")
    np.testing.assert_array_equal(out, vector_golden.add(acc, s8, 3000, 16, 20000, 15))
    out, acc, _, _ = vector_program("vsoftmax dst=100, src=0, p=0")
    np.testing.assert_array_equal(out, vector_golden.softmax(acc, 3000, 16))
    out, _, s8, _ = vector_program("vlnorm dst=100, src=0, frac=4")
    np.testing.assert_array_equal(out, vector_golden.layernorm(s8, out_frac=4))
    out, _, s8, lut = vector_program("vgelu dst=100, src=0")
    np.testing.assert_array_equal(out, lut[s8 + 128])
    out, _, s8, _ = vector_program("vrelu dst=100, src=0")
    np.testing.assert_array_equal(out, np.maximum(s8, 0))
    out, _, s8, _ = vector_program("vmove dst=100, src=0")
    np.testing.assert_array_equal(out, s8)


def test_vtrans_transposes_the_shaped_matrix():
    lanes, rows, chunks = 4, 8, 2
    out, _, s8, _ = vector_program("vtrans dst=100, src=0", lanes, rows, chunks)
    # X (8 x 8) -> X^T stored as 8 rows of 2 chunks, chunks 8 rows apart: the same layout here
    np.testing.assert_array_equal(out, s8.T)


@pytest.mark.parametrize(("text", "match"), [
    ("lw row=0, buf=0\nhalt", r"pc 0 \(lw row=0, buf=0\): reads SRAM row 0, which nothing has"),
    ("dma.ld mem=sram, row=4090, dram=0, rows=8\nhalt",
     r"pc 0 \(dma.ld .*\): SRAM rows 4090..4097 are outside the memory \(0..2047\)"),
    ("dma.ld mem=sram, row=0, dram=1048570, rows=1\nhalt", r"DRAM bytes 1048570..1048577 are"),
    ("dma.ld mem=sram, row=0, dram=0, rows=8\nmm a=0, rows=8, acc=0, buf=1\nhalt",
     r"pc 1 \(mm a=0, rows=8, acc=0, buf=1, accumulate=0\): weight buffer 1 was never loaded"),
    ("nop\nnop", r"pc 2: the program ended without halt \(last instruction: nop\)"),
    ("vshape rows=4\nvrelu dst=8, src=0\nhalt", r"pc 1 \(vrelu .*\): reads SRAM row 0"),
])
def test_illegal_programs_name_the_pc_and_instruction(text, match):
    with pytest.raises(core_golden.ProgramError, match=match) as e:
        core_golden.run(text, CoreConfig())
    assert isinstance(e.value, ChipkitError)


def test_unknown_opcode_names_the_pc():
    with pytest.raises(core_golden.ProgramError, match="pc 1: unknown opcode 63"):
        core_golden.run([0, 63, 1], CoreConfig())


def test_core_config_checks_its_sizes():
    with pytest.raises(ConfigError, match="lanes must be a power of two"):
        CoreConfig(lanes=6)
    with pytest.raises(ConfigError, match=r"sram_rows must be an integer in 1..4096"):
        CoreConfig(sram_rows=5000)
