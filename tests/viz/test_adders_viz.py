"""Lesson 01's figures: the number wheel marks the wrap-around, the prefix network matches the
Kogge-Stone block's gates, the carry race draws what Netlist.unit_delay replayed, and its widget
calls the notebook's replay function and redraws."""
import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle
from myhdl import Signal

from chipkit import numerics as nx
from chipkit.errors import ConfigError, ShapeError
from chipkit.flow.netlist import Netlist
from chipkit.flow.sim import int_template
from chipkit.hdl.adders import kogge_stone_adder, ripple_carry_adder
from chipkit.models import arith
from chipkit.viz import adders as va

matplotlib.use("Agg")

ZERO = {"a": 0, "b": 0, "cin": 0}


def netlist(factory, width=8):
    t = int_template(width)
    return Netlist(factory(Signal(t), Signal(t), Signal(bool(0)), Signal(t), Signal(bool(0)),
                           width=width))


@pytest.fixture(scope="module")
def adders():
    return {"ripple": netlist(ripple_carry_adder), "Kogge-Stone": netlist(kogge_stone_adder)}


def race(adders, before, after):
    return [(name, nl, nl.unit_delay(before, after)) for name, nl in adders.items()]


def cells(fig):
    """{gid: state} of every carry-race cell drawn in `fig`."""
    return {p.get_gid(): p.get_label() for ax in fig.axes for p in ax.patches
            if isinstance(p, Rectangle) and (p.get_gid() or "").startswith("cell:")}


def texts(ax):
    return [t.get_text() for t in ax.texts]


# --- number wheel --------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "jump"), [(nx.from_twos(np.arange(16), 4), "7 + 1\n= -8"),
                                              (np.arange(16), "15 + 1\n= 0")])
def test_number_wheel_marks_the_one_wrap_around(values, jump):
    fig = va.plot_number_wheel(values, 4)
    ax = fig.axes[0]
    assert [ln.get_gid() for ln in ax.lines].count("overflow") == 1
    assert jump in texts(ax)
    shown = texts(ax)
    assert all(format(k, "04b") in shown for k in range(16))  # every pattern ...
    assert all(str(int(v)) in shown for v in values)  # ... and what it means


def test_number_wheel_needs_one_value_per_pattern():
    with pytest.raises(ShapeError, match=r"one value per 4-bit pattern \(16\)"):
        va.plot_number_wheel(np.arange(15), 4)


# --- prefix network ------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [1, 2, 3, 5, 8, 13, 16])
def test_prefix_cells_match_the_kogge_stone_gates(width):
    cells_ = va.prefix_cells(width)
    black = sum(kind == "black" for *_, kind in cells_)
    grey = len(cells_) - black
    count = netlist(kogge_stone_adder, width).count()
    assert count["or2"] == len(cells_)  # one OR per cell
    assert count["and2"] == width + 2 * black + grey  # g, then 2 ANDs per black cell, 1 per grey
    assert max(level for level, *_ in cells_) == math.ceil(math.log2(width + 1))
    for level, i, j, _ in cells_:
        assert i - j == 2 ** (level - 1)


def test_prefix_network_draws_one_dot_per_cell():
    fig = va.plot_prefix_network(8)
    gids = [ln.get_gid() for ln in fig.axes[0].lines if ln.get_gid()]
    assert sorted(gids) == sorted(f"{kind}:{lvl}:{i}" for lvl, i, _, kind in va.prefix_cells(8))
    assert "8-bit Kogge-Stone: 4 prefix levels" in fig.axes[0].get_title(loc="left")


# --- carry race: the numbers ---------------------------------------------------------------------

def test_settle_times_toggles_and_states_of_a_hand_made_history():
    history = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 1], [0, 1, 1]])  # 4 times x 3 bits
    np.testing.assert_array_equal(va.settle_times(history), [2, 0, 2])
    np.testing.assert_array_equal(va.toggles(history), [2, 0, 1])
    states = va.cell_states(history)
    assert list(states[:, 0]) == ["pending", "wrong", "settled", "settled"]
    assert list(states[:, 1]) == ["settled"] * 4
    assert list(states[:, 2]) == ["wrong", "wrong", "settled", "settled"]
    assert list(va.cell_states(history, upto=1)[:, 2]) == ["wrong", "wrong", "future", "future"]


def test_bit_history_of_the_ripple_worst_case(adders):
    nl = adders["ripple"]
    steps = nl.unit_delay(ZERO, {"a": 255, "b": 1, "cin": 0})
    hist = va.bit_history(nl, steps, "s")
    assert hist.shape == (len(steps) - 1, 8)
    assert list(hist[0]) == [0] * 8 and list(hist[-1]) == [0] * 8  # 0 before, 256 mod 256 after
    # the carry walks up two gates per bit: bit k (k >= 1) is right from t = 2k + 1 on
    assert list(va.settle_times(hist)) == [0] + [2 * k + 1 for k in range(1, 8)]
    assert list(va.toggles(hist)) == [0] + [2] * 7  # every upper bit glitches 0 -> 1 -> 0
    assert va.settle_times(va.bit_history(nl, steps, "cout"))[0] == 16


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_bit_settles_later_than_its_depth(adders, seed):
    rng = np.random.default_rng(seed)
    for nl in adders.values():
        depth = {"s": nl.depth("s"), "cout": nl.depth("cout")}
        for _ in range(10):
            before, after = ({"a": int(rng.integers(256)), "b": int(rng.integers(256)),
                              "cin": int(rng.integers(2))} for _ in range(2))
            steps = nl.unit_delay(before, after)
            s, c = arith.add(after["a"], after["b"], after["cin"], 8)
            assert nl.read(steps[-1], "s") == s and nl.read(steps[-1], "cout") == c
            for port in ("s", "cout"):
                settle = va.settle_times(va.bit_history(nl, steps, port))
                assert all(settle <= np.array(depth[port])), (port, before, after)


