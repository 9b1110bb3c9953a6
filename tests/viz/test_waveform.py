"""Waveforms: the recorder agrees with Bench.run_myhdl and with MyHDL's own VCD tracer, the diagram
draws what was recorded, and VCD files round-trip."""
import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import LineCollection
from myhdl import (
    ResetSignal,
    Signal,
    StopSimulation,
    always_seq,
    block,
    delay,
    instance,
    intbv,
    traceSignals,
)

from chipkit.errors import ChipkitError, ConfigError, ShapeError
from chipkit.flow.sim import HALF_PERIOD, Bench, clock_gen, int_template, run
from chipkit.flow.trace import Recorder, Trace, watch
from chipkit.flow.vcd import _vcd_code, read_vcd, write_vcd
from chipkit.hdl.adders import ripple_carry_adder
from chipkit.viz import style
from chipkit.viz.waveform import format_value, plot_waveform

matplotlib.use("Agg")

PERIOD = 2 * HALF_PERIOD


@block
def counter(clock, reset, enable, count, width=4):
    """A wrapping counter, only for these tests.

    clock, reset -- in, 1 bit;  enable -- in, 1 bit, count this cycle
    count -- out, `width` bits (signed or unsigned), the number of enabled cycles since reset
    """

    @always_seq(clock.posedge, reset=reset)
    def tick():
        if enable:
            count.next = count + 1 if count < count.max - 1 else count.min

    return tick


def adder_bench(signed=False, width=4):
    t = int_template(width, signed)
    return Bench(ripple_carry_adder, {"a": t, "b": t, "cin": bool(0)},
                 {"s": int_template(width, signed), "cout": bool(0)}, {"width": width})


def counter_bench():
    return Bench(counter, {"enable": bool(0)}, {"count": intbv(0, min=-8, max=8)}, {"width": 4},
                 clocked=True)


def adder_vectors(rng, n, signed, width=4):
    lo, hi = (-(1 << (width - 1)), 1 << (width - 1)) if signed else (0, 1 << width)
    return {"a": rng.integers(lo, hi, n), "b": rng.integers(lo, hi, n),
            "cin": rng.integers(0, 2, n)}


def value_before(changes, t):
    """The last recorded value at a time strictly before t (what a sample at time t reads)."""
    return [v for time, v in changes if time < t][-1]


# --- recording -----------------------------------------------------------------------------------

@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize(("seed", "n"), [(0, 1), (1, 7), (2, 25), (3, 40)])
def test_recording_matches_the_bench_samples(signed, seed, n):
    bench = adder_bench(signed)
    vectors = adder_vectors(np.random.default_rng(seed), n, signed)
    want = bench.run_myhdl(vectors)  # no recorder anywhere near this run
    got, trace = bench.record(vectors)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])  # the recorder changed nothing
    assert trace.names == ("a", "b", "cin", "s", "cout")
    assert trace.widths == (4, 4, 1, 4, 1)
    assert trace.signed == (signed, signed, False, signed, False)
    assert trace.end == n  # a combinational step lasts 1 time unit: sample at t + 1, then stop
    for step in range(n):  # Bench samples step t at time t + 1, before step t + 1's inputs land
        for k, v in {**vectors, **want}.items():
            assert value_before(trace[k], step + 1) == v[step], (k, step)


def test_signed_buses_record_negative_values():
    bench = adder_bench(signed=True)
    vectors = {"a": np.array([-8, 7, -1]), "b": np.array([-1, -8, -1]), "cin": np.array([0, 0, 1])}
    _, trace = bench.record(vectors)
    assert [v for _, v in trace["a"]] == [-8, 7, -1]
    assert [v for _, v in trace["s"]] == [7, -1]  # -9 wraps to 7; -1 and -1 + 1 - 1 = -1 stay
    assert trace.value_at("s", 0) == 7 and trace.value_at("s", 1) == -1


def test_one_entry_per_time_step_and_initial_values_at_t0():
    bench = adder_bench(width=8)
    # 0x7F + 1 ripples a carry through all 8 bits over many delta cycles at t = 1
    vectors = {"a": np.array([0, 0x7F, 0x7F]), "b": np.array([0, 1, 1]), "cin": np.zeros(3, int)}
    _, trace = bench.record(vectors)
    assert trace["cin"] == ((0, 0),)  # never changes: only its value at t = 0
    assert trace["s"] == ((0, 0), (1, 0x80))  # settled values only, no intermediate ripple values
    assert trace["b"] == ((0, 0), (1, 1))


