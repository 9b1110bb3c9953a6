"""Figures of lesson 02: the partial-product dot diagrams of the array and Baugh-Wooley multipliers,
and quantizing a real vector to int8 (values, error, histogram) with a widget for bits and clipping.
"""
from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from ipywidgets import HTML, FloatSlider, HBox, Image, IntSlider, Layout, VBox
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from chipkit.checks import check_int, check_real, real_array, show
from chipkit.errors import ConfigError, ShapeError
from chipkit.viz import style

SCHEMES = ("unsigned", "baugh_wooley")
#: the widest operands drawn (a 32 x 32 dot diagram is already ~30 inches wide)
MAX_BITS = 32
#: colours of the dot diagram's three kinds of dots, and of the quantization plots
DOT_COLORS = {"and": "#3b7dd8", "nand": "#e07b39", "one": "#2e7d32", "product": "#202020"}
QUANT_COLORS = {"float": "#9e9e9e", "quantized": "#3b7dd8", "error": "#e07b39", "clip": "#c62828"}


# --- partial products ----------------------------------------------------------------------------

def partial_product_rows(width_a: int, width_b: int, scheme: str = "unsigned") -> list[list]:
    """The dots a multiplier adds up, row by row, as chipkit.hdl.multipliers lays them out.

    Returns rows of dots (column, i, j, kind): kind "and" is a_i AND b_j, "nand" is NOT(a_i AND b_j)
    (Baugh-Wooley's partial products with exactly one sign bit), "one" a constant 1 (i = j = None).
    Row j < width_b holds a AND b_j shifted j columns; Baugh-Wooley adds the constants 2**(m-1),
    2**(n-1) and 2**(m+n-1) below, at most one per column in a row.
    """
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ConfigError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    for v, name in ((width_a, "width_a"), (width_b, "width_b")):
        check_int(v, f"{name} (bits)", lo=1, hi=MAX_BITS)
    m, n = width_a, width_b
    rows = []
    for j in range(n):
        row = []
        for i in range(m):
            negative = scheme == "baugh_wooley" and (i == m - 1) != (j == n - 1)
            row.append((i + j, i, j, "nand" if negative else "and"))
        rows.append(row)
    if scheme == "baugh_wooley":
        constants: list[list] = []
        for col in sorted([m - 1, n - 1, m + n - 1]):
            free = next((r for r in constants if all(c != col for c, *_ in r)), None)
            if free is None:
                free = []
                constants.append(free)
            free.append((col, None, None, "one"))
        rows += constants
    return rows


def _bit(x: int, k: int) -> int:
    return (int(x) >> k) & 1  # for a negative x, Python's >> reads the two's complement pattern


