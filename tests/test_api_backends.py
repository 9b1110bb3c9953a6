"""Every public entry point of the backends, lockstep, bench, flow and viz refuses a user's mistake
with a ChipkitError that names the argument and what it accepts: a table of (call, error class, a
word the message must hold), then a few properties over drawn arguments. Nothing here simulates
more than a handful of MyHDL cycles: each mistake is caught before any work starts."""
import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from myhdl import Signal

from chipkit import bench as bn
from chipkit import isa
from chipkit import lockstep as ls
from chipkit.backends import array_rtl, core_gemm, core_rtl, core_run, core_verilator
from chipkit.backends.array_gemm import check_size, gemm
from chipkit.config import ArrayConfig, CoreConfig
from chipkit.errors import ChipkitError, ConfigError, RangeError, ShapeError
from chipkit.flow import check, netlist, sim, tools, vcd
from chipkit.flow.sim import Bench, int_template
from chipkit.hdl import faults
from chipkit.hdl.adders import ripple_carry_adder
from chipkit.hdl.array import array_bench
from chipkit.models import core_fast
from chipkit.models.array_schedule import build
from chipkit.models.core_trace import trace_fast
from chipkit.viz import adders as va
from chipkit.viz import core_diagram as vd
from chipkit.viz import cycles as vc
from chipkit.viz import multipliers as vm
from chipkit.viz import systolic as vs
from chipkit.viz import timeline as vt
from chipkit.viz import vector as vv
from chipkit.viz import waveform as vw

matplotlib.use("Agg")

CORE = CoreConfig(lanes=4)
ARRAY = ArrayConfig(2, 2)
HALT = "halt\n"
ONES = np.ones((2, 2), int)
T4 = int_template(4)
ADDER = Bench(ripple_carry_adder, {"a": T4, "b": T4, "cin": bool(0)},
              {"s": T4, "cout": bool(0)}, {"width": 4})
NETLIST = netlist.Netlist(ripple_carry_adder(Signal(T4), Signal(T4), Signal(bool(0)), Signal(T4),
                                             Signal(bool(0)), width=4))
ZERO, ONE_PLUS_ONE = {"a": 0, "b": 0, "cin": 0}, {"a": 1, "b": 1, "cin": 0}
RECORDED = gemm(np.ones((4, 4), int), np.ones((4, 4), int), ARRAY, "fast", record=True)
SCHEDULE = build(np.ones((4, 4), int), np.ones((4, 4), int), ARRAY)
CORE_RUN = core_fast.run(HALT, CoreConfig(lanes=2))
#: a program of ~1 M cycles: 1,000 loads of 1,000 SRAM rows, each waited for
LONG = "dma.ld mem=sram, row=0, dram=0, rows=1000\nsync units=1\n" * 1000 + "halt\n"


def nothing(*_args):
    return []


