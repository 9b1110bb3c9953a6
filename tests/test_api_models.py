"""Bad arguments to the public functions of numerics, config, timing, the models and the compiler:
each is a ChipkitError whose message names the argument, never a raw numpy error or a silently
wrong result; the extremes that are legal (-128, 127, int32 wrap-around) still compute right."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from chipkit import isa, timing
from chipkit import numerics as nx
from chipkit.backends.core_gemm import core_gemm
from chipkit.compiler.gemm import compile_gemm
from chipkit.config import ArrayConfig, CoreConfig
from chipkit.errors import ChipkitError, ConfigError, RangeError, ShapeError
from chipkit.models import (
    arith,
    array_cycles,
    array_fast,
    array_golden,
    array_schedule,
    core_fast,
    core_golden,
    core_trace,
    intmath,
)
from chipkit.models import vector_golden as vg
from chipkit.models.core_golden import ProgramError

AC, CC = ArrayConfig(2, 2), CoreConfig(lanes=2)
A, B = np.array([[1, 2], [3, 4]]), np.array([[1, 0], [0, 1]])
PROG = "dma.ld mem=sram, row=0, dram=0, rows=2\nsync\nhalt"
DMA = isa.make("dma.ld", mem="sram", row=0, dram=0, rows=2)
RAGGED = [[1, 2], [3]]


def gemm_program():
    return compile_gemm(A, B, CC)


# (function, the arguments, the error, a word its message must contain)
CASES = [
    (nx.wrap, dict(x=RAGGED, width=8), ShapeError, "x"),
    (nx.wrap, dict(x=1, width=0), ConfigError, "width"),
    (nx.wrap, dict(x=1, width=70_000), ConfigError, "width"),
    (nx.wrap, dict(x=1, width=True), ConfigError, "width"),
    (nx.to_twos, dict(x=200, width=8), RangeError, "x"),
    (nx.fits, dict(x=1, width=8, signed="yes"), ConfigError, "signed"),
    (nx.requantize, dict(acc=1, multiplier=True, shift=0), ShapeError, "multiplier"),
    (nx.requantize, dict(acc=[1.5], multiplier=1, shift=0), ShapeError, "accumulator"),
    (nx.quantize_multiplier, dict(real_scale=None), ConfigError, "real_scale"),
    (nx.quantize_multiplier, dict(real_scale=0.5, bits=2.0), ConfigError, "bits"),
    (nx.quantize, dict(x=["a"], scale=1.0), ShapeError, "x"),
    (nx.quantize, dict(x=[np.nan], scale=1.0), ShapeError, "x"),
    (nx.quantize, dict(x=[1.0], scale="1"), ConfigError, "scale"),
    (nx.dequantize, dict(q=[1], scale=None), ConfigError, "scale"),
    (nx.symmetric_scale, dict(x=RAGGED), ShapeError, "x"),
    (ArrayConfig, dict(rows=0), ConfigError, "rows"),
    (ArrayConfig, dict(cols=2.0), ConfigError, "cols"),
    (ArrayConfig, dict(dataflow=np.array(["ws"])), ConfigError, "dataflow"),
    (ArrayConfig.parse, dict(array="4y4"), ConfigError, "array"),
    (CoreConfig, dict(lanes=None), ConfigError, "lanes"),
    (CoreConfig, dict(dram_bytes=-1), ConfigError, "dram_bytes"),
    (timing.dma_cycles, dict(mem="dram", rows=1, cfg=CC), ConfigError, "mem"),
    (timing.dma_cycles, dict(mem="sram", rows=-1, cfg=CC), ConfigError, "rows"),
    (timing.dma_cycles, dict(mem="sram", rows=1, cfg=AC), ConfigError, "cfg"),
    (timing.mm_cycles, dict(rows=1, lanes=0), ConfigError, "lanes"),
    (timing.vector_cycles, dict(op="vfoo", rows=1, chunks=1, lanes=2), ConfigError, "op"),
    (timing.duration, dict(instr="dma.ld", cfg=CC, shape=(1, 1, 0)), ConfigError, "instr"),
    (timing.duration, dict(instr=isa.make("halt"), cfg=CC, shape=(1, 1, 0)), ConfigError,
     "halt"),
    (arith.add, dict(a=256, b=0, cin=0, width=8), RangeError, "a"),
    (arith.mac, dict(a=[1], b=[1], clear=[0], enable=[1], saturating="no"), ConfigError,
     "saturating"),
    (arith.mac, dict(a=[1], b=[1], clear=[0], enable=[1], acc_width=129), ConfigError,
     "acc_width"),
    (arith.mul_signed, dict(a=1, b=1, width_a=0, width_b=8), ConfigError, "width_a"),
    (array_golden.gemm, dict(a=RAGGED, b=B), ShapeError, "A"),
    (array_golden.gemm, dict(a=[[200]], b=[[1]]), RangeError, "A"),
    (array_golden.gemm, dict(a=[[2**70]], b=[[1]]), RangeError, "A"),
    (array_golden.gemm, dict(a=np.ones((2, 2)), b=B), ShapeError, "A"),
    (array_golden.gemm, dict(a=A, b=None), ShapeError, "B"),
    (array_cycles.folds, dict(m=0, n=1, k=1, cfg=AC), ConfigError, "m"),
    (array_cycles.gemm_cycles, dict(m=1, n=1, k=1, cfg=CC), ConfigError, "cfg.array"),
    (array_cycles.utilization, dict(m=9, n=9, k=9, cfg=AC, cycles=1), RangeError, "cycles"),
    (array_schedule.build, dict(a=A, b=B, cfg="2x2"), ConfigError, "cfg"),
    (array_fast.gemm, dict(a=A, b=B, cfg=AC, record="yes"), ConfigError, "record"),
    (array_fast.FastArray, dict(cfg=AC, folds=0), ConfigError, "folds"),
    (array_fast.FastArray, dict(cfg=AC, folds=1, w_before=np.zeros((1, 3, 3), int)), ShapeError,
     "w_before"),
    (array_fast.run, dict(schedule=None), ConfigError, "schedule"),
    (intmath.round_shift, dict(v=5.7, shift=1), ShapeError, "v"),
    (intmath.round_shift, dict(v=5, shift=-1), RangeError, "shift"),
    (intmath.exp2_neg, dict(u=[1.5]), ShapeError, "u"),
    (intmath.isqrt, dict(n=4, bits=66), ConfigError, "bits"),
    (intmath.isqrt_steps, dict(n=4, trace="x"), ConfigError, "trace"),
    (vg.requantize, dict(acc=[1.5], multiplier=1, shift=0), ShapeError, "acc"),
    (vg.add, dict(x=[1], y=[1], mx=np.ones((2, 2, 2), int), sx=0, my=1, sy=0), ShapeError, "mx"),
    (vg.softmax, dict(s=[1, 2], multiplier=1.5, shift=3), ConfigError, "multiplier"),
    (vg.layernorm, dict(x=[1, 2], out_frac=True), ConfigError, "out_frac"),
    (vg.gelu, dict(x=[1], in_scale=True, out_scale=0.1), ConfigError, "in_scale"),
    (vg.strided_move, dict(src=[1, 2], offset=10**30, shape=(1, 1), strides=(1, 1)),
     ConfigError, "offset"),
    (vg.strided_move, dict(src=[1, 2], offset=0, shape=(2,), strides=(1, 1)), ShapeError,
     "shape"),
    (vg.transpose, dict(x=RAGGED), ShapeError, "x"),
    (vg.softmax_float, dict(s=[], scale=1.0), ShapeError, "s"),
    (vg.layernorm_float, dict(x=[1.0, 2.0], gamma=[1, 2, 3]), ShapeError, "gamma"),
    (core_golden.run, dict(program=PROG, cfg=AC), ConfigError, "cfg"),
    (core_golden.run, dict(program=PROG, cfg=CC, dram=np.array([300])), RangeError, "dram"),
    (core_golden.run, dict(program=PROG, cfg=CC, dram=np.array([-1])), RangeError, "dram"),
    (core_golden.run, dict(program=PROG, cfg=CC, dram=np.array([1.7])), ShapeError, "dram"),
    (core_golden.run, dict(program=PROG, cfg=CC, dram=np.zeros((2, 2), np.uint8)), ShapeError,
     "dram"),
    (core_golden.run, dict(program=PROG, cfg=CC, dram=RAGGED), ShapeError, "dram"),
    (core_golden.run, dict(program=PROG, cfg=CC, dram="abc"), ShapeError, "dram"),
    (core_golden.run, dict(program=PROG, cfg=CC, dram=np.zeros(2**21, np.uint8)), ShapeError,
     "dram"),
    (core_golden.execute, dict(program=PROG, cfg=None), ConfigError, "cfg"),  # not lazily
    (core_golden.unpack_rows, dict(mem="dram", raw=np.zeros((1, 2), np.uint8), lanes=2),
     ConfigError, "mem"),
    (core_golden.pack_rows, dict(mem="sram", rows=[[200, 0]], lanes=2), RangeError, "rows"),
    (core_golden.pack_rows, dict(mem="sram", rows=[[1, 2, 3]], lanes=2), ShapeError, "rows"),
    (core_golden.pack_rows, dict(mem="param", rows=[[70000, 0, 0, 0]], lanes=2), RangeError,
     "m1 u16"),
    (core_golden.apply, dict(state=None, pc=0, instr=DMA), ConfigError, "state"),
    (core_fast.run, dict(program=PROG, cfg=CC, dram=np.array([300])), RangeError, "dram"),
    (core_fast.run, dict(program=PROG, cfg=CC, dram=[1.0]), ShapeError, "dram"),
    (core_fast.FastCore, dict(cfg=None, program=PROG), ConfigError, "cfg"),
    (core_fast.footprint, dict(instr=DMA, state=None), ConfigError, "state"),
    (core_trace.dram_addresses, dict(instr=isa.make("halt"), lanes=2), ConfigError, "instr"),
    (core_trace.trace_golden, dict(program=PROG, cfg=CC, dram=[300]), RangeError, "dram"),
    (core_trace.trace_fast, dict(program=PROG, cfg=CC, core=int), ConfigError, "core"),
    (compile_gemm, dict(a=A, b=B, cfg=AC), ConfigError, "CoreConfig(lanes=2)"),
    (compile_gemm, dict(a=RAGGED, b=B, cfg=CC), ShapeError, "A"),
    (lambda dram: gemm_program().read_c(dram), dict(dram=np.zeros(3, np.uint8)), ShapeError,
     "dram"),
    (core_gemm, dict(a=A, b=B, cfg=AC, backend="golden"), ConfigError, "cfg"),
]


@pytest.mark.parametrize(("fn", "kwargs", "error", "word"), CASES,
                         ids=[f"{getattr(c[0], '__name__', 'call')}-{i}"
                              for i, c in enumerate(CASES)])
def test_bad_argument_is_a_chipkit_error_naming_it(fn, kwargs, error, word):
    with pytest.raises(error) as e:
        fn(**kwargs)
    assert isinstance(e.value, ChipkitError)
    assert word in str(e.value), str(e.value)


@pytest.mark.parametrize("line", ["dma.ld mem=sram, row=0, dram=0, rows=0",
                                  "dma.st mem=acc, row=0, dram=0, rows=0",
                                  "mm a=0, rows=0, acc=0, buf=0"])
@pytest.mark.parametrize("model", [core_golden.run, core_fast.run])
def test_zero_row_transfers_are_refused_alike(line, model):
    text = "dma.ld mem=sram, row=0, dram=0, rows=2\nsync\nlw row=0, buf=0\nsync\n" + line
    with pytest.raises(ProgramError, match=r"pc 4 \(.*\): rows=0 moves nothing; give rows >= 1"):
        model(text + "\nhalt", CC)


def test_a_gemm_too_big_for_sram_says_what_the_command_line_can_change():
    with pytest.raises(ConfigError, match=r"smaller K or N .*--array 4x4.*CoreConfig\(lanes=4\)"):
        compile_gemm(np.ones((4, 64), int), np.ones((64, 64), int), CC)


# --- DRAM images -------------------------------------------------------------------------------

COPY = """dma.ld mem=sram, row=0, dram=0, rows=8
sync
dma.st mem=sram, row=0, dram=512, rows=8
halt
"""

bad_images = st.one_of(
    hnp.arrays(st.sampled_from([np.int16, np.int32, np.int64]), st.integers(1, 16),
               elements=st.integers(-1000, 1000)).filter(lambda x: x.min() < 0 or x.max() > 255),
    hnp.arrays(st.sampled_from([np.float32, np.float64]), st.integers(1, 16),
               elements=st.floats(0, 255, width=32)),
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 4), st.integers(1, 4))),
    st.lists(st.integers(256, 2**70), min_size=1, max_size=4),
    st.lists(st.floats(allow_nan=True), min_size=1, max_size=4),
    st.text(min_size=1, max_size=4),
)


@settings(max_examples=60)
@given(bad_images, st.sampled_from([core_golden.run, core_fast.run]))
def test_bad_dram_images_are_refused_by_name(image, model):
    with pytest.raises(ChipkitError, match="dram"):
        model(COPY, CC, image)


@settings(max_examples=25)
@given(st.binary(min_size=16, max_size=64))
def test_every_form_of_a_dram_image_loads_the_same_bytes(data):
    want = np.frombuffer(data, np.uint8)
    forms = [data, bytearray(data), want, want.view(np.int8), want.tolist(),
             want.astype(np.int64), want.view(np.int8).astype(np.int8)]
    for model in (core_golden.run, core_fast.run):
        for image in forms:
            out = model(COPY, CC, image).dram
            np.testing.assert_array_equal(out[512:528], want[:16])
            np.testing.assert_array_equal(out[:want.size], want)


# --- operands ---------------------------------------------------------------------------------

@settings(max_examples=40)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.data())
def test_operands_outside_int8_are_refused_by_name(m, k, n, data):
    a = np.zeros((m, k), np.int64)
    b = np.zeros((k, n), np.int64)
    bad = data.draw(st.one_of(st.integers(128, 2**40), st.integers(-(2**40), -129)))
    which = data.draw(st.sampled_from(["A", "B"]))
    x = a if which == "A" else b
    x[data.draw(st.integers(0, x.shape[0] - 1)), data.draw(st.integers(0, x.shape[1] - 1))] = bad
    for fn in (array_golden.gemm, lambda a, b: array_fast.gemm(a, b, AC),
               lambda a, b: compile_gemm(a, b, CC)):
        with pytest.raises(RangeError, match=f"{which} holds values outside int8"):
            fn(a, b)
    with pytest.raises(ShapeError, match=f"{which} must hold integers"):
        array_golden.gemm(a + 0.5 if which == "A" else a, b + 0.5 if which == "B" else b)


@settings(max_examples=20)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**16))
def test_int8_extremes_are_exact_on_every_model(m, k, n, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.choice([-128, 127], (m, k)), rng.choice([-128, 127], (k, n))
    want = [[sum(int(a[i, t]) * int(b[t, j]) for t in range(k)) for j in range(n)]
            for i in range(m)]
    np.testing.assert_array_equal(array_golden.gemm(a, b), want)
    np.testing.assert_array_equal(array_fast.gemm(a, b, AC).product, want)
    g = compile_gemm(a.astype(np.int8), b.astype(np.int8), CC)  # any integer dtype
    for model in (core_golden.run, core_fast.run):
        np.testing.assert_array_equal(g.read_c(model(g.words, CC, g.dram).dram), want)


def test_int32_sums_wrap_around_like_the_hardware():
    k = 2**17 + 1  # 16384 * k > 2^31 - 1
    got = array_golden.gemm(np.full((1, k), -128), np.full((k, 1), -128))
    assert got.tolist() == [[16384 * k - 2**32]]
    assert nx.wrap32(2**31) == -(2**31) and arith.mac([127], [127], [0], [1],
                                                       acc_width=8).tolist() == [1]


@settings(max_examples=25)
@given(st.lists(st.sampled_from([2**31 - 1, -(2**31), 0, 12345]), min_size=4, max_size=4),
       st.lists(st.sampled_from([-128, 127, 1]), min_size=8, max_size=8))
def test_accumulating_into_acc_wraps_on_both_core_models(acc0, int8s):
    """ACC starts near the int32 limits; mm accumulate adds A @ W: the sum wraps, alike."""
    acc0 = np.array(acc0).reshape(2, 2)
    a, w = np.array(int8s[:4]).reshape(2, 2), np.array(int8s[4:]).reshape(2, 2)
    image = np.concatenate([core_golden.pack_rows("acc", acc0, 2).ravel(), np.zeros(48, np.uint8),
                            core_golden.pack_rows("sram", np.vstack([a, w]), 2).ravel()])
    text = """dma.ld mem=acc, row=0, dram=0, rows=2
              dma.ld mem=sram, row=0, dram=64, rows=4
              sync
              lw row=2, buf=0
              mm a=0, rows=2, acc=0, buf=0, accumulate=1
              sync
              dma.st mem=acc, row=0, dram=128, rows=2
              halt"""
    want = nx.wrap32(acc0 + a @ w)
    for model in (core_golden.run, core_fast.run):
        out = model(text, CC, image).dram[128:144].reshape(2, 8)
        np.testing.assert_array_equal(core_golden.unpack_rows("acc", out, 2), want)