def test_recorder_at_the_top_level_of_run():
    a, y = Signal(intbv(0)[3:]), Signal(bool(1))
    rec = Recorder({"a": a, "y": y})

    @instance
    def drive():
        for v in (3, 5, 5, 0):
            a.next = v
            yield delay(4)

    end = run(drive, rec.monitor())  # ends by itself: the monitor keeps no event alive
    assert end == 16
    trace = rec.to_trace(end)
    assert trace["a"] == ((0, 3), (4, 5), (12, 0)) and trace["y"] == ((0, 1),)
    assert trace.end == 16 and trace.clock is None


def test_clocked_recording_of_a_counter():
    bench = counter_bench()
    n = 20
    vectors = {"enable": np.r_[0, 1, 1, 0, np.ones(n - 4, int)],
               "reset": np.r_[1, np.zeros(n - 1, int)]}
    want = bench.run_myhdl(vectors)
    got, trace = bench.record(vectors)
    np.testing.assert_array_equal(got["count"], want["count"])
    assert want["count"].min() < 0  # it wrapped to -8: the trace must show signed values
    assert trace.names == ("clock", "reset", "enable", "count") and trace.clock == "clock"
    # the clock: low at 0, then a toggle every half period up to the end
    assert trace["clock"] == tuple((k * HALF_PERIOD, k % 2) for k in range(trace.end // 5 + 1))
    posedges = {HALF_PERIOD + k * PERIOD for k in range(n)}
    assert {t for t, _ in trace["count"][1:]} <= posedges  # registers change only at rising edges
    for step in range(n):  # Bench samples step t 1 unit after the t-th rising edge
        assert value_before(trace["count"], HALF_PERIOD + step * PERIOD + 2) == want["count"][step]


def test_record_records_only_the_named_ports():
    bench = counter_bench()
    vectors = {"enable": np.ones(3, int)}
    got, trace = bench.record(vectors, names=["count"])
    assert trace.names == ("count",) and trace.clock is None
    assert list(got["count"]) == [1, 2, 3]
    assert trace["count"] == ((0, 0), (5, 1), (15, 2), (25, 3))  # the reset value, then each edge
    _, trace = bench.record(vectors, names=["enable", "clock"])
    assert trace.names == ("clock", "enable") and trace.clock == "clock"
    with pytest.raises(ConfigError, match=r"no ports \['cnt'\]; choose from \['clock', 'reset'"):
        bench.record(vectors, names=["cnt"])


def test_recorder_leaves_a_clocked_simulation_unchanged():
    def simulate(with_recorder):
        clock, reset = Signal(bool(0)), ResetSignal(0, active=1, isasync=False)
        enable, count = Signal(bool(1)), Signal(intbv(0)[3:])
        seen = []

        @instance
        def sample():
            for _ in range(12):
                yield clock.negedge
                seen.append(int(count))
            raise StopSimulation

        blocks = [counter(clock, reset, enable, count, width=3), clock_gen(clock), sample]
        rec = Recorder({"count": count}, clock=clock)
        run(*blocks, *([rec.monitor()] if with_recorder else []))
        return seen, rec

    plain, _ = simulate(False)
    recorded, rec = simulate(True)
    assert recorded == plain == [1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4]
    assert [v for _, v in rec.trace["count"]] == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4]


def test_recorder_agrees_with_myhdl_vcd_tracer(tmp_path, monkeypatch):
    for attr in ("directory", "name"):  # config_sim(trace=True) sets these globally: restore them
        monkeypatch.setattr(traceSignals, attr, getattr(traceSignals, attr, None), raising=False)
    sigs = {k: Signal(intbv(0, min=-128, max=128)) for k in ("a", "b", "s")}
    sigs |= {"cin": Signal(bool(0)), "cout": Signal(bool(0))}
    rec = Recorder(sigs)
    rng = np.random.default_rng(7)
    pairs = rng.integers(-128, 128, (10, 2))

    @block
    def testbench():
        a, b, cin, s, cout = (sigs[k] for k in ("a", "b", "cin", "s", "cout"))  # named at the top
        dut = ripple_carry_adder(a, b, cin, s, cout, width=8)
        monitor = watch(rec)

        @instance
        def drive():
            for x, y in pairs:
                a.next, b.next = int(x), int(y)
                yield delay(3)
            raise StopSimulation

        return dut, monitor, drive

    top = testbench()
    top.config_sim(trace=True, directory=str(tmp_path), name="tb")
    end = run(top)
    ours = rec.to_trace(end)
    theirs = read_vcd(tmp_path / "tb.vcd", signed=("a", "b", "s"))
    for name in ours.names:  # MyHDL names the top-level signals plainly
        assert theirs[name] == ours[name], name
    assert [v for _, v in ours["a"]] == [int(x) for x in pairs[:, 0]]


def test_recorder_checks_its_arguments():
    with pytest.raises(ConfigError, match="not a MyHDL Signal"):
        Recorder({"a": 3})
    with pytest.raises(ConfigError, match="no width"):
        Recorder({"a": Signal(intbv(0))})
    with pytest.raises(ConfigError, match="taken by another signal"):
        Recorder({"clock": Signal(bool(0))}, clock=Signal(bool(0)))
    with pytest.raises(ConfigError, match=r"rec.monitor\(\)"):
        Recorder({"a": Signal(bool(0))}).to_trace()


def test_trace_checks_its_fields():
    with pytest.raises(ShapeError, match="increasing"):
        Trace(("a",), (1,), (False,), (((0, 0), (0, 1)),), 5)
    with pytest.raises(ShapeError, match=r"outside -8\.\.7"):
        Trace(("a",), (4,), (True,), (((0, 8),),), 5)
    with pytest.raises(ShapeError, match="end=2"):
        Trace(("a",), (1,), (False,), (((0, 0), (3, 1)),), 2)
    with pytest.raises(ConfigError, match="unique"):
        Trace(("a", "a"), (1, 1), (False, False), (((0, 0),), ((0, 0),)), 2)
    trace = Trace(["a"], [4], [False], [[(0, 3), (2, 9)]], 4)
    assert trace.changes == (((0, 3), (2, 9)),)  # stored as tuples: immutable
    assert [trace.value_at("a", t) for t in range(5)] == [3, 3, 9, 9, 9]
    with pytest.raises(ConfigError, match=r"choose from \['a'\]"):
        trace.value_at("b", 0)


# --- the diagram ---------------------------------------------------------------------------------

def small_adder_trace(signed=False):
    vectors = {"a": np.array([3, 12, 7, 0]), "b": np.array([4, 9, 7, 15]),
               "cin": np.array([0, 1, 0, 1])}
    if signed:
        vectors = {"a": np.array([3, -4, 7, 0]), "b": np.array([4, -3, -8, -1]),
                   "cin": np.array([0, 1, 0, 1])}
    return adder_bench(signed).record(vectors)[1]


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_one_row_per_signal_with_names_on_the_left():
    fig = plot_waveform(small_adder_trace(), title="adder")
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a[3:0]", "b[3:0]", "cin", "s[3:0]", "cout"]
    ticks = ax.get_yticks()
    assert len(ticks) == 5 and all(np.diff(ticks) < 0)  # top to bottom in trace order
    assert ax.get_xlim() == (0, 4) and ax.get_title(loc="left") == "adder"


def test_bus_boxes_hold_their_values_in_the_chosen_radix():
    trace = small_adder_trace()
    assert texts(plot_waveform(trace)) == ["3", "12", "7", "0", "4", "9", "7", "15",
                                           "7", "6", "14", "0"]
    assert texts(plot_waveform(trace, radix="hex"))[:4] == ["3", "C", "7", "0"]
    assert texts(plot_waveform(trace, radix="bin"))[:4] == ["0011", "1100", "0111", "0000"]
    signed = small_adder_trace(signed=True)
    assert texts(plot_waveform(signed, names=["a"])) == ["3", "-4", "7", "0"]
    assert texts(plot_waveform(signed, names=["a"], radix="hex")) == ["3", "C", "7", "0"]


def test_names_choose_and_order_the_rows_and_t0_t1_zoom():
    fig = plot_waveform(small_adder_trace(), names=["s", "a"], t0=1, t1=3)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s[3:0]", "a[3:0]"]
    assert texts(fig) == ["6", "14", "12", "7"] and ax.get_xlim() == (1, 3)


def test_boxes_too_narrow_for_their_value_stay_empty():
    bench = adder_bench(width=8)
    vectors = adder_vectors(np.random.default_rng(3), 300, False, width=8)
    _, trace = bench.record(vectors)
    boxes = sum(len(trace[k]) for k in ("a", "b", "s"))
    assert len(texts(plot_waveform(trace))) < boxes / 10
    assert len(texts(plot_waveform(trace, names=["a"], t0=100, t1=110))) == 10


def test_clock_is_a_square_wave_with_guides_at_rising_edges():
    bench = counter_bench()
    vectors = {"enable": np.ones(6, int), "reset": np.r_[1, np.zeros(5, int)]}
    _, trace = bench.record(vectors)
    ax = plot_waveform(trace).axes[0]
    (clock_line,) = [ln for ln in ax.get_lines() if ln.get_color() == style.COLORS["clock"]]
    assert len(set(clock_line.get_ydata())) == 2  # two levels: a square wave
    assert len(clock_line.get_xdata()) == 2 * len(trace["clock"])
    (guides,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [seg[0][0] for seg in guides.get_segments()] == [5, 15, 25, 35, 45, 55]
    assert [v for _, v in trace["count"]] == [0, 1, 2, 3, 4, 5]
    # 5 lasts 1 time unit (from the last edge to the last sample): too narrow for its label
    assert texts(plot_waveform(trace, names=["count"])) == ["0", "1", "2", "3", "4"]


def test_draws_into_a_given_axes_and_saves_a_png(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4))
    ax1, ax2 = fig.subplots(2)
    assert plot_waveform(small_adder_trace(), ax=ax2, names=["cout"]) is fig
    assert [t.get_text() for t in ax2.get_yticklabels()] == ["cout"]
    assert not ax1.lines and not ax1.patches  # the other Axes is left alone
    fig.savefig(tmp_path / "w.png")
    assert (tmp_path / "w.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_notebook_shows_the_figure_without_pyplot():
    fig = plot_waveform(small_adder_trace())
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"  # what Jupyter calls to display it


def test_plot_errors_list_the_valid_choices():
    trace = small_adder_trace()
    with pytest.raises(ConfigError, match=r"'x'.*\['a', 'b', 'cin', 's', 'cout'\]"):
        plot_waveform(trace, names=["a", "x"])
    with pytest.raises(ChipkitError, match="unknown radix 'oct'; choose one of dec, hex, bin"):
        plot_waveform(trace, radix="oct")
    with pytest.raises(ConfigError, match="t1 > t0"):
        plot_waveform(trace, t0=3, t1=3)


@given(st.integers(1, 70).flatmap(lambda w: st.tuples(st.just(w), st.booleans(), st.data())))
def test_format_value_reads_back(args):
    width, signed, data = args
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    value = data.draw(st.integers(lo, hi))
    assert int(format_value(value, width, signed, "dec")) == value
    bits = value & ((1 << width) - 1)
    assert int(format_value(value, width, signed, "hex"), 16) == bits
    assert format_value(value, width, signed, "bin") == format(bits, f"0{width}b")
    assert len(format_value(value, width, signed, "hex")) == (width + 3) // 4


# --- VCD -----------------------------------------------------------------------------------------

@st.composite
def traces(draw):
    n = draw(st.integers(1, 6))
    names = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), min_size=n,
                          max_size=n, unique=True))
    widths = draw(st.lists(st.integers(1, 40), min_size=n, max_size=n))
    signed = [w > 1 and draw(st.booleans()) for w in widths]
    end = draw(st.integers(0, 1000))
    changes = []
    for w, s in zip(widths, signed, strict=True):
        lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if s else (0, (1 << w) - 1)
        times = sorted(draw(st.sets(st.integers(1, max(end, 1)), max_size=8)) - {0})
        times = [0] + [t for t in times if t <= end]
        values = [draw(st.integers(lo, hi))]
        for _ in times[1:]:  # each change is a change
            values.append(draw(st.integers(lo, hi).filter(lambda v, last=values[-1]: v != last)))
        changes.append(tuple(zip(times, values, strict=True)))
    return Trace(tuple(names), tuple(widths), tuple(signed), tuple(changes), end)