# (call, error class, words the message must hold)
CASES = {
    # --- the array's front door --------------------------------------------------------------
    "gemm cfg is a CoreConfig": (lambda: gemm(ONES, ONES, CORE), ConfigError, "ArrayConfig"),
    "gemm cfg None": (lambda: gemm(ONES, ONES, None), ConfigError, "cfg must be an ArrayConfig"),
    "gemm backend None": (lambda: gemm(ONES, ONES, ARRAY, None), ConfigError, "golden, fast, rtl"),
    "gemm backend list": (lambda: gemm(ONES, ONES, ARRAY, ["fast"]), ConfigError, "backend"),
    "gemm record text": (lambda: gemm(ONES, ONES, ARRAY, record="yes"), ConfigError, "record"),
    "gemm progress int": (lambda: gemm(ONES, ONES, ARRAY, "rtl", progress=3), ConfigError,
                          "progress"),
    "gemm max_cycles 0": (lambda: gemm(ONES, ONES, ARRAY, "rtl", max_cycles=0), ConfigError,
                          "max_cycles"),
    "gemm max_cycles short": (lambda: gemm(ONES, ONES, ARRAY, "rtl", max_cycles=2), ConfigError,
                              "max_cycles="),
    "gemm A None": (lambda: gemm(None, ONES, ARRAY), ShapeError, "A"),
    "gemm A float": (lambda: gemm(ONES * 0.5, ONES, ARRAY), ShapeError, "integers"),
    "gemm A ragged": (lambda: gemm([[1, 2], [3]], ONES, ARRAY), ShapeError, "rectangular"),
    "check_size float": (lambda: check_size(1.5, 2, 2), ConfigError, "m (rows of A and C)"),
    "check_size zero": (lambda: check_size(2, 0, 2), ConfigError, "n (columns of B and C)"),
    "array_rtl schedule None": (lambda: array_rtl.run(None), ConfigError, "Schedule"),
    "array_rtl progress": (lambda: array_rtl.run(SCHEDULE, progress="x"), ConfigError,
                           "progress"),
    # --- the core's front doors --------------------------------------------------------------
    "run cfg is an ArrayConfig": (lambda: core_run.run(HALT, ARRAY), ConfigError,
                                  "CoreConfig(lanes=2)"),
    "run cfg None": (lambda: core_run.run(HALT, None), ConfigError, "CoreConfig"),
    "run cfg text": (lambda: core_run.run(HALT, "4x4"), ConfigError, "CoreConfig"),
    "run backend None": (lambda: core_run.run(HALT, CORE, backend=None), ConfigError,
                         "golden, fast, rtl, verilator"),
    "run backend list": (lambda: core_run.run(HALT, CORE, backend=["fast"]), ConfigError,
                         "--backend"),
    "run progress int": (lambda: core_run.run(HALT, CORE, backend="rtl", progress=3),
                         ConfigError, "progress"),
    "run max_cycles bool": (lambda: core_run.run(HALT, CORE, "rtl", max_cycles=True),
                            ConfigError, "max_cycles"),
    "run max_cycles 0": (lambda: core_run.run(HALT, CORE, "rtl", max_cycles=0), ConfigError,
                         "max_cycles"),
    "run program None": (lambda: core_run.run(None, CORE), ChipkitError, "program"),
    "run dram 300": (lambda: core_run.run(HALT, CORE, np.array([300]), "rtl"), RangeError,
                     "dram"),
    "run dram ragged": (lambda: core_run.run(HALT, CORE, [[1, 2], [3]], "rtl"), ShapeError,
                        "dram"),
    "run dram text": (lambda: core_run.run(HALT, CORE, "abc", "rtl"), ShapeError, "dram"),
    "run dram too big": (lambda: core_run.run(HALT, CORE, np.zeros(CORE.dram_bytes + 1, np.uint8),
                                              "rtl"), ShapeError, "dram"),
    "rtl refuses a long program": (lambda: core_rtl.run(LONG, CORE), ConfigError,
                                   "max_cycles="),
    "rtl max_cycles text": (lambda: core_rtl.run(HALT, CORE, max_cycles="many"), ConfigError,
                            "max_cycles"),
    "run_myhdl cfg": (lambda: core_rtl.run_myhdl(ARRAY, [0]), ConfigError, "CoreConfig"),
    "run_myhdl on_cycle": (lambda: core_rtl.run_myhdl(CORE, isa.assemble(HALT), on_cycle=1),
                           ConfigError, "on_cycle"),
    "verilator cfg": (lambda: core_verilator.run(HALT, ARRAY), ConfigError, "CoreConfig"),
    "verilator run_built": (lambda: core_verilator.run_built(None, CORE, [0]), ConfigError,
                            "CoreBuild"),
    "core_gemm cfg is an ArrayConfig": (lambda: core_gemm.core_gemm(ONES, ONES, ARRAY),
                                        ConfigError, "CoreConfig(lanes=2)"),
    "core_gemm backend": (lambda: core_gemm.core_gemm(ONES, ONES, CORE, "gpu"), ConfigError,
                          "golden, fast, rtl, verilator"),
    "core_gemm A float": (lambda: core_gemm.core_gemm(ONES * 0.5, ONES, CORE), ShapeError,
                          "integers"),
    "core_gemm progress": (lambda: core_gemm.core_gemm(ONES, ONES, CORE, "rtl", progress=1),
                           ConfigError, "progress"),
    # --- lockstep ----------------------------------------------------------------------------
    "lockstep a None": (lambda: ls.run_lockstep(HALT, CORE, a=None), ConfigError, "--a"),
    "lockstep b list": (lambda: ls.run_lockstep(HALT, CORE, b=["x"]), ConfigError, "--b"),
    "lockstep cfg": (lambda: ls.run_lockstep(HALT, ARRAY), ConfigError, "CoreConfig"),
    "lockstep progress": (lambda: ls.run_lockstep(HALT, CORE, a="rtl", progress=2), ConfigError,
                          "progress"),
    "lockstep max_cycles": (lambda: ls.run_lockstep(HALT, CORE, a="rtl", max_cycles=-1),
                            ConfigError, "max_cycles"),
    "lockstep refuses a long rtl run": (lambda: ls.run_lockstep(LONG, CORE, a="rtl"),
                                        ConfigError, "verilator"),
    "lockstep traces": (lambda: ls.lockstep(None, trace_fast(HALT, CORE), HALT), ConfigError,
                        "Trace"),
    # --- bench -------------------------------------------------------------------------------
    "bench cases text": (lambda: bn.bench(cases="4x4"), ConfigError, "cases"),
    "bench cases single": (lambda: bn.bench(cases=[("4x4",)]), ConfigError, "pairs"),
    "bench gemm pair": (lambda: bn.bench(gemm=(1, 2)), ConfigError, "(M, N, K)"),
    "bench gemm float": (lambda: bn.bench(gemm=(2.5, 2, 2)), ConfigError, "gemm's M"),
    "bench myhdl_seconds": (lambda: bn.bench(myhdl_seconds=-1), ConfigError, "myhdl_seconds"),
    "measure cfg": (lambda: bn.measure(CORE, 2, 2, 2), ConfigError, "ArrayConfig"),
    "measure seed": (lambda: bn.measure(ARRAY, 2, 2, 2, seed=-1), ConfigError, "seed"),
    "measure verilator": (lambda: bn.measure(ARRAY, 2, 2, 2, verilator="no"), ConfigError,
                          "verilator"),
    "measure_core lanes": (lambda: bn.measure_core(3, 4, 4, 4), ConfigError, "lanes"),
    "core_vs_scalesim cases": (lambda: bn.core_vs_scalesim(cases=5), ConfigError, "cases"),
    "core_vs_scalesim gemm": (lambda: bn.core_vs_scalesim(cases=[(4, (16, 16))]), ConfigError,
                              "(M, N, K)"),
    "core_speed_config bytes": (lambda: bn.core_speed_config(4, 0), ConfigError,
                                "dram_image_bytes"),
    "first_folds folds": (lambda: bn.first_folds(SCHEDULE, 0), ConfigError, "folds"),
    "first_folds schedule": (lambda: bn.first_folds(None, 1), ConfigError, "Schedule"),
    "report None": (lambda: bn.report(None), ConfigError, "bench()"),
    "report_core empty": (lambda: bn.report_core({}), ConfigError, "core_vs_scalesim()"),
    "report_speed None": (lambda: bn.report_speed(None), ConfigError, "core_speed()"),
    # --- flow --------------------------------------------------------------------------------
    "Bench factory": (lambda: Bench(None, {}, {}), ConfigError, "factory"),
    "Bench inputs": (lambda: Bench(ripple_carry_adder, None, {}), ConfigError, "inputs"),
    "Bench template": (lambda: Bench(ripple_carry_adder, {"a": 3}, {}), ConfigError,
                       "int_template"),
    "Bench params": (lambda: Bench(ripple_carry_adder, {}, {}, 3), ConfigError, "params"),
    "Bench clocked": (lambda: Bench(ripple_carry_adder, {}, {}, {}, "yes"), ConfigError,
                      "clocked"),
    "Bench port twice": (lambda: Bench(ripple_carry_adder, {"a": T4}, {"a": T4}), ConfigError,
                         "both inputs and outputs"),
    "vectors None": (lambda: ADDER.run_myhdl(None), ConfigError, "vectors"),
    "vectors float": (lambda: ADDER.run_myhdl({"a": [1.5], "b": [1], "cin": [0]}), ShapeError,
                      "vectors['a']"),
    "vectors text": (lambda: ADDER.run_myhdl({"a": ["x"], "b": [1], "cin": [0]}), ShapeError,
                     "integers"),
    "vectors 2-D": (lambda: ADDER.run_myhdl({"a": [[1]], "b": [[1]], "cin": [[0]]}), ShapeError,
                    "1-D"),
    "vectors ragged": (lambda: ADDER.run_myhdl({"a": [[1, 2], [3]], "b": [1], "cin": [0]}),
                       ShapeError, "rectangular"),
    "vectors lengths": (lambda: ADDER.run_myhdl({"a": [1, 2], "b": [1], "cin": [0, 0]}),
                        ShapeError, "same length"),
    "vectors range": (lambda: ADDER.run_myhdl({"a": [99], "b": [1], "cin": [0]}), RangeError,
                      "0..15"),
    "record names": (lambda: ADDER.record({"a": [1], "b": [1], "cin": [0]}, names=3),
                     ConfigError, "names"),
    "sim.run duration": (lambda: sim.run(duration="a"), ConfigError, "duration"),
    "tools.which": (lambda: tools.which("xx"), ConfigError, "iverilog"),
    "tools.need": (lambda: tools.need(3), ConfigError, "unknown tool"),
    "read_vcd missing": (lambda: vcd.read_vcd("/nonexistent/x.vcd"), ConfigError, ".vcd"),
    "write_vcd trace": (lambda: vcd.write_vcd(None, "x.vcd"), ConfigError, "Trace"),
    "compare got": (lambda: check.compare(None, {}), ConfigError, "got"),
    "netlist inputs": (lambda: NETLIST.evaluate([1]), ConfigError, "inputs"),
    "netlist value": (lambda: NETLIST.evaluate({"a": 99}), RangeError, "port 'a'"),
    "netlist float": (lambda: NETLIST.evaluate({"a": 1.5}), RangeError, "integer"),
    "unit_delay max_steps": (lambda: NETLIST.unit_delay(ZERO, ONE_PLUS_ONE, max_steps=0),
                             ConfigError, "max_steps"),
    # --- hdl builders --------------------------------------------------------------------------
    "array_bench cfg": (lambda: array_bench(CORE), ConfigError, "ArrayConfig"),
    "fault lane": (lambda: faults.wrong_lane(lane="a").__enter__(), ConfigError, "lane"),
    "fault by": (lambda: faults.wrong_lane(by=0).__enter__(), ConfigError, "by"),
    "fault depth": (lambda: faults.short_dma_queue(0).__enter__(), ConfigError, "depth"),
    "fault name": (lambda: faults.inject(["x"]), ConfigError, "wrong_lane"),
    # --- viz -----------------------------------------------------------------------------------
    "wheel width None": (lambda: va.plot_number_wheel(range(16), None), ConfigError, "width"),
    "wheel width 40": (lambda: va.plot_number_wheel(range(16), 40), ConfigError, "1..8"),
    "wheel values text": (lambda: va.plot_number_wheel(["a"] * 16, 4), ShapeError, "values"),
    "prefix width float": (lambda: va.prefix_cells(2.5), ConfigError, "width"),
    "prefix width huge": (lambda: va.plot_prefix_network(1000), ConfigError, "1..64"),
    "bit_history steps": (lambda: va.bit_history(NETLIST, None, "s"), ShapeError, "unit_delay"),
    "settle_times None": (lambda: va.settle_times(None), ShapeError, "history"),
    "settle_times empty": (lambda: va.settle_times([]), ShapeError, "history"),
    "cell_states ragged": (lambda: va.cell_states([[0, 1], [1]]), ShapeError, "rectangular"),
    "carry race panels": (lambda: va.plot_carry_race([1]), ConfigError, "(label, netlist, steps)"),
    "carry race upto": (lambda: va.plot_carry_race(
        [("x", NETLIST, NETLIST.unit_delay(ZERO, ONE_PLUS_ONE))], upto="a"), ConfigError, "upto"),
    "CarryRace replay": (lambda: va.CarryRace(None), ConfigError, "replay"),
    "CarryRace width": (lambda: va.CarryRace(nothing, width=0), ConfigError, "width"),
    "CarryRace a": (lambda: va.CarryRace(nothing, width=4, a=99), ConfigError, "0..15"),
    "partial products width": (lambda: vm.partial_product_rows(None, 4), ConfigError, "width_a"),
    "partial products a": (lambda: vm.plot_partial_products(4, 4, a=99, b=1), ConfigError, "a ("),
    "partial products a float": (lambda: vm.plot_partial_products(4, 4, a=1.5, b=1), ConfigError,
                                 "a ("),
    "quantization scale 0": (lambda: vm.quantization_stats([1.0], [1.0], 0, 8), ConfigError,
                             "scale"),
    "quantization scale text": (lambda: vm.quantization_stats([1.0], [1.0], "a", 8), ConfigError,
                                "scale"),
    "quantization bits": (lambda: vm.quantization_stats([1.0], [1.0], 1.0, 0), ConfigError,
                          "bits"),
    "clipped x text": (lambda: vm.clipped("abc", [1.0], 1.0), ShapeError, "x must hold"),
    "QuantizationExplorer x": (lambda: vm.QuantizationExplorer(None, nothing), ShapeError, "x"),
    "QuantizationExplorer quantize": (lambda: vm.QuantizationExplorer([1.0], None), ConfigError,
                                      "quantize"),
    "QuantizationExplorer bits": (lambda: vm.QuantizationExplorer([1.0], nothing, bits=9),
                                  ConfigError, "bits"),
    "plot_cycles None": (lambda: vc.plot_cycles(None), ConfigError, "results"),
    "plot_cycles x list": (lambda: vc.plot_cycles([RECORDED], x=["m"]), ConfigError, "x must be"),
    "fold timeline fold text": (lambda: vc.plot_fold_timeline(RECORDED, fold="a"), ConfigError,
                                "fold"),
    "fold timeline fold float": (lambda: vc.plot_fold_timeline(RECORDED, fold=1.5), ConfigError,
                                 "fold"),
    "fold timeline marks": (lambda: vc.plot_fold_timeline(RECORDED, marks=[1]), ConfigError,
                            "marks"),
    "cycle_table simulate": (lambda: vc.cycle_table(2, 2, 2, 2, 2, simulate=3), ConfigError,
                             "simulate"),
    "format_table rows": (lambda: vc.format_table(None, 2, 2, 2, 2, 2), ConfigError, "rows"),
    "ArrayKnob rows": (lambda: vc.ArrayKnob(rows=0), ConfigError, "rows"),
    "ArrayKnob simulate": (lambda: vc.ArrayKnob(simulate=3), ConfigError, "simulate"),
    "step_view fold": (lambda: vs.step_view(RECORDED, fold=None), ConfigError, "fold"),
    "step_view t": (lambda: vs.step_view(RECORDED, t="a"), ConfigError, "t (the cycle)"),
    "step_view queue": (lambda: vs.step_view(RECORDED, queue=-1), ConfigError, "queue"),
    "draw_steps None": (lambda: vs.draw_steps(RECORDED, None), ConfigError, "steps"),
    "draw_steps float": (lambda: vs.draw_steps(RECORDED, [1.5]), ConfigError, "t (the cycle)"),
    "draw_steps columns": (lambda: vs.draw_steps(RECORDED, [1, 2], columns=0), ConfigError,
                           "columns"),
    "DataflowPlayer dpi": (lambda: vs.DataflowPlayer(RECORDED, dpi=0), ConfigError, "dpi"),
    "timeline xmax": (lambda: vt.plot_timeline(CORE_RUN, xmax="a"), ConfigError, "xmax"),
    "timeline xmax negative": (lambda: vt.plot_timeline(CORE_RUN, xmax=-1), ConfigError, "xmax"),
    "TimelineExplorer bandwidth": (lambda: vt.TimelineExplorer(nothing, bandwidth=0), ConfigError,
                                   "bandwidth"),
    "plot_curve None": (lambda: vv.plot_curve(None, [1], [1], "x", "y"), ShapeError, "x"),
    "plot_curve lengths": (lambda: vv.plot_curve([1, 2], [1], [1], "x", "y"), ConfigError,
                           "one length"),
    "error hist None": (lambda: vv.plot_error_hist(None), ConfigError, "errors"),
    "error hist text": (lambda: vv.plot_error_hist({"a": "x"}), ShapeError, "errors['a']"),
    "softmax row lengths": (lambda: vv.plot_softmax_row([1, 2], [1], [1.0], 1.0), ShapeError,
                            "one length"),
    "softmax row scale": (lambda: vv.plot_softmax_row([1], [1], [1.0], 0), ConfigError, "scale"),
    "SoftmaxExplorer scores": (lambda: vv.SoftmaxExplorer([300], nothing), RangeError, "int8"),
    "SoftmaxExplorer compute": (lambda: vv.SoftmaxExplorer([3], None), ConfigError, "compute"),
    "format_value None": (lambda: vw.format_value(None, 4), ConfigError, "value"),
    "format_value width": (lambda: vw.format_value(1, 0), ConfigError, "width"),
    "waveform trace": (lambda: vw.plot_waveform(None), ConfigError, "Trace"),
    "core diagram structure": (lambda: vd.plot_core_diagram(3), ConfigError, "structure"),
    "core diagram cfg": (lambda: vd.elaborate(ARRAY), ConfigError, "CoreConfig"),
    "core diagram top": (lambda: vd.core_structure(3), ConfigError, "elaborate"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_mistake_is_a_chipkit_error_that_says_what_to_change(name):
    call, error, word = CASES[name]
    with pytest.raises(error) as info:
        call()
    assert word in str(info.value), str(info.value)
    assert "\n" not in str(info.value)  # one line: the CLI prints it as is


# --- properties ---------------------------------------------------------------------------------
NOT_A_CORE = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=5), st.booleans(),
                       st.builds(ArrayConfig, st.integers(1, 8), st.integers(1, 8)))


