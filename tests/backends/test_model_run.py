"""`chipkit run` and `chipkit demo`: the tiny transformer sorting digits on the simulated core,
bit for bit the integer golden model on every backend, its cycles accounted for op by op."""
import json
import subprocess
import sys

import numpy as np
import pytest

from chipkit.backends.core_run import run
from chipkit.backends.model_run import compiled, quantized, sort_digits
from chipkit.cli import main
from chipkit.config import CoreConfig
from chipkit.nn import integer, task

KEYS = {"input", "output", "sorted", "backend", "array", "passes", "cycles", "cycles_per_pass",
        "macs", "utilization", "match_golden", "seconds", "clock_mhz", "time_us", "per_op"}


def test_run_json_sorts_and_accounts_for_every_cycle(capsys):
    assert main(["run", "--input", "3 1 4 1 5 9 2 6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert KEYS <= set(out)
    assert out["output"] == [1, 1, 2, 3, 4, 5, 6, 9] and out["sorted"] and out["match_golden"]
    assert out["passes"] == 8 and sum(out["cycles_per_pass"]) == out["cycles"]
    assert sum(out["per_op"].values()) == out["cycles"]
    assert out["utilization"] == pytest.approx(out["macs"] / (64 * out["cycles"]), abs=1e-4)
    assert out["time_us"] == pytest.approx(out["cycles"] / out["clock_mhz"], abs=0.01)
    assert out["cycles_per_pass"][0] <= 19_000 and out["utilization"] >= 0.25


@pytest.mark.parametrize("lanes", [4, 16])
def test_the_model_sorts_bit_exact_on_4x4_and_16x16(lanes):
    r = sort_digits("9 0 8 1 7 2 6 3", "fast", CoreConfig(lanes=lanes))
    assert r.output == [0, 1, 2, 3, 6, 7, 8, 9] and r.match_golden


@pytest.mark.parametrize("bad", ["1 2 3", "1 2 3 4 5 6 7 a", "1 2 3 4 5 6 7 10", "",
                                 "-1 2 3 4 5 6 7 8", "1 2 3 4 5 6 7 8 9"])
def test_a_malformed_input_is_one_line_and_exit_2(bad, capsys):
    assert main(["run", "--input", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--input" in err


@pytest.mark.parametrize(("args", "word"), [(["--model", "gpt-5"], "model"),
                                            (["--backend", "gpu"], "backend"),
                                            (["--array", "32x32"], "multiple of L = 32"),
                                            (["--array", "4x8"], "square")])
def test_unknown_models_backends_and_arrays_are_exit_2(args, word, capsys):
    assert main(["run", "--input", "1 2 3 4 5 6 7 8", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err


def test_causality_holds_on_the_chip():
    cfg = CoreConfig()
    cm = compiled(cfg)
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, task.VOCAB, 16)
    base = cm.read_logits(run(cm.words, cfg, cm.dram(tokens), "fast").dram)
    for p in (3, 9):
        changed = tokens.copy()
        changed[p + 1:] = rng.integers(0, task.VOCAB, 15 - p)
        got = cm.read_logits(run(cm.words, cfg, cm.dram(changed), "fast").dram)
        np.testing.assert_array_equal(got[: p + 1], base[: p + 1])


def test_demo_prints_every_sort_with_its_golden_check():
    out = subprocess.run([sys.executable, "-m", "chipkit.cli", "demo"], capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("sorted") == 4 and out.stdout.count("equal to the golden model") == 4


@pytest.mark.hdl
@pytest.mark.slow
def test_a_whole_sort_on_verilator_equals_golden_and_the_cycle_model(verilator):
    fast = sort_digits("3 1 4 1 5 9 2 6", "fast")
    ver = sort_digits("3 1 4 1 5 9 2 6", "verilator")
    assert ver.match_golden and ver.output == fast.output
    assert ver.cycles_per_pass == fast.cycles_per_pass


@pytest.mark.hdl
@pytest.mark.slow
def test_one_whole_pass_on_the_myhdl_core_is_bit_exact():
    cfg = CoreConfig()
    cm, qm = compiled(cfg), quantized()
    tokens = task.sequences(np.array([[3, 1, 4, 1, 5, 9, 2, 6]]), np.zeros((1, 0)))[0]
    r = run(cm.words, cfg, cm.dram(tokens), "rtl")
    np.testing.assert_array_equal(cm.read_logits(r.dram), integer.forward(qm, tokens))
    assert r.cycles == run(cm.words, cfg, cm.dram(tokens), "fast").cycles


def test_compile_writes_a_program_lockstep_runs(tmp_path, capsys):
    from chipkit import isa

    out = tmp_path / "tt"
    assert main(["compile", "--model", "tiny-transformer", "-o", str(out)]) == 0
    assert isa.assemble((out / "program.s").read_text()) == isa.load(out / "program.hex")
    mmap = json.loads((out / "memory_map.json").read_text())
    assert {r["name"] for r in mmap["on_chip"]} >= {"weights A", "q", "logits"}
    capsys.readouterr()
    assert main(["lockstep", str(out / "program.s"), "--dram", str(out / "dram.bin"),
                 "--lanes", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["divergence"] is None
    (tmp_path / "file").write_text("x")
    assert main(["compile", "-o", str(tmp_path / "file")]) == 2
