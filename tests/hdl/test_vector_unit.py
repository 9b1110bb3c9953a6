"""The MyHDL vector unit (chipkit.hdl.vector_unit) against the golden model: every SRAM row equal
after each op, exactly the golden's rows written, busy high exactly for core_fast's duration; then
its converted Verilog (with small memories around it), linted by Verilator and re-simulated in
Icarus, equals the MyHDL simulation cycle for cycle and the golden model. The restoring divider
and square root (chipkit.hdl.vec_restoring) also alone, against their Python twins."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from myhdl import intbv
from vector_bench import check, duration, golden_run, packed, random_state, unpack

from chipkit import isa
from chipkit.errors import ConfigError
from chipkit.flow.convert import convert, lint_verilog
from chipkit.flow.resim import run_iverilog
from chipkit.flow.resim_vhdl import run_ghdl
from chipkit.flow.sim import Bench
from chipkit.hdl import vec_lanes, vec_restoring
from chipkit.hdl.vec_engines import DIV_A_BITS, DIV_D_BITS, DIV_Q_BITS, SQRT_BITS
from chipkit.hdl.vec_harness import harness_bench
from chipkit.hdl.vec_restoring import restoring_divider, restoring_sqrt, restoring_step
from chipkit.hdl.vector_unit import vector_unit
from chipkit.models.vector_golden import exp_multiplier
from chipkit.timing import LN_RECIP_DIV_CYCLES, SOFTMAX_DIV_CYCLES, SQRT_CYCLES, vector_cycles

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


# --- the opcodes, from the ISA table ------------------------------------------------------------

def test_lane_opcodes_come_from_the_isa_table():
    assert set(vec_lanes.LANE_OPS) == set(isa.VECTOR_OPS)
    codes = (vec_lanes.OP_VRQ, vec_lanes.OP_VADD, vec_lanes.OP_VRELU, vec_lanes.OP_VGELU,
             vec_lanes.OP_VSOFTMAX, vec_lanes.OP_VLNORM, vec_lanes.OP_VTRANS, vec_lanes.OP_VMOVE)
    assert codes == tuple(isa.BY_NAME[name].code for name in vec_lanes.LANE_OPS)


# --- the restoring step, divider and square root (chipkit.hdl.vec_restoring) --------------------

def test_restoring_step_equals_its_twin():
    """The combinational step on operands at and around every boundary (0, equal, off by one,
    all ones), both widths the unit uses."""
    rng = np.random.default_rng(1)
    for width in (DIV_A_BITS + 1, SQRT_BITS):
        top = (1 << width) - 1
        rem = [0, 0, 1, 1, top, top, top, top - 1, 5, 6]
        trial = [0, 1, 0, 1, top, 0, top - 1, top, 6, 5]
        rem += [int(v) for v in rng.integers(0, top, 40, dtype=np.uint64)]
        trial += [int(v) >> int(s) for v, s in zip(rng.integers(0, top, 40, dtype=np.uint64),
                                                    rng.integers(0, width, 40))]
        t = intbv(0)[width:]
        bench = Bench(restoring_step, {"rem": t, "trial": t}, {"rest": t, "fits": bool(0)})
        got = bench.run_myhdl({"rem": np.array(rem), "trial": np.array(trial)})
        want = [vec_restoring.step(r, d) for r, d in zip(rem, trial)]
        assert got["fits"].tolist() == [f for f, _ in want]
        assert got["rest"].tolist() == [r for _, r in want]


def divider_bench():
    return Bench(restoring_divider,
                 {"en": bool(0), "load": bool(0), "a0": intbv(0)[DIV_A_BITS:],
                  "q0": intbv(0)[DIV_Q_BITS:], "d0": intbv(0)[DIV_D_BITS:]},
                 {"quotient": intbv(0)[DIV_Q_BITS:]}, clocked=True)


def sqrt_bench():
    return Bench(restoring_sqrt, {"en": bool(0), "load": bool(0), "n": intbv(0)[SQRT_BITS:]},
                 {"root": intbv(0)[SQRT_BITS:]}, {"steps": SQRT_CYCLES}, clocked=True)


def engine_vectors(jobs, names):
    """Vectors that run each job (steps, {port: start value}) from a load, then one idle cycle;
    and the step index after each job's last step."""
    steps = []
    ends = []
    for n, start in jobs:
        steps.append(dict(en=1, load=1, **start))
        steps += [dict(en=1, load=0, **{k: 0 for k in start})] * (n - 1)
        ends.append(len(steps) - 1)
        steps.append(dict(en=0, load=0, **{k: 0 for k in start}))
    return {k: np.array([s[k] for s in steps], dtype=object) for k in ("en", "load", *names)}, ends