def test_bit_history_needs_a_replay(adders):
    with pytest.raises(ShapeError, match="unit_delay"):
        va.bit_history(adders["ripple"], [{}], "s")


# --- carry race: the figure ----------------------------------------------------------------------

def test_carry_race_draws_every_cell_in_its_state(adders):
    panels = race(adders, ZERO, {"a": 255, "b": 1, "cin": 0})
    fig = va.plot_carry_race(panels, title="0 + 0 -> 255 + 1")
    drawn = cells(fig)
    lengths = [len(steps) - 1 for *_, steps in panels]  # 17 and 9 time columns
    assert lengths == [17, 9]
    assert len(drawn) == 9 * sum(lengths)  # cout + 8 sum bits per column
    for p, (_, nl, steps) in enumerate(panels):
        for port, rows in (("s", [f"s[{k}]" for k in range(8)]), ("cout", ["cout"])):
            hist = va.bit_history(nl, steps, port)
            states = va.cell_states(hist)
            for k, row in enumerate(rows):
                for t in range(hist.shape[0]):
                    assert drawn[f"cell:{p}:{row}:{t}"] == states[t, k]
    assert drawn["cell:0:s[7]:14"] == "wrong" and drawn["cell:0:s[7]:15"] == "settled"
    assert drawn["cell:0:s[7]:0"] == "pending"  # 0 now and at the end, but 1 in between
    ripple_ax, ks_ax = fig.axes
    assert "ripple: 8-bit s settles after 16 gate delays" in ripple_ax.get_title(loc="left")
    assert "Kogge-Stone: 8-bit s settles after 8 gate delays" in ks_ax.get_title(loc="left")
    assert "254" in texts(ripple_ax) and "208" in texts(ks_ax)  # the garbage sums on the way
    assert fig.get_suptitle() == "0 + 0 -> 255 + 1"


def test_carry_race_up_to_a_time_hides_the_future(adders):
    panels = race(adders, ZERO, {"a": 255, "b": 1, "cin": 0})
    fig = va.plot_carry_race(panels, upto=5, min_columns=20)
    drawn = cells(fig)
    assert {s for g, s in drawn.items() if int(g.rsplit(":", 1)[1]) > 5} == {"future"}
    assert "future" not in {s for g, s in drawn.items() if int(g.rsplit(":", 1)[1]) <= 5}
    ripple_ax = fig.axes[0]
    assert "still settling at t=5" in ripple_ax.get_title(loc="left")
    assert "t=3  (2 flips)" in texts(ripple_ax) and "t=7  (2 flips)" not in texts(ripple_ax)
    assert ripple_ax.get_xlim() == (0, 20)


def test_carry_race_needs_panels():
    with pytest.raises(ConfigError, match="panels is empty"):
        va.plot_carry_race([])


# --- carry race: the widget ----------------------------------------------------------------------

def test_widget_replays_through_the_notebooks_function(adders):
    calls = []

    def replay(before, after):
        calls.append((dict(before), dict(after)))
        return race(adders, before, after)

    w = va.CarryRace(replay, width=8, a=255, b=1)
    assert calls == [(ZERO, {"a": 255, "b": 1, "cin": 0})]
    assert w.time.max == w.play.max == 16 and w.time.value == 16  # shows the whole replay
    assert w.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "255 + 1 = 256" in w.status.value
    assert all(s != "future" for s in cells(w.figure).values())

    w.time.value = 3  # the play button moves this slider
    assert len(calls) == 1  # scrubbing in time does not replay again
    assert sum(s == "future" for s in cells(w.figure).values()) > 0
    assert "showing t = 3 of 16" in w.status.value
    frame3 = w.image.value
    w.time.value = 16
    assert w.image.value != frame3
    w.time.value = 3
    assert w.image.value == frame3  # the same frame again

    w.a.value = 85
    w.b.value = 170
    assert calls[-1] == (ZERO, {"a": 85, "b": 170, "cin": 0})
    assert w.time.value == w.time.max  # a new replay is shown whole
    assert "85 + 170 = 255" in w.status.value

    w.from_zero.value = False
    w.cin.value = True  # now the inputs switch from the previous operands
    assert calls[-1] == ({"a": 85, "b": 170, "cin": 0}, {"a": 85, "b": 170, "cin": 1})
    assert "from 85 + 170 to" in w.status.value
    assert plt.get_fignums() == []  # the widget's figures never pile up in pyplot