@settings(max_examples=60)
@given(trace=traces())
def test_vcd_round_trip(tmp_path_factory, trace):
    path = tmp_path_factory.mktemp("vcd") / "t.vcd"
    assert write_vcd(trace, path) == path
    assert read_vcd(path) == trace


def test_vcd_structure(tmp_path):
    trace = small_adder_trace(signed=True)
    lines = write_vcd(trace, tmp_path / "a.vcd").read_text().splitlines()
    assert "$timescale 1ns $end" in lines
    assert "$comment chipkit signed: a b s $end" in lines
    head = lines[:lines.index("$enddefinitions $end")]
    assert [ln for ln in head if ln.startswith("$var")] == [
        "$var wire 4 ! a [3:0] $end", '$var wire 4 " b [3:0] $end', "$var wire 1 # cin $end",
        "$var wire 4 $ s [3:0] $end", "$var wire 1 % cout $end"]
    body = lines[len(head) + 1:]
    assert body[:3] == ["#0", "$dumpvars", "b0011 !"]  # a = 3 at t = 0
    assert "b1100 !" in body  # a = -4 as 4-bit two's complement
    assert body[-1] == "#4"  # the end time, after the last change at t = 3
    assert len({_vcd_code(i) for i in range(9000)}) == 9000  # identifiers stay unique past 94
    with pytest.raises(ConfigError, match="spaces"):
        write_vcd(Trace(("a b",), (1,), (False,), (((0, 0),),), 0), tmp_path / "b.vcd")
