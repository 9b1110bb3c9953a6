"""Lesson 02's figures: the dot diagram holds the multipliers' partial products (and they add up to
the product), the quantization figure and its statistics describe what the caller quantized, and
the widget calls the notebook's quantize function and redraws."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from myhdl import Signal

from chipkit import numerics as nx
from chipkit.errors import ConfigError
from chipkit.flow.netlist import Netlist
from chipkit.flow.sim import int_template
from chipkit.hdl.multipliers import array_multiplier, baugh_wooley_multiplier
from chipkit.viz import multipliers as vm

matplotlib.use("Agg")


def dots(fig):
    """{(row, column): (kind, text shown in the dot or None)} of a dot diagram."""
    ax = fig.axes[0]
    found = {}
    for line in ax.lines:
        gid = line.get_gid() or ""
        if gid.startswith("dot:"):
            _, row, col = gid.split(":")
            x, y = line.get_xdata()[0], line.get_ydata()[0]
            text = [t.get_text() for t in ax.texts if t.get_position() == (x, y)]
            found[int(row), int(col)] = (line.get_label(), text[0] if text else None)
    return found


def dot_sum(rows, a, b, width):
    """What the multiplier's adders compute from the dots: sum of bit * 2**column, mod 2**width."""
    total = 0
    for row in rows:
        for col, i, j, kind in row:
            bit = 1 if kind == "one" else ((a >> i) & 1) & ((b >> j) & 1)
            total += (1 - bit if kind == "nand" else bit) << col
    return total % (1 << width)


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 5), (4, 4), (8, 8)])
def test_the_dots_add_up_to_the_product(m, n):
    rng = np.random.default_rng(m * 10 + n)
    rows_u = vm.partial_product_rows(m, n, "unsigned")
    rows_s = vm.partial_product_rows(m, n, "baugh_wooley")
    for _ in range(200):
        a, b = int(rng.integers(0, 1 << m)), int(rng.integers(0, 1 << n))
        assert dot_sum(rows_u, a, b, m + n) == a * b
        sa, sb = nx.from_twos(a, m), nx.from_twos(b, n)
        assert dot_sum(rows_s, a, b, m + n) == nx.to_twos(sa * sb, m + n)


@pytest.mark.parametrize(("factory", "scheme"), [(array_multiplier, "unsigned"),
                                                 (baugh_wooley_multiplier, "baugh_wooley")])
def test_the_dots_are_the_blocks_first_gates(factory, scheme):
    signed = scheme == "baugh_wooley"
    sigs = [Signal(int_template(w, signed)) for w in (8, 8, 16)]
    count = Netlist(factory(*sigs, width_a=8, width_b=8)).count()
    rows = vm.partial_product_rows(8, 8, scheme)
    kinds = [kind for row in rows for *_, kind in row]
    assert kinds.count("nand") == count["nand2"]  # the block's only NANDs are these dots
    assert kinds.count("and") + kinds.count("nand") == 64
    assert kinds.count("one") == (3 if signed else 0)
    assert all(len({c for c, *_ in row}) == len(row) for row in rows)  # one dot per column


def test_dot_diagram_shows_the_bits_of_a_worked_example():
    fig = vm.plot_partial_products(4, 4, a=-3, b=5, product=-15, scheme="baugh_wooley")
    shown = dots(fig)
    assert len(shown) == 16 + 3
    # row 0 is a AND b0 (b0 = 1): a's bits 1101, with the sign bit's dot a NAND: NOT(1) = 0
    assert [shown[0, c] for c in range(4)] == [("and", "1"), ("and", "0"), ("and", "1"),
                                               ("nand", "0")]
    assert shown[3, 6] == ("and", "0")  # a3 AND b3, both sign bits: an AND again
    assert {shown[r, c][0] for r, c in shown if r >= 4} == {"one"}
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "a = -3" in texts and "b = 5" in texts and "p = -15" in texts
    assert "-2^7" in texts  # the top column of a signed product weighs -2**7
    assert "4 x 4 Baugh-Wooley (signed) multiplier" in fig.axes[0].get_title(loc="left")


