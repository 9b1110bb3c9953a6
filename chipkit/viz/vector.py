"""Figures of lesson 06, the vector unit: integer vs float curves with their error, error
histograms in output steps, and a widget that sweeps a softmax row's scale (temperature).

The functions draw what the caller computed with chipkit.models.vector_golden; the widget calls the
notebook's function to recompute.
"""
from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from ipywidgets import HTML, FloatLogSlider, Image, Layout, VBox
from matplotlib.figure import Figure

from chipkit.checks import check_real, int_array, real_array, show
from chipkit.errors import ConfigError, RangeError, ShapeError
from chipkit.viz import style

#: float reference, integer result, error
COLORS = {"float": "#9e9e9e", "int": "#3b7dd8", "error": "#e07b39", "bound": "#c62828"}


def _title(ax, text):
    ax.set_title(text, fontsize=style.NAME_FONT_SIZE)


def plot_curve(x, exact, got, xlabel: str, ylabel: str, title: str = "",
               bound: float | None = None) -> Figure:
    """Two panels: the integer result (dots) over the float reference (line), and got - exact.

    `bound` draws the promised error band (dashed, +-bound) on the error panel.
    """
    x, exact, got = (real_array(v, n) for v, n in ((x, "x"), (exact, "exact"), (got, "got")))
    if not x.shape == exact.shape == got.shape or x.ndim != 1 or x.size == 0:
        raise ConfigError(f"x, exact and got must be 1-D of one length, got {x.shape}, "
                          f"{exact.shape} and {got.shape}")
    if bound is not None:
        bound = check_real(bound, "bound")
    fig = style.new_figure(11, 3.4)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(x, exact, color=COLORS["float"], lw=2, label="float reference")
    ax1.plot(x, got, ".", ms=3, color=COLORS["int"], label="integer unit")
    ax1.set_xlabel(xlabel)
    ax1.set_ylabel(ylabel)
    ax1.legend(fontsize=style.FONT_SIZE)
    _title(ax1, title)
    ax2.plot(x, got - exact, ".", ms=2.5, color=COLORS["error"])
    if bound is not None:
        for b in (-bound, bound):
            ax2.axhline(b, color=COLORS["bound"], ls="--", lw=1)
    ax2.axhline(0, color=style.COLORS["muted"], lw=0.8)
    ax2.set_xlabel(xlabel)
    ax2.set_ylabel("integer − float")
    _title(ax2, f"error: worst {np.abs(got - exact).max():.3g}"
                + (f" (dashed: ±{bound:g})" if bound is not None else ""))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    return fig


def plot_error_hist(errors: dict, unit: str = "output steps", title: str = "") -> Figure:
    """One histogram of signed errors per entry of {label: errors}, with mean |error| and worst."""
    if not isinstance(errors, dict) or not errors:
        raise ConfigError(f"errors must be a non-empty dict {{label: signed errors}}, got "
                          f"{show(errors)}")
    errors = {label: real_array(err, f"errors[{label!r}]").ravel()
              for label, err in errors.items()}
    empty = [label for label, err in errors.items() if err.size == 0]
    if empty:
        raise ShapeError(f"errors {empty} hold no values; give at least one error each")
    fig = style.new_figure(11, 3.2)
    axes = np.atleast_1d(fig.subplots(1, len(errors)))
    for ax, (label, err) in zip(axes, errors.items()):
        err = np.asarray(err, dtype=np.float64).ravel()
        top = max(1.0, float(np.abs(err).max()))
        ax.hist(err, bins=np.linspace(-top, top, 41), color=COLORS["int"], alpha=0.85)
        ax.axvline(0, color=style.COLORS["muted"], lw=0.8)
        ax.set_xlabel(f"integer − float ({unit})")
        ax.set_ylabel("count")
        _title(ax, f"{label}\nmean |err| {np.abs(err).mean():.3f}, worst {np.abs(err).max():.3f}")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=style.NAME_FONT_SIZE + 1)
    return fig


