"""chipkit.nn.train: the schedule, a short run that learns, the command line, and the shipped
weights sorting held-out sequences."""
import numpy as np
import pytest

from chipkit.errors import ConfigError
from chipkit.nn import model, task, train


def test_one_cycle_schedule():
    s = train.Schedule(steps=1000, lr=3e-3)
    assert s.rate(0) == pytest.approx(3e-3 / 25)
    assert s.rate(100) == pytest.approx(3e-3)
    assert s.rate(999) == pytest.approx(3e-6, rel=0.01)
    rates = [s.rate(i) for i in range(1000)]
    assert max(rates) == pytest.approx(3e-3) and np.all(np.diff(rates[100:]) <= 0)


def test_a_short_run_lowers_the_loss():
    params, losses = train.train(steps=30, seed=1, batch=64, log=None)
    assert len(losses) == 30 and all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    assert all(v.dtype == np.float32 for v in params.values())
    # the padded head columns and unused embedding rows are where they started
    start = model.init_params(1)
    np.testing.assert_array_equal(params["head.b"][task.VOCAB:], start["head.b"][task.VOCAB:])
    assert not params["head.w"][:, task.VOCAB:].any() and not params["tok_emb"][task.VOCAB:].any()


def test_training_is_seeded():
    a, la = train.train(steps=3, seed=2, batch=16, log=None)
    b, lb = train.train(steps=3, seed=2, batch=16, log=None)
    assert la == lb and all(np.array_equal(a[k], b[k]) for k in a)


def test_command_line_trains_and_saves(tmp_path, capsys):
    out = tmp_path / "w.npz"
    assert train.main(["--steps", "2", "--seed", "3", "--out", str(out), "--eval", "100"]) == 0
    text = capsys.readouterr().out
    assert "step     2/2" in text and "held-out exact sorts (100)" in text
    assert model.n_params(model.load_params(out)) == 18_704
    assert train.main(["--steps", "2", "--out", str(tmp_path / "no" / "w.npz")]) == 1
    assert "error: --out: no directory" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="steps must be an integer >= 1"):
        train.train(steps=0)


def test_shipped_weights_sort_held_out_sequences():
    """10,000 sequences from a seed neither training nor train.evaluate uses; 8 batched passes."""
    assert train.evaluate(model.load_params(), n=10_000, seed=777) >= 0.99
