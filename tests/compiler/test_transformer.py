"""The tiny transformer compiled for the core: bit for bit the integer golden model
(chipkit.nn.integer) on the golden and cycle models, on 4 x 4, 8 x 8 and 16 x 16 arrays; what the
core cannot run is a ConfigError naming the limit."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit import isa
from chipkit.backends.core_run import run
from chipkit.compiler.transformer import compile_model
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.nn import integer, model, task
from chipkit.nn.quantize import quantize

_MODELS = {}


def quantized(seed: int):
    """A quantized model of random weights, calibrated on random sequences (cached per seed)."""
    if seed not in _MODELS:
        params = model.init_params(seed)
        tokens, _ = task.make_batch(np.random.default_rng(seed), 64)
        _MODELS[seed] = quantize(params, model.activations(params, tokens))
    return _MODELS[seed]


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 3), st.sampled_from([4, 8, 16]), st.integers(0, 2**32 - 1))
def test_one_pass_equals_the_integer_model_on_golden_and_fast(seed, lanes, data_seed):
    qm, cfg = quantized(seed), CoreConfig(lanes=lanes)
    compiled = compile_model(qm, cfg)
    tokens = np.random.default_rng(data_seed).integers(0, task.VOCAB, 16)
    want = integer.forward(qm, tokens)
    runs = {b: run(compiled.words, cfg, compiled.dram(tokens), b) for b in ("golden", "fast")}
    for backend, r in runs.items():
        np.testing.assert_array_equal(compiled.read_logits(r.dram), want, err_msg=backend)
    np.testing.assert_array_equal(runs["golden"].dram, runs["fast"].dram)


def test_the_listing_reassembles_to_the_same_words():
    compiled = compile_model(quantized(0))
    listing = compiled.listing()
    assert "# L1 attn h1 QK^T" in listing and "# head" in listing
    assert isa.assemble(listing) == compiled.words


def test_the_memory_map_names_every_region_inside_its_memory():
    cfg = CoreConfig()
    mm = compile_model(quantized(0), cfg).program.memory_map()
    depth = {"sram": cfg.sram_rows, "acc": cfg.acc_rows}
    names = {r["name"] for r in mm["on_chip"]}
    assert {"weights A", "weights B", "q", "K^T head 1", "logits"} <= names
    assert all(0 <= r["start"] and r["start"] + r["rows"] <= depth[r["mem"]]
               for r in mm["on_chip"])
    assert sum(b["bytes"] for b in mm["dram"]) <= cfg.dram_bytes


@pytest.mark.parametrize(("cfg", "t", "match"), [
    (CoreConfig(lanes=32), 16, "= 16 is not a multiple of L = 32"),
    (CoreConfig(lanes=8), 12, "T .* = 12 is not a multiple of L = 8"),
    (CoreConfig(lanes=8, sram_rows=256), 16, "SRAM rows"),
    (CoreConfig(lanes=8, acc_rows=128), 16, "ACC rows"),
    (CoreConfig(lanes=8, param_rows=4), 16, "PARAM entries"),
    (CoreConfig(lanes=8, dram_bytes=4096), 16, "DRAM"),
    (CoreConfig(lanes=2, sram_rows=4096, acc_rows=4096, scale_rows=4096), 16,
     "instruction memory holds 4096"),
])
def test_what_the_core_cannot_run_is_refused_naming_the_limit(cfg, t, match):
    with pytest.raises(ConfigError, match=match):
        compile_model(quantized(0), cfg, t)
