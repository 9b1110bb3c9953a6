"""Graded: exercise 14, a core program for C = ReLU(requantize(A @ B))
(solutions/ex14_gemm_relu_program.py).

The student's text runs on the golden model and on the cycle model (which refuses a missing sync
as a race); C must equal numpy's max(0, requantize(A @ B)), and A, B and PARAM must be left intact.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit import numerics as nx
from chipkit.config import CoreConfig
from chipkit.grading.checks import GRADED, NO_SHRINK
from chipkit.models import core_fast, core_golden, vector_golden
from chipkit.models.core_golden import ProgramError, pack_rows

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.compiler.gemm.compile_gemm",)


def layer(m, k, n, lanes, seed, scale=0.004):
    """The DRAM image, the addresses and the expected C (m x lanes int8) of one case."""
    rng = np.random.default_rng(seed)
    a = np.zeros((m, lanes), np.int64)
    b = np.zeros((lanes, lanes), np.int64)
    a[:, :k] = rng.integers(-128, 128, (m, k))
    b[:k, :n] = rng.integers(-128, 128, (k, n))
    m1, s1 = nx.quantize_multiplier(scale)
    a_addr = 64 * int(rng.integers(0, 4))
    b_addr = a_addr + -(-m * lanes // 64) * 64 + 64 * int(rng.integers(0, 3))
    param_addr = b_addr + lanes * lanes + 8 * int(rng.integers(0, 4))
    c_addr = param_addr + 64 + 64 * int(rng.integers(0, 3))
    dram = np.zeros(c_addr + m * lanes + 256, np.uint8)
    dram[a_addr:a_addr + m * lanes] = a.astype(np.int8).view(np.uint8).ravel()
    dram[b_addr:b_addr + lanes * lanes] = b.astype(np.int8).view(np.uint8).ravel()
    dram[param_addr:param_addr + 8] = pack_rows("param", np.array([[m1, s1, 0, 0]]), lanes)[0]
    want = np.maximum(vector_golden.requantize(a @ b, m1, s1), 0)
    return dram, (a_addr, b_addr, param_addr, c_addr), want


def check(mod, m, k, n, lanes, seed, fast=True):
    dram, addrs, want = layer(m, k, n, lanes, seed)
    text = mod.gemm_relu_program(m, lanes, *addrs)
    assert isinstance(text, str), f"gemm_relu_program should return text, got {type(text)}"
    cfg = CoreConfig(lanes=lanes, dram_bytes=1 << 14)
    runs = [("golden model", lambda: core_golden.run(text, cfg, dram).dram)]
    if fast:
        runs.append(("cycle model", lambda: core_fast.run(text, cfg, dram).state.dram))
    c_addr = addrs[3]
    for name, go in runs:
        try:
            final = go()
        except ProgramError as e:
            pytest.fail(f"m={m}, lanes={lanes}: the {name} refused the program: {e}")
        got = final[c_addr:c_addr + m * lanes].view(np.int8).reshape(m, lanes).astype(np.int64)
        bad = np.argwhere(got != want)
        if bad.size:
            i, j = bad[0]
            pytest.fail(f"m={m}, k={k}, n={n}, lanes={lanes} on the {name}: C[{i}, {j}] should be "
                        f"{want[i, j]}, got {got[i, j]}")
        start = np.zeros(cfg.dram_bytes, np.uint8)
        start[:dram.size] = dram
        outside = np.ones(cfg.dram_bytes, bool)
        outside[c_addr:c_addr + m * lanes] = False
        assert np.array_equal(final[outside], start[outside]), (
            f"on the {name}: the program wrote DRAM outside C (A, B and PARAM must stay)")


@pytest.mark.points(2)
def test_one_small_layer_on_the_golden_model(mod):
    check(mod, 4, 4, 4, 4, seed=1, fast=False)
    check(mod, 16, 8, 8, 8, seed=2, fast=False)


@pytest.mark.points(2)
def test_the_cycle_model_accepts_it(mod):
    check(mod, 16, 8, 8, 8, seed=3)
    check(mod, 3, 2, 5, 8, seed=4)


@pytest.mark.points(2)
@NO_SHRINK
@given(st.integers(1, 64), st.sampled_from([4, 8, 16]), st.data())
def test_random_shapes(mod, m, lanes, data):
    k, n = data.draw(st.integers(1, lanes)), data.draw(st.integers(1, lanes))
    check(mod, m, k, n, lanes, seed=data.draw(st.integers(0, 2**32 - 1)))


@pytest.mark.points(1)
def test_relu_clears_the_negatives(mod):
    dram, addrs, want = layer(32, 8, 8, 8, seed=5)
    assert (want == 0).sum() > 50  # the case has negatives for ReLU to clear
    check(mod, 32, 8, 8, 8, seed=5)


@pytest.mark.points(1)
@GRADED
@given(st.integers(1, 64))
def test_text_assembles(mod, m):
    from chipkit import isa

    words = isa.assemble(mod.gemm_relu_program(m, 8, 0, 1024, 2048, 4096))
    assert isa.decode(words[-1]).op.mnemonic == "halt", "end the program with halt"
