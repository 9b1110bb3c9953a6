"""The MyHDL vector unit (chipkit.hdl.vector_unit) against the golden model: every SRAM row equal
after each op, exactly the golden's rows written, busy high exactly for core_fast's duration; then
its converted Verilog (with small memories around it), linted by Verilator and re-simulated in
Icarus, equals the MyHDL simulation cycle for cycle and the golden model."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vector_bench import check, duration, golden_run, packed, random_state, unpack

from chipkit import isa
from chipkit.errors import ConfigError
from chipkit.flow.convert import convert, lint_verilog
from chipkit.flow.resim import run_iverilog
from chipkit.flow.resim_vhdl import run_ghdl
from chipkit.hdl.vector_unit import harness_bench, vector_unit
from chipkit.models.vector_golden import exp_multiplier
from chipkit.timing import vector_cycles

OPS = ("vrq", "vrq.pc", "vadd", "vrelu", "vgelu", "vmove", "vsoftmax", "vlnorm", "vtrans")


def make(name: str, src: int, dst: int, src2: int = 0, p: int = 0, frac: int = 5):
    """The instruction `name` (vrq.pc: per-channel vrq) with its operands."""
    args = {"dst": dst, "src": src}
    if name in ("vrq", "vrq.pc", "vadd", "vsoftmax"):
        args["p"] = p
    if name == "vrq.pc":
        args["perchannel"] = 1
    if name == "vadd":
        args["src2"] = src2
    if name == "vlnorm":
        args["frac"] = frac
    return isa.make(name.split(".")[0], **args)


def span(rows, chunks, cstride):
    return rows + (chunks - 1) * cstride


def layout(name, lanes, rows, chunks, cstride, src, gap):
    """(src, dst, src2) with the destination and the residual after the source, not overlapping."""
    size = span(rows, chunks, cstride)
    dst = src + size + gap
    return src, dst, dst + max(size, rows * chunks) + gap  # vtrans writes rows * chunks rows


@st.composite
def cases(draw):
    lanes = draw(st.sampled_from([2, 4, 8]))
    name = draw(st.sampled_from(OPS))
    chunks = draw(st.integers(1, 3))
    rows = lanes * draw(st.integers(1, 2)) if name == "vtrans" else draw(st.integers(1, 3))
    cstride = rows + draw(st.sampled_from([0, 0, 1, 5]))
    src, dst, src2 = layout(name, lanes, rows, chunks, cstride, draw(st.integers(0, 300)),
                            draw(st.integers(0, 3)))
    return dict(lanes=lanes, name=name, shape=(rows, chunks, cstride), src=src, dst=dst,
                src2=src2, p=draw(st.integers(0, 200)), frac=draw(st.integers(0, 8)),
                extreme=draw(st.sampled_from([0.0, 0.3, 1.0])),
                softmax_scale=draw(st.sampled_from([None, 0.01, 0.1, 1.0])),
                seed=draw(st.integers(0, 2**32 - 1)))


def prepare(c):
    state = random_state(c["lanes"], np.random.default_rng(c["seed"]), c["extreme"])
    state.shape = c["shape"]
    if c["name"] == "vsoftmax" and c["softmax_scale"] is not None:
        state.mems["param"][c["p"], :2] = exp_multiplier(c["softmax_scale"])
    return state, make(c["name"], c["src"], c["dst"], c["src2"], c["p"], c["frac"])


@settings(max_examples=35)
@given(c=cases())
def test_rtl_equals_golden_and_core_fast_timing(c):
    check(*prepare(c))


@pytest.mark.parametrize("lanes", [2, 4, 8])
@pytest.mark.parametrize("name", OPS)
def test_every_op_at_extremes(name, lanes):
    """All values at their limits (-2^31, 2^31 - 1, -128, 127); multipliers 0 or 65535; shifts 0
    or 47; two logical rows of two chunks with a gap between chunks."""
    c = dict(lanes=lanes, name=name, shape=(lanes if name == "vtrans" else 2, 2, 5), p=7,
             frac=8, extreme=1.0, softmax_scale=None, seed=lanes)
    c["src"], c["dst"], c["src2"] = layout(name, lanes, *c["shape"], 40, 1)
    check(*prepare(c))


@pytest.mark.parametrize("m, s", [(65535, 0), (65535, 47), (1, 0), (0, 3), (12345, 31), (3, 1)])
def test_requantize_and_add_parameters(m, s):
    state = random_state(4, np.random.default_rng(m + s), 0.5)
    state.shape = (2, 2, 2)
    state.mems["param"][3] = (m, s, 65535 - m, 47 - s)
    for name in ("vrq", "vadd"):
        check(state, make(name, 0, 8, 16, 3))


def test_per_channel_scales_one_row_per_chunk():
    state = random_state(4, np.random.default_rng(5), 0.3)
    state.shape = (3, 3, 4)
    state.mems["scale"][10:13, :, 1] = [[0, 1, 47, 20], [31, 0, 2, 47], [16, 15, 14, 13]]
    check(state, make("vrq.pc", 100, 200, p=10))


def test_in_place_ops_read_before_they_write():
    """dst == src: every chunk is read before it is overwritten (as the golden model reads all)."""
    rng = np.random.default_rng(9)
    for name in ("vrelu", "vgelu", "vmove", "vlnorm"):
        state = random_state(4, rng)
        state.shape = (2, 3, 2)
        check(state, make(name, 30, 30))
    state = random_state(4, rng)
    state.shape = (2, 2, 2)
    check(state, make("vadd", 0, 50, 50, 1))


def test_layernorm_constant_and_widest_rows():
    """A constant row (sigma = 0, all outputs 0) and rows of -128/127 halves (the largest
    variance: q just below 2^38 at d = 4096 would need the full divider; here d = 16)."""
    state = random_state(8, np.random.default_rng(3))
    state.shape = (3, 2, 3)
    sram = state.mems["sram"]
    sram[10] = sram[13] = 77  # row 0: constant
    sram[11] = -128
    sram[14] = 127  # row 1: half -128, half 127
    sram[12] = np.tile([-128, 127], 4)
    sram[15] = np.tile([127, -128], 4)
    for frac in (0, 5, 8):
        check(state, make("vlnorm", 10, 40, frac=frac))


def test_softmax_equal_and_far_apart_scores():
    """Equal scores (the largest sum of e) and scores 2^32 - 1 apart (max - s clamps to 2^31-1)."""
    state = random_state(4, np.random.default_rng(4))
    state.shape = (2, 2, 2)
    acc = state.mems["acc"]
    acc[0] = acc[2] = -5  # row 0
    acc[1] = [2**31 - 1, -(2**31), -(2**31), 0]  # row 1
    acc[3] = -(2**31)
    state.mems["param"][0, :2] = exp_multiplier(0.5)
    state.mems["param"][1, :2] = (65535, 0)
    for p in (0, 1):
        check(state, make("vsoftmax", 0, 8, p=p))


def test_duration_formula():
    """core_fast's vector timing: rows * (passes * chunks + extra) + 2, vtrans + L."""
    assert vector_cycles("vrelu", 3, 2, 8) == 3 * 2 + 2
    assert vector_cycles("vtrans", 8, 2, 8) == 8 * 2 + 2 + 8
    assert vector_cycles("vsoftmax", 2, 3, 4) == 2 * (3 * 3 + 1 + 16) + 2
    assert vector_cycles("vlnorm", 2, 3, 4) == 2 * (3 * 3 + 1 + 38 + 27 + 33) + 2