@settings(max_examples=40)
@given(NOT_A_CORE, st.sampled_from(core_run.BACKENDS))
def test_only_a_core_config_runs_the_core(cfg, backend):
    with pytest.raises(ConfigError, match="cfg must be a CoreConfig"):
        core_run.run(HALT, cfg, backend=backend)


@settings(max_examples=40)
@given(st.one_of(st.text(max_size=8), st.none(), st.integers(), st.lists(st.text(max_size=3))))
def test_unknown_backends_list_the_choices(name):
    if name in core_run.BACKENDS:
        return
    with pytest.raises(ConfigError, match="golden, fast, rtl, verilator"):
        core_run.run(HALT, CORE, backend=name)
    if not (isinstance(name, str) and name in ls.TRACERS):
        with pytest.raises(ConfigError, match="choose from golden, fast, rtl"):
            ls.run_lockstep(HALT, CORE, a=name)


@settings(max_examples=60)
@given(st.sampled_from([2, 4, 8, 16, 32, 64]), st.integers(1, 10**7), st.integers(1, 2))
def test_the_rtl_budget_refuses_exactly_what_is_too_long(lanes, cycles, runs):
    cfg = CoreConfig(lanes=lanes)
    limit = core_rtl.rtl_cycle_limit(cfg)
    if runs * cycles <= limit:
        core_rtl.check_budget(cfg, cycles, runs=runs)
        return
    with pytest.raises(ConfigError) as info:
        core_rtl.check_budget(cfg, cycles, runs=runs)
    msg = str(info.value)
    assert f"max_cycles={runs * cycles}" in msg and f"{cycles:,} cycles" in msg
    core_rtl.check_budget(cfg, cycles, max_cycles=runs * cycles, runs=runs)  # asked: it runs