def plot_softmax_row(s, p_int, p_float, scale: float) -> Figure:
    """A row of scores and its probabilities: float softmax (grey bars) vs the integer softmax at
    scale 1/128 (blue dots), and the error in output steps."""
    s, p_int, p_float = (real_array(v, n).ravel() for v, n in ((s, "s"), (p_int, "p_int"),
                                                                 (p_float, "p_float")))
    if not s.size == p_int.size == p_float.size or s.size == 0:
        raise ShapeError(f"s, p_int and p_float must be one row each of one length, got "
                         f"{s.size}, {p_int.size} and {p_float.size} values")
    scale = check_real(scale, "scale")
    fig = style.new_figure(11, 3.3)
    ax0, ax1, ax2 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [0.8, 1.2, 1]})
    i = np.arange(s.size)
    ax0.bar(i, s, color=style.COLORS["muted"])
    ax0.set_xlabel("position in the row")
    ax0.set_ylabel("int8 score")
    _title(ax0, f"scores (real = score × {scale:.3g})")
    ax1.bar(i, p_float, color=COLORS["float"], label="float softmax")
    ax1.plot(i, p_int / 128, "o", ms=5, color=COLORS["int"], label="integer p / 128")
    ax1.set_xlabel("position in the row")
    ax1.set_ylabel("probability")
    ax1.set_ylim(0, 1.02)
    ax1.legend(fontsize=style.FONT_SIZE)
    _title(ax1, f"sum: float 1.000, integer {p_int.sum():.0f}/128")
    err = p_int - 128 * p_float
    ax2.bar(i, err, color=COLORS["error"])
    for b in (-1, 1):
        ax2.axhline(b, color=COLORS["bound"], ls="--", lw=1)
    ax2.set_ylim(-1.2, 1.2)
    ax2.set_xlabel("position in the row")
    ax2.set_ylabel("error (output steps of 1/128)")
    _title(ax2, f"worst {np.abs(err).max():.2f} step (dashed: ±1)")
    for ax in (ax0, ax1, ax2):
        ax.grid(alpha=0.3, axis="y")
    return fig


class SoftmaxExplorer:
    """A widget: slide the real scale of a row of int8 scores (1 / temperature) and watch float
    and integer softmax follow.

    s       -- one row of int8 scores
    compute -- the notebook's function: compute(s, scale) -> (p_int, p_float)
    Display it as the last expression of a cell; `.widget` is the ipywidgets box.
    """

    def __init__(self, s, compute: Callable, scale: float = 0.05):
        self.s = int_array(s, "s", ndim=1, what="int8 scores")
        if self.s.size == 0 or self.s.min() < -128 or self.s.max() > 127:
            raise RangeError("s must be one non-empty row of int8 scores (-128..127)")
        if not callable(compute):
            raise ConfigError(f"compute must be a function compute(s, scale) -> (p_int, "
                              f"p_float), got {show(compute)}")
        scale = check_real(scale, "scale")
        self.compute = compute
        self.scale = FloatLogSlider(value=scale, base=10, min=-2.5, max=0.3, step=0.05,
                                    description="scale", readout_format=".3f",
                                    continuous_update=False, layout=Layout(width="420px"))
        self.image = Image(format="png", layout=Layout(max_width="100%"))
        self.status = HTML()
        self.figure: Figure | None = None
        self.scale.observe(self.draw, names="value")
        self.widget = VBox([self.scale, self.status, self.image])
        self.draw()

    def draw(self, _change=None):
        """Recompute through the notebook's function and redraw (the old figure is dropped)."""
        scale = float(self.scale.value)
        p_int, p_float = self.compute(self.s, scale)
        self.figure = plot_softmax_row(self.s, p_int, p_float, scale)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()
        err = np.abs(np.asarray(p_int) - 128 * np.asarray(p_float)).max()
        self.status.value = (f"scale {scale:.3f}: largest p = {int(np.max(p_int))}/128, "
                             f"worst error <b>{err:.2f}</b> output step")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