def plot_partial_products(width_a: int, width_b: int, a: int | None = None, b: int | None = None,
                          product: int | None = None, scheme: str = "unsigned", ax=None,
                          title: str | None = None) -> Figure:
    """The dot diagram of a multiplier: a and b on top, one row of partial products per bit of b,
    the product at the bottom, columns weighted 2**k from the right, as in long multiplication.

    a, b    -- operands (signed for "baugh_wooley"); when given, every dot shows its bit: the dots
               are the partial-product bits the AND (and NAND) gates form from a and b
    product -- the product the notebook's simulation returned, drawn as the bottom row (optional)
    scheme  -- "unsigned" (array multiplier) or "baugh_wooley" (signed)

    Dots are Line2D markers with gid "dot:<row>:<column>" and label = their kind, for tests.
    """
    rows = partial_product_rows(width_a, width_b, scheme)
    signed = scheme == "baugh_wooley"
    m, n, width = width_a, width_b, width_a + width_b
    for v, name, bits in ((a, "a", m), (b, "b", n), (product, "product", width)):
        if v is not None:
            lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
            check_int(v, f"{name} ({'signed' if signed else 'unsigned'} {bits} bits)", lo, hi)
    values = a is not None and b is not None
    n_rows = len(rows) + 3 + (product is not None)
    if ax is None:
        ax = style.new_figure(0.42 * width + 3.6, 0.42 * n_rows + 1.2).add_subplot()
    ax.set_axis_off()
    x = {k: width - 1 - k for k in range(width)}  # column k, most significant on the left
    y = 0
    for k in range(width):  # column weights
        weight = f"-2^{k}" if signed and k == width - 1 else f"2^{k}"
        ax.text(x[k], y, weight, ha="center", va="center", fontsize=style.FONT_SIZE - 2,
                color=style.COLORS["muted"], rotation=90 if width > 8 else 0)
    for name, value, w in (("a", a, m), ("b", b, n)):
        y -= 1
        for k in range(w):
            neg = signed and k == w - 1
            text = str(_bit(value, k)) if value is not None else f"{name}{k}"
            ax.text(x[k], y, text, ha="center", va="center", family=style.MONO,
                    fontsize=style.FONT_SIZE, fontweight="bold" if neg else "normal",
                    color=DOT_COLORS["nand"] if neg else style.COLORS["label"])
        label = name if value is None else f"{name} = {int(value)}"
        ax.text(width + 0.2, y, label, va="center", fontsize=style.FONT_SIZE)
    y -= 0.6
    ax.plot([-0.5, width - 0.5], [y, y], color=style.COLORS["label"], lw=0.8)
    for r, row in enumerate(rows):
        y -= 1
        for col, i, j, kind in row:
            bit = None
            if values and kind != "one":
                bit = _bit(a, i) & _bit(b, j)
                bit = 1 - bit if kind == "nand" else bit
            elif kind == "one":
                bit = 1
            filled = bit is None or bit == 1
            ax.plot([x[col]], [y], marker="o", ms=15, ls="none", mec=DOT_COLORS[kind],
                    mfc=DOT_COLORS[kind] if filled else "white", mew=1.5, gid=f"dot:{r}:{col}",
                    label=kind)
            if bit is not None:
                ax.text(x[col], y, str(bit), ha="center", va="center", family=style.MONO,
                        fontsize=style.FONT_SIZE - 1, color="white" if filled else
                        DOT_COLORS[kind])
        if row[0][3] == "one":
            note = "constant 1" if len(row) == 1 else "constant 1s"
        else:
            j = row[0][2]
            note = f"a·b{j}" + (f"  (b{j} = {_bit(b, j)})" if values else "")
            note += "  shifted by " + str(j) if j else ""
        ax.text(width + 0.2, y, note, va="center", fontsize=style.FONT_SIZE - 1,
                color=style.COLORS["muted"])
    y -= 0.6
    ax.plot([-0.5, width - 0.5], [y, y], color=style.COLORS["label"], lw=0.8)
    if product is not None:
        y -= 1
        for k in range(width):
            ax.text(x[k], y, str(_bit(product, k)), ha="center", va="center", family=style.MONO,
                    fontsize=style.FONT_SIZE, fontweight="bold", color=DOT_COLORS["product"])
        ax.text(width + 0.2, y, f"p = {int(product)}", va="center", fontsize=style.FONT_SIZE,
                fontweight="bold")
    kinds = sorted({kind for row in rows for *_, kind in row}, key=["and", "nand", "one"].index)
    legend = {"and": "a_i AND b_j", "nand": "NOT(a_i AND b_j)", "one": "constant 1"}
    ax.legend(handles=[Line2D([], [], marker="o", ls="none", color=DOT_COLORS[k], label=legend[k])
                       for k in kinds], loc="upper left", bbox_to_anchor=(0, 0.0), ncols=3,
              fontsize=style.FONT_SIZE - 1, frameon=False)
    ax.set_xlim(-0.8, width + 3.4)
    ax.set_ylim(y - 0.8, 0.6)
    kind = "Baugh-Wooley (signed)" if signed else "array (unsigned)"
    ax.set_title(title or f"{m} x {n} {kind} multiplier: partial products",
                 loc="left", fontsize=style.NAME_FONT_SIZE + 1)
    return ax.figure


# --- quantization --------------------------------------------------------------------------------

def _pair(x, xhat) -> tuple[np.ndarray, np.ndarray]:
    """x and xhat as float vectors of one length (at least one value), else a ChipkitError."""
    x, xhat = real_array(x, "x"), real_array(xhat, "xhat")
    if x.shape != xhat.shape or x.ndim != 1 or x.size == 0:
        raise ConfigError(f"x and xhat must be 1-D of one length, got {x.shape} and {xhat.shape}")
    return x, xhat


def clipped(x, xhat, scale: float) -> np.ndarray:
    """True where quantizing clipped x: its error exceeds what rounding allows (scale / 2)."""
    x, xhat = _pair(x, xhat)
    scale = check_real(scale, "scale")
    err = np.abs(xhat - x)
    return err > scale / 2 * (1 + 1e-9)


def quantization_stats(x, xhat, scale: float, bits: int) -> dict:
    """Numbers the quantization figure prints: RMS and largest error, the range of the integers
    (-2**(bits-1) .. 2**(bits-1) - 1, as chipkit.numerics.quantize) times the scale, the share of
    clipped values, and the signal-to-quantization-noise ratio (SQNR) in dB."""
    x, xhat = _pair(x, xhat)
    scale = check_real(scale, "scale")
    bits = check_int(bits, "bits", lo=1, hi=MAX_BITS)
    err = xhat - x
    rms = float(np.sqrt(np.mean(err**2)))
    power = float(np.mean(x**2))
    return {"rms": rms, "max": float(np.max(np.abs(err))),
            "low": -(1 << (bits - 1)) * scale, "high": ((1 << (bits - 1)) - 1) * scale,
            "clipped": float(np.mean(clipped(x, xhat, scale))),
            "sqnr_db": 10 * np.log10(power / rms**2) if rms > 0 else float("inf")}


