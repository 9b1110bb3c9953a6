"""chipkit.nn.model and task: names and shapes, the hand-written backward pass against finite
differences, causality, the padded head columns, and the task's data and decoding."""
import numpy as np
import pytest

from chipkit.errors import ConfigError, ShapeError
from chipkit.nn import model, task


def test_parameter_names_shapes_and_count():
    params = model.init_params(0)
    layer = {"ln1.g": (32,), "ln1.b": (32,), "wq": (32, 32), "wk": (32, 32), "wv": (32, 32),
             "bq": (32,), "bk": (32,), "bv": (32,), "wo": (32, 32), "bo": (32,), "ln2.g": (32,),
             "ln2.b": (32,), "w1": (32, 64), "b1": (64,), "w2": (64, 32), "b2": (32,)}
    want = {"tok_emb": (16, 32), "pos_emb": (16, 32), "lnf.g": (32,), "lnf.b": (32,),
            "head.w": (32, 16), "head.b": (16,)}
    want |= {f"l{i}.{k}": s for i in (0, 1) for k, s in layer.items()}
    assert {k: v.shape for k, v in params.items()} == want
    assert all(v.dtype == np.float32 for v in params.values())
    # 2 x (4 * 32*32 + 4*32 + 2 * 32*64 + 64 + 32 + 4*32) + 2 * 16*32 + 2*32 + 32*16 + 16
    assert model.n_params(params) == 18_704


def test_forward_and_activation_shapes():
    params = model.init_params(1)
    tokens, _ = task.make_batch(np.random.default_rng(0), 5)
    logits, _ = model.forward(params, tokens)
    assert logits.shape == (5, 16, 16) and logits.dtype == np.float32
    acts = model.activations(params, tokens)
    assert list(acts) == model.activation_names()
    for name, a in acts.items():
        kind = name.split(".")[-1]
        assert a.shape == {"scores": (5, 2, 16, 16), "probs": (5, 2, 16, 16),
                           "ffn_hidden": (5, 16, 64), "logits": (5, 16, 16)}.get(kind, (5, 16, 32))
    np.testing.assert_array_equal(acts["logits"], logits)
    probs = acts["l1.probs"]
    np.testing.assert_allclose(probs.sum(-1), 1, rtol=1e-5)
    assert np.all(probs[..., np.triu_indices(16, 1)[0], np.triu_indices(16, 1)[1]] == 0)
    np.testing.assert_allclose(acts["l0.x_attn"], acts["x0"] + acts["l0.attn_out"])
    assert np.all(acts["l1.ffn_hidden"] >= 0)
    # a shorter sequence gives the same logits at its positions (the position table is sliced)
    np.testing.assert_allclose(model.forward(params, tokens[:, :9])[0], logits[:, :9], atol=1e-5)


def _random_model(seed: int) -> dict:
    """float64 parameters with LayerNorm gains and all biases away from 1 and 0, so that every
    gradient path is exercised."""
    rng = np.random.default_rng(seed)
    params = model.init_params(seed, dtype=np.float64)
    for name, v in params.items():
        if v.ndim == 1 and name != "head.b":
            params[name] = v + rng.normal(0, 0.3, v.shape)
    return params


def _gradient_mismatches(params, grads, tokens, targets, rng, per_tensor=3, h=1e-6):
    """Compare `grads` with central differences at a few random entries of every tensor (rows
    of tok_emb that the batch uses, real head columns); return the entries that disagree."""
    bad = []
    for name, p in params.items():
        for _ in range(per_tensor):
            idx = [int(rng.integers(0, s)) for s in p.shape]
            if name == "tok_emb":
                idx[0] = int(rng.choice(tokens.ravel()))
            if name.startswith("head."):
                idx[-1] = int(rng.integers(0, task.VOCAB))
            idx = tuple(idx)
            old = p[idx]
            p[idx] = old + h
            up, _ = model.loss_and_grads(params, tokens, targets)
            p[idx] = old - h
            down, _ = model.loss_and_grads(params, tokens, targets)
            p[idx] = old
            numeric = (up - down) / (2 * h)
            if abs(numeric - grads[name][idx]) > 1e-7 + 1e-5 * abs(numeric):
                bad.append((name, idx, numeric, grads[name][idx]))
    return bad


def test_backward_matches_finite_differences():
    rng = np.random.default_rng(3)
    params = _random_model(3)
    tokens, targets = task.make_batch(rng, 3)
    _, grads = model.loss_and_grads(params, tokens, targets)
    assert set(grads) == set(params)
    assert all(grads[k].shape == params[k].shape for k in params)
    assert _gradient_mismatches(params, grads, tokens, targets, rng) == []


def test_the_gradient_check_catches_a_wrong_gradient():
    rng = np.random.default_rng(4)
    params = _random_model(4)
    tokens, targets = task.make_batch(rng, 3)
    _, grads = model.loss_and_grads(params, tokens, targets)
    grads["l0.wk"] = grads["l0.wk"] * 1.01
    bad = _gradient_mismatches(params, grads, tokens, targets, rng)
    assert {b[0] for b in bad} == {"l0.wk"}


def test_unused_parameters_get_no_gradient():
    """The padded head columns and tok_emb's rows 11..15 never change in training."""
    params = model.init_params(2)
    tokens, targets = task.make_batch(np.random.default_rng(2), 16)
    _, grads = model.loss_and_grads(params, tokens, targets)
    assert not grads["head.w"][:, task.VOCAB:].any() and not grads["head.b"][task.VOCAB:].any()
    assert not grads["tok_emb"][task.VOCAB:].any()
    assert np.all(params["head.b"][task.VOCAB:] == model.PAD_LOGIT)


