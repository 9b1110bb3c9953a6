"""The quantized tiny transformer: every scale an integer pair, the integer golden model causal and
within one percentage point of the float model on 10,000 held-out sorts."""
import numpy as np
import pytest

from chipkit import numerics as nx
from chipkit.errors import ConfigError
from chipkit.nn import integer, model, task
from chipkit.nn.quantize import Requant, check_mask, quantize


@pytest.fixture(scope="module")
def trained():
    params = model.load_params()
    tokens, _ = task.make_batch(np.random.default_rng(1234), 1000)
    return params, quantize(params, model.activations(params, tokens))


def test_every_number_is_an_integer_the_chip_holds(trained):
    _, qm = trained
    for lin in [qm.emb, qm.head] + [getattr(layer, n) for layer in qm.layers
                                    for n in ("q", "k", "v", "o", "ffn1", "ffn2")]:
        assert lin.w.dtype.kind == "i" and np.abs(lin.w).max() <= 127
        assert np.abs(lin.b).max() < 2**31
    rqs = [qm.emb_rq] + [getattr(layer, n) for layer in qm.layers
                         for n in ("q_rq", "k_rq", "v_rq", "softmax", "pv_rq", "ffn1_rq")]
    for r in rqs:
        nx.check_requant_params(r.multiplier, r.shift)
        assert np.all(np.asarray(r.multiplier) < 2**15)
    for layer in qm.layers:
        for m1, s1, m2, s2 in (layer.attn_add, layer.ffn_add):
            nx.check_requant_params([m1, m2], [s1, s2])
        assert 0 <= layer.ln1_frac <= 8 and 0 <= layer.ln2_frac <= 8


def test_the_integer_model_is_causal(trained):
    _, qm = trained
    rng = np.random.default_rng(7)
    tokens = rng.integers(0, task.VOCAB, (20, 16))
    base = integer.forward(qm, tokens)
    for p in (0, 5, 8, 14):
        changed = tokens.copy()
        changed[:, p + 1:] = rng.integers(0, task.VOCAB, (20, 15 - p))
        np.testing.assert_array_equal(integer.forward(qm, changed)[:, : p + 1], base[:, : p + 1])


def test_int8_sorts_within_one_point_of_float_on_10000_held_out(trained):
    params, qm = trained
    digits = np.random.default_rng(99).integers(0, 10, (10_000, task.N_DIGITS))
    float_out = task.generate(model.logits_fn(params), digits)
    int_out = task.generate(lambda toks: integer.forward(qm, toks), digits)
    float_acc = task.exact_accuracy(float_out, digits)
    int_acc = task.exact_accuracy(int_out, digits)
    assert float_acc >= 0.99, float_acc
    assert int_acc >= float_acc - 0.01, (int_acc, float_acc)


def test_a_softmax_scale_too_small_for_the_mask_is_refused():
    check_mask(Requant.of(2.0**-10), "fine")
    with pytest.raises(ConfigError, match="causal mask"):
        check_mask(Requant.of(2.0**-20), "layer 0 attention")