def plot_quantization(x, xhat, scale: float, bits: int, title: str | None = None) -> Figure:
    """Three views of quantizing `x` to `bits`-bit integers with `scale` (xhat = the dequantized
    values, q * scale, computed by the caller), one dot per value: the stored value against the real
    one (a staircase, flat beyond the integers' range), the error against the real value (a
    sawtooth within ±scale/2, ramps where clipped), and the histogram of the unclipped errors.
    """
    x, xhat = _pair(x, xhat)
    st = quantization_stats(x, xhat, scale, bits)
    fig = style.new_figure(11, 3.5)
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1.1, 1]})
    ends = [x.min(), x.max()]
    ax1.plot(ends, ends, color=QUANT_COLORS["float"], lw=1, ls="--", label="ideal")
    ax1.plot(x, xhat, ".", ms=2.5, color=QUANT_COLORS["quantized"],
             label=f"{bits}-bit value × scale", gid="staircase")
    for ax in (ax1, ax2):
        for edge in (st["low"], st["high"]):
            ax.axvline(edge, color=QUANT_COLORS["clip"], lw=1, ls=":")
    ax1.set_xlabel("real value x")
    ax1.set_ylabel("what the chip stores (dequantized)")
    ax1.legend(fontsize=style.FONT_SIZE - 1, loc="upper left")
    ax1.set_title(f"scale = {scale:.3g}: {1 << bits} levels", fontsize=style.NAME_FONT_SIZE)
    ax2.plot(x, xhat - x, ".", ms=2, color=QUANT_COLORS["error"], gid="error")
    ax2.axhspan(-scale / 2, scale / 2, color=QUANT_COLORS["quantized"], alpha=0.12, lw=0)
    ax2.set_xlabel("real value x   (dotted: the integers' range)")
    ax2.set_ylabel("error  x̂ − x")
    ax2.set_title(f"clipped: {st['clipped']:.1%} of the values", fontsize=style.NAME_FONT_SIZE)
    inside = ~clipped(x, xhat, scale)
    err = xhat - x
    edges = np.linspace(-scale, scale, 41)
    ax3.hist(np.clip(err[inside], edges[0], edges[-1]), bins=edges,
             color=QUANT_COLORS["quantized"], alpha=0.8)
    for edge in (-scale / 2, scale / 2):
        ax3.axvline(edge, color=style.COLORS["muted"], ls="--", lw=1)
    ax3.set_xlabel("unclipped errors (dashed: ± scale/2)")
    ax3.set_ylabel("count")
    ax3.set_title(f"RMS error {st['rms']:.3g}, SQNR {st['sqnr_db']:.1f} dB",
                  fontsize=style.NAME_FONT_SIZE)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=style.NAME_FONT_SIZE + 1)
    return fig


class QuantizationExplorer:
    """A widget: choose the number of bits and the clipping percentile; the figure follows.

    x        -- the real vector
    quantize -- a function the notebook writes: quantize(x, bits, percentile) -> (xhat, scale), the
                dequantized vector and the scale used (e.g. with chipkit.numerics.quantize)
    Display it as the last expression of a cell; `.widget` is the ipywidgets box.
    """

    def __init__(self, x, quantize: Callable, bits: int = 8, percentile: float = 100.0):
        self.x = real_array(x, "x")
        if self.x.ndim != 1 or self.x.size == 0:
            raise ShapeError(f"x must be a 1-D vector of real numbers, got shape {self.x.shape}")
        if not callable(quantize):
            raise ConfigError(f"quantize must be a function quantize(x, bits, percentile) -> "
                              f"(xhat, scale), got {show(quantize)}")
        bits = check_int(bits, "bits", lo=2, hi=8)
        percentile = check_real(percentile, "percentile")
        if not 90 <= percentile <= 100:
            raise ConfigError(f"percentile must be in 90..100 (the slider's range), got "
                              f"{percentile}")
        self.quantize = quantize
        self.bits = IntSlider(value=bits, min=2, max=8, description="bits",
                              continuous_update=False)
        self.percentile = FloatSlider(value=percentile, min=90.0, max=100.0, step=0.1,
                                      description="clip at pct", readout_format=".1f",
                                      continuous_update=False, style={"description_width": "80px"},
                                      layout=Layout(width="380px"))
        self.image = Image(format="png", layout=Layout(max_width="100%"))
        self.status = HTML()
        self.figure: Figure | None = None
        self.stats: dict = {}
        for w in (self.bits, self.percentile):
            w.observe(self.draw, names="value")
        self.widget = VBox([HBox([self.bits, self.percentile]), self.status, self.image])
        self.draw()

    def draw(self, _change=None):
        """Quantize through the notebook's function and redraw (the old figure is dropped)."""
        bits, pct = int(self.bits.value), float(self.percentile.value)
        xhat, scale = self.quantize(self.x, bits, pct)
        self.stats = quantization_stats(self.x, xhat, scale, bits)
        self.figure = plot_quantization(self.x, xhat, scale, bits)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()
        st = self.stats
        where = "max |x|" if pct >= 100 else f"the {pct:.1f}th percentile of |x|"
        self.status.value = (f"{bits} bits, scale from {where}: "
                             f"RMS error <b>{st['rms']:.4g}</b>, "
                             f"{st['clipped']:.2%} clipped, SQNR {st['sqnr_db']:.1f} dB")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