def test_attention_is_causal():
    params = model.init_params(5, dtype=np.float64)
    rng = np.random.default_rng(5)
    tokens = rng.integers(0, task.VOCAB, size=(4, 16))
    before, _ = model.forward(params, tokens)
    for p in (0, 7, 12):
        changed = tokens.copy()
        changed[:, p + 1:] = (changed[:, p + 1:] + 1 + rng.integers(0, 9, (4, 15 - p))) % 11
        after, _ = model.forward(params, changed)
        np.testing.assert_allclose(after[:, :p + 1], before[:, :p + 1], rtol=1e-12, atol=1e-12)
        assert not np.allclose(after[:, p + 1:], before[:, p + 1:])


def test_loss_uses_positions_8_to_15_and_the_real_classes_only():
    params = model.init_params(6, dtype=np.float64)
    tokens, targets = task.make_batch(np.random.default_rng(6), 4)
    loss, _ = model.loss_and_grads(params, tokens, targets)
    z = model.forward(params, tokens)[0][:, 8:, :11]
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    assert loss == pytest.approx(-np.take_along_axis(logp, targets[..., None], -1).mean())


def test_shipped_weights_load_and_keep_padded_logits_lowest():
    params = model.load_params()
    assert model.n_params(params) == 18_704
    tokens, _ = task.make_batch(np.random.default_rng(7), 500)
    logits, _ = model.forward(params, tokens)
    assert logits[..., task.VOCAB:].max() < logits[..., :task.VOCAB].min()


def test_bad_arguments_say_what_to_change(tmp_path):
    params = model.init_params(0)
    with pytest.raises(ShapeError, match=r"tokens must be in 0\.\.10"):
        model.forward(params, np.full((1, 16), 11))
    with pytest.raises(ShapeError, match=r"shape \[n, T\] with T <= 16"):
        model.forward(params, np.zeros((1, 17), dtype=int))
    with pytest.raises(ConfigError, match="missing"):
        model.forward({k: v for k, v in params.items() if k != "l0.bq"},
                      np.zeros((1, 16), dtype=int))
    with pytest.raises(ConfigError, match=r"params\['head.w'\] must be a float array of shape"):
        model.forward(params | {"head.w": np.zeros((32, 11))}, np.zeros((1, 16), dtype=int))
    with pytest.raises(ShapeError, match="targets"):
        model.loss_and_grads(params, np.zeros((2, 16), dtype=int), np.zeros((2, 7), dtype=int))
    with pytest.raises(ConfigError, match="no weights file"):
        model.load_params(tmp_path / "none.npz")


def test_save_and_load_round_trip(tmp_path):
    params = model.init_params(8)
    back = model.load_params(model.save_params(params, tmp_path / "w.npz"))
    assert all(np.array_equal(back[k], params[k]) for k in params)


# -- the task ------------------------------------------------------------------------------------

def test_batch_layout():
    tokens, targets = task.make_batch(np.random.default_rng(9), 100)
    assert tokens.shape == (100, 16) and targets.shape == (100, 8)
    assert tokens.dtype == targets.dtype == np.int64
    np.testing.assert_array_equal(targets, np.sort(tokens[:, :8], axis=1))
    assert np.all(tokens[:, 8] == task.SEP)
    np.testing.assert_array_equal(tokens[:, 9:], targets[:, :7])
    assert list(task.LOSS_POSITIONS) == list(range(8, 16))


def _oracle(tokens):
    """Perfect logits read from the digits (and nothing after position 8 + i): 1 at the i-th
    smallest digit, 1000 in a padded column, which generate must never pick."""
    logits = np.zeros((len(tokens), 16, 16))
    ranked = np.sort(tokens[:, :8], axis=1)
    for i in range(8):
        logits[np.arange(len(tokens)), 8 + i, ranked[:, i]] = 1.0
    logits[..., 13] = 1000.0
    return logits


def test_generate_decodes_greedily_over_the_real_tokens():
    digits = np.random.default_rng(10).integers(0, 10, size=(50, 8))
    out = task.generate(_oracle, digits)
    np.testing.assert_array_equal(out, np.sort(digits, axis=1))
    assert task.exact_accuracy(out, digits) == 1.0
    np.testing.assert_array_equal(task.generate(_oracle, digits[0]), np.sort(digits[0]))
    wrong = out.copy()
    wrong[:5, 3] = 10
    assert task.exact_accuracy(wrong, digits) == pytest.approx(0.9)


def test_generate_feeds_its_outputs_back():
    seen = []

    def spy(tokens):
        seen.append(tokens.copy())
        return _oracle(tokens)

    task.generate(spy, [3, 1, 4, 1, 5, 9, 2, 6])
    assert len(seen) == 8
    np.testing.assert_array_equal(seen[-1][0], [3, 1, 4, 1, 5, 9, 2, 6, 10, 1, 1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(seen[2][0, 9:], [1, 1, 0, 0, 0, 0, 0])


def test_task_arguments_are_checked():
    with pytest.raises(ShapeError, match="digits must be integers 0..9"):
        task.generate(_oracle, [1, 2, 3])
    with pytest.raises(ShapeError, match="logits_fn must return logits"):
        task.generate(lambda t: np.zeros((len(t), 16, 10)), [1] * 8)
    with pytest.raises(ConfigError, match="n must be an integer"):
        task.make_batch(np.random.default_rng(0), 0)