def test_bad_lanes_refused():
    from myhdl import Signal

    with pytest.raises(ConfigError, match="power of two"):
        vector_unit(*[Signal(bool(0)) for _ in range(28)], lanes=6)


# --- the converted Verilog ----------------------------------------------------------------

DEPTH = 16


def harness_vectors(state, instr, tail=4):
    """Vectors for vector_harness: load all four memories row by row, issue `instr` once, run
    core_fast's duration and `tail` more cycles."""
    acc, sram, param, scale, lut = packed(state)
    rows, chunks, cstride = state.shape
    idle = dict(reset=0, ld_en=0, ld_mem=0, ld_addr=0, ld_data=0, issue=0, op=0, dst=0, src=0,
                src2=0, p=0, perchannel=0, frac=0, shp_rows=rows, shp_chunks=chunks,
                shp_cstride=cstride, lut_bits=lut)
    steps = [dict(idle, reset=1)]
    for code, mem in enumerate((sram, acc, param, scale)):
        steps += [dict(idle, ld_en=1, ld_mem=code, ld_addr=a, ld_data=v) for a, v in enumerate(mem)]
    steps.append(idle)
    steps.append(dict(idle, issue=1, op=instr.op.code,
                      **{k: v for k, v in instr.args.items() if k in idle}))
    steps += [idle] * (duration(state, instr) + tail)
    return {k: np.array([s[k] for s in steps], dtype=object) for k in idle}