def divide_jobs(divides):
    """(n, d, steps) divides as engine jobs: A = n >> steps, Q = n mod 2^steps left-aligned."""
    return [(s, {"a0": n >> s, "q0": (n % (1 << s)) << (DIV_Q_BITS - s), "d0": d})
            for n, d, s in divides]


def extremes_or(lo, hi):
    return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))


@st.composite
def divides(draw):
    """(n, d, steps) with n // d < 2^steps: the unit's three divides, or any such operands."""
    kind = draw(st.sampled_from(["softmax", "variance", "reciprocal", "any"]))
    if kind == "softmax":  # 2^30 // sum e, sum e in 2^15 .. 4096 * 2^15
        return 1 << 30, draw(extremes_or(1 << 15, 1 << 27)), SOFTMAX_DIV_CYCLES
    if kind == "reciprocal":  # 2^40 // sigma, sigma = 0 or 2^8 .. isqrt(2^54)
        return 1 << 40, draw(st.one_of(st.just(0), extremes_or(1 << 8, 1 << 27))), (
            LN_RECIP_DIV_CYCLES)
    steps = DIV_Q_BITS if kind == "variance" else draw(extremes_or(1, DIV_Q_BITS))
    d = draw(extremes_or(1, 4096 if kind == "variance" else (1 << DIV_D_BITS) - 1))
    q = draw(extremes_or(0, (1 << steps) - 1))
    return q * d + draw(extremes_or(0, d - 1)), d, steps


def test_divide_and_isqrt_twins_are_exact():
    for n, d, s in [(1 << 30, 1 << 15, 16), ((4096 << 38) - 1, 4096, 38), (0, 1, 1), (5, 7, 3)]:
        assert vec_restoring.divide(n, d, s, DIV_Q_BITS) == n // d
    for n in (0, 1, 2, 3, 4, (1 << 54) - 1, 1 << 52, (1 << 27) ** 2 - 1):
        assert vec_restoring.isqrt(n, SQRT_CYCLES) == math.isqrt(n)


@settings(max_examples=25)
@given(jobs=st.lists(divides(), min_size=1, max_size=5))
def test_restoring_divider_equals_its_twin(jobs):
    vectors, ends = engine_vectors(divide_jobs(jobs), ("a0", "q0", "d0"))
    got = divider_bench().run_myhdl(vectors)["quotient"]
    for (n, d, s), t in zip(jobs, ends):
        want = vec_restoring.divide(n, d, s, DIV_Q_BITS)
        assert got[t] == got[t + 1] == want, (n, d, s)
        if d:
            assert want == n // d


@settings(max_examples=25)
@given(ns=st.lists(extremes_or(0, (1 << 2 * SQRT_CYCLES) - 1), min_size=1, max_size=5))
def test_restoring_sqrt_equals_its_twin(ns):
    vectors, ends = engine_vectors([(SQRT_CYCLES, {"n": n}) for n in ns], ("n",))
    got = sqrt_bench().run_myhdl(vectors)["root"]
    for n, t in zip(ns, ends):
        assert got[t] == got[t + 1] == vec_restoring.isqrt(n, SQRT_CYCLES) == math.isqrt(n)


@pytest.mark.hdl
def test_restoring_engines_in_verilog(iverilog, tmp_path):
    """The divider and the square root converted alone, re-simulated in Icarus at the extremes."""
    top = (1 << 2 * SQRT_CYCLES) - 1
    jobs = [(1 << 30, 1 << 15, 16), (1 << 30, 1 << 27, 16), (1 << 40, 0, 33), (1 << 40, 256, 33),
            ((1 << 52) - 1, 4096, 38), ((1 << 38) - 1, 1, 38), (0, 1, 1), (12345, 67, 9)]
    for bench, work, names, want in [
            (divider_bench(), divide_jobs(jobs), ("a0", "q0", "d0"),
             [vec_restoring.divide(n, d, s, DIV_Q_BITS) for n, d, s in jobs]),
            (sqrt_bench(), [(SQRT_CYCLES, {"n": n}) for n in (0, 1, 3, 4, top, 1 << 52)],
             ("n",), [math.isqrt(n) for n in (0, 1, 3, 4, top, 1 << 52)])]:
        vectors, ends = engine_vectors(work, names)
        got = run_iverilog(bench, vectors, convert(bench, tmp_path, "Verilog"))
        out = next(iter(bench.outputs))
        assert [got[out][t] for t in ends] == want
        np.testing.assert_array_equal(got[out], bench.run_myhdl(vectors)[out])
