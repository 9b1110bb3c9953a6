"""Lesson 06's figures and widget: they draw what they are given, and the widget recomputes
through the notebook's function when its slider moves."""
import numpy as np
import pytest

from chipkit.models import vector_golden
from chipkit.viz.vector import SoftmaxExplorer, plot_error_hist, plot_softmax_row


def compute(s, scale):
    m, sh = vector_golden.exp_multiplier(scale)
    row = np.asarray([s])
    return vector_golden.softmax(row, m, sh)[0], vector_golden.softmax_float(row, scale)[0]


def test_softmax_row_figure_shows_both_models():
    s = np.array([10, -3, 7, 0, 127, -128])
    p_int, p_float = compute(s, 0.05)
    fig = plot_softmax_row(s, p_int, p_float, 0.05)
    scores, probs, errors = fig.axes
    np.testing.assert_allclose([p.get_height() for p in scores.patches], s)
    np.testing.assert_allclose([p.get_height() for p in probs.patches], p_float)
    np.testing.assert_allclose([p.get_height() for p in errors.patches], p_int - 128 * p_float)
    assert f"integer {p_int.sum()}/128" in probs.get_title()


def test_error_histogram_has_one_series_per_entry():
    fig = plot_error_hist({"d=32": np.array([0.1, -0.2]), "d=64": np.array([0.3])})
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("d=32") and "worst 0.200" in titles[0]
    assert titles[1].startswith("d=64") and "mean |err| 0.300" in titles[1]


def test_explorer_recomputes_when_the_slider_moves():
    calls = []

    def spy(s, scale):
        calls.append(scale)
        return compute(s, scale)

    w = SoftmaxExplorer(np.array([5, 1, -2, 9]), spy, scale=0.05)
    assert calls == [pytest.approx(0.05)] and "scale 0.050" in w.status.value
    first = w.image.value
    w.scale.value = 0.5
    assert calls[-1] == pytest.approx(0.5) and "scale 0.500" in w.status.value
    assert w.image.value != first and w.image.value[:4] == b"\x89PNG"