def check_hdl(vfile, lanes, state, instr, hdl="Verilog"):
    bench = harness_bench(lanes, DEPTH)
    vectors = harness_vectors(state, instr)
    got = (run_iverilog if hdl == "Verilog" else run_ghdl)(bench, vectors, vfile)
    want = bench.run_myhdl(vectors)
    for k in want:
        bad = np.flatnonzero(np.asarray(got[k] != want[k]))
        assert bad.size == 0, f"{instr}: {hdl} {k} differs from MyHDL first at step {bad[0]}"
    assert int(np.sum(got["busy"])) == duration(state, instr)
    sram = state.mems["sram"].copy()
    for t in np.flatnonzero(got["wr_en"].astype(int)):
        sram[int(got["wr_addr"][t]) % DEPTH] = unpack(int(got["wr_data"][t]), 8, lanes)
    np.testing.assert_array_equal(sram, golden_run(state, instr).mems["sram"])


@pytest.fixture(scope="module")
def verilog(tmp_path_factory):
    cache = {}

    def get(lanes, hdl="Verilog"):
        if (lanes, hdl) not in cache:
            cache[lanes, hdl] = convert(harness_bench(lanes, DEPTH),
                                        tmp_path_factory.mktemp("vec"), hdl)
        return cache[lanes, hdl]

    return get


@pytest.mark.hdl
@pytest.mark.parametrize("lanes", [2, 4, 8])
def test_verilator_lint_clean(lanes, verilator, verilog):
    lint_verilog(verilog(lanes))


def every_op(lanes):
    """(state, instr) for every op once on 16-row memories (values extreme in half the rows)."""
    rng = np.random.default_rng(lanes)
    for name in OPS:
        state = random_state(lanes, rng, 0.5, depth=DEPTH)
        rows = lanes if name == "vtrans" else 2
        state.shape = (rows, 2, rows + 1 if name != "vtrans" else rows)
        if name == "vsoftmax":
            state.mems["param"][1, :2] = exp_multiplier(0.2)
        src, dst, src2 = layout(name, lanes, *state.shape, 0, 0)
        yield state, make(name, src, dst, src2, 1, 6)


@pytest.mark.hdl
@pytest.mark.parametrize("lanes", [2, 4])
def test_verilog_equals_myhdl_and_golden(lanes, iverilog, verilog):
    for state, instr in every_op(lanes):
        check_hdl(verilog(lanes), lanes, state, instr)


@pytest.mark.hdl
def test_vhdl_equals_myhdl_and_golden(ghdl, verilog):
    """The VHDL conversion, analysed and re-simulated by GHDL (L = 2)."""
    for state, instr in every_op(2):
        check_hdl(verilog(2, "VHDL"), 2, state, instr, "VHDL")


def test_longest_rows_fill_the_engines():
    """d = 255 chunks x 8 lanes = 2040: LayerNorm at the largest variance (q near 2^36) and softmax
    of equal scores (sum of e = 2040 * 2^15): the divider and the square root at full width."""
    state = random_state(8, np.random.default_rng(0))
    state.shape = (1, 255, 1)
    state.mems["sram"][100:355] = np.tile([-128, 127], (255, 4))
    check(state, make("vlnorm", 100, 400, frac=8))
    state.mems["acc"][100:355] = 7
    check(state, make("vsoftmax", 100, 400, p=2))