@settings(max_examples=40)
@given(st.integers(0, 4000), st.integers(1, 1000), st.integers(1, 1 << 16))
def test_the_rtl_dram_is_what_the_dmas_reach_not_the_image(addr, rows, image_bytes):
    """The MyHDL core holds the bytes the program's DMAs reach, whatever the image's size, and
    is loaded with just that part of the image; the rest comes back untouched."""
    text = f"dma.ld mem=sram, row=0, dram={addr}, rows={rows}\nsync units=1\nhalt\n"
    words = isa.assemble(text)
    image = (np.arange(image_bytes) % 251 + 1).astype(np.uint8)
    need = core_rtl.dram_needed(CORE, words)
    assert need == min(CORE.dram_bytes, -(-(addr + rows * 4) // 8) * 8)
    fit, part, widen = core_rtl.fitted(CORE, words, image)
    assert fit.dram_bytes == need and part.size == need
    np.testing.assert_array_equal(part[:image_bytes], image[:need])
    loads = [a for m, a, _ in core_rtl.host_writes(fit, words, part) if m == 5]
    assert all(a < need // 8 for a in loads)
    run = core_fast.run(words, fit, part)  # stands in for the RTL's run on `fit`
    full = widen(run).state.dram
    assert full.size == CORE.dram_bytes
    np.testing.assert_array_equal(full[:image_bytes], image[:CORE.dram_bytes])


@settings(max_examples=40)
@given(st.lists(st.integers(-40, 40), min_size=1, max_size=6))
def test_bench_vectors_in_range_pass_and_out_of_range_are_refused(values):
    vec = {"a": values, "b": [0] * len(values), "cin": [0] * len(values)}
    if all(0 <= v <= 15 for v in values):
        got, n = ADDER.check_vectors(vec)
        assert n == len(values) and got["a"].tolist() == values
    else:
        with pytest.raises(RangeError, match="port 'a' holds values outside 0..15"):
            ADDER.check_vectors(vec)