def test_dot_diagram_without_values_draws_the_plan():
    fig = vm.plot_partial_products(3, 2)
    shown = dots(fig)
    assert sorted(shown) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (1, 3)]
    assert all(text is None for _, text in shown.values())


def test_unknown_scheme():
    with pytest.raises(ConfigError, match="scheme must be one of"):
        vm.partial_product_rows(4, 4, "booth")


# --- quantization --------------------------------------------------------------------------------

def quantize(x, bits, percentile):
    scale = np.percentile(np.abs(x), percentile) / ((1 << (bits - 1)) - 1)
    return nx.dequantize(nx.quantize(x, scale, bits), scale), scale


def test_quantization_stats():
    x = np.array([0.0, 0.26, -0.4, 1.0, 3.0])
    scale = 1 / 3  # the integers -4..3 span -1.33..1
    xhat = nx.dequantize(nx.quantize(x, scale, 3), scale)
    st = vm.quantization_stats(x, xhat, scale, 3)
    assert st["high"] == pytest.approx(1.0) and st["low"] == pytest.approx(-4 / 3)
    assert st["clipped"] == pytest.approx(1 / 5)  # only 3.0
    assert st["max"] == pytest.approx(2.0)
    err = xhat - x
    assert st["rms"] == pytest.approx(np.sqrt(np.mean(err**2)))
    assert st["sqnr_db"] == pytest.approx(10 * np.log10(np.mean(x**2) / np.mean(err**2)))


def test_quantization_figure_draws_what_it_was_given():
    x = np.linspace(-1, 1, 201)
    xhat, scale = quantize(x, 3, 100.0)
    fig = vm.plot_quantization(x, xhat, scale, 3, title="three bits")
    ax1, ax2, ax3 = fig.axes
    stair = next(ln for ln in ax1.lines if ln.get_gid() == "staircase")
    assert set(np.round(stair.get_ydata() / scale).astype(int)) == set(range(-3, 4))
    error = next(ln for ln in ax2.lines if ln.get_gid() == "error")
    np.testing.assert_allclose(error.get_ydata(), xhat - x)
    assert sum(p.get_height() for p in ax3.patches) == len(x)  # no value was clipped
    assert "8 levels" in ax1.get_title() and "clipped: 0.0%" in ax2.get_title()
    assert fig.get_suptitle() == "three bits"


def test_quantization_figure_rejects_mismatched_vectors():
    with pytest.raises(ConfigError, match="1-D of one length"):
        vm.plot_quantization(np.zeros(3), np.zeros(4), 0.1, 8)


def test_explorer_calls_the_notebooks_quantize_and_redraws():
    rng = np.random.default_rng(3)
    x = rng.standard_t(4, 2000)
    calls = []

    def spy(x_, bits, percentile):
        calls.append((bits, percentile))
        return quantize(x_, bits, percentile)

    w = vm.QuantizationExplorer(x, spy, bits=8, percentile=100.0)
    assert calls == [(8, 100.0)]
    assert w.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert w.stats["clipped"] == 0.0  # max-abs scale: nothing clipped
    rms8 = w.stats["rms"]

    w.bits.value = 4
    assert calls[-1] == (4, 100.0)
    assert w.stats["rms"] > 8 * rms8  # 4 bits fewer: steps 16x (well, 127/7 = 18x) coarser
    assert "4 bits" in w.status.value and "RMS error" in w.status.value

    w.percentile.value = 99.0
    assert calls[-1] == (4, 99.0)
    assert 0.002 < w.stats["clipped"] < 0.01  # beyond the 99th percentile, less half a step
    assert "8 levels" not in w.figure.axes[0].get_title()  # the figure was redrawn
    assert "16 levels" in w.figure.axes[0].get_title()
    assert plt.get_fignums() == []
