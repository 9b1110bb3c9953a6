"""`chipkit gemm`: one JSON object or a short report, products equal to numpy, --a/--b/--out with
.npy files, and every bad input a one-line error with exit code 2 (never a traceback)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from chipkit import cli

KEYS = {"cycles", "macs", "utilization", "match_golden", "backend", "dataflow", "array", "m", "n",
        "k", "folds", "scalesim_cycles", "seconds"}


def chipkit(*args):
    return subprocess.run([sys.executable, "-m", "chipkit.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def one_line_error(p, match):
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert p.stderr.startswith("chipkit: error: ") and match in p.stderr, p.stderr
    assert p.stdout == ""


@pytest.mark.parametrize("backend", ["golden", "fast", "rtl"])
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_json_is_one_object_with_the_numbers(backend, dataflow):
    p = chipkit("gemm", "--m", 10, "--n", 6, "--k", 12, "--array", "4x4", "--dataflow", dataflow,
                "--backend", backend, "--seed", 1, "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert KEYS <= set(d)
    assert (d["macs"], d["match_golden"], d["backend"], d["dataflow"], d["array"]) == (
        720, True, backend, dataflow, "4x4")
    assert d["cycles"] == (120 if dataflow == "ws" else 132)


def test_seed_decides_the_operands(tmp_path):
    def product(seed):
        out = tmp_path / f"c{seed}.npy"
        assert chipkit("gemm", "--m", 5, "--n", 4, "--k", 3, "--seed", seed, "--out", out,
                       "--json").returncode == 0
        return np.load(out)

    assert np.array_equal(product(1), product(1)) and not np.array_equal(product(1), product(2))


def test_random_operands_span_int8(monkeypatch):
    """The operands come from the whole int8 range, -128 and 127 included."""
    seen = []
    real = cli._operands

    def spy(args):
        a, b = real(args)
        seen.append((a, b))
        return a, b

    monkeypatch.setattr(cli, "_operands", spy)
    assert cli.main(["gemm", "--m", "64", "--n", "64", "--k", "64", "--json"]) == 0
    a, b = seen[0]
    assert a.dtype == np.int8 and a.min() == -128 and a.max() == 127 and b.min() == -128


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_files_in_product_out(tmp_path, dataflow):
    rng = np.random.default_rng(0)
    a, b = rng.integers(-128, 128, (5, 9), np.int8), rng.integers(-128, 128, (9, 7), np.int16)
    a[0], b[:, 0] = -128, -128
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    p = chipkit("gemm", "--a", tmp_path / "a.npy", "--b", tmp_path / "b.npy", "--out",
                tmp_path / "c.npy", "--array", "2x3", "--dataflow", dataflow, "--json")
    assert p.returncode == 0, p.stderr
    c = np.load(tmp_path / "c.npy")
    assert c.dtype == np.int32 and np.array_equal(c, a.astype(np.int64) @ b.astype(np.int64))
    d = json.loads(p.stdout)
    assert (d["m"], d["n"], d["k"], d["array"]) == (5, 7, 9, "2x3")


def test_human_report():
    p = chipkit("gemm", "--m", 10, "--n", 6, "--k", 12, "--dataflow", "os")
    assert p.returncode == 0, p.stderr
    for text in ("C 10x6 = A 10x12 @ B 12x6", "720 MACs", "4x4, os (output-stationary)",
                 "6 folds x 22 cycles", "backend      fast", "cycles       132",
                 "SCALE-Sim 3.0: 107 = ours - 6 x 4 - 1", "utilization  34.1 %",
                 "golden       match"):
        assert text in p.stdout, p.stdout
    p = chipkit("gemm", "--m", 10, "--n", 6, "--k", 12)
    assert "SCALE-Sim 3.0: 119 = ours - 1" in p.stdout and "weight-stationary" in p.stdout


def test_out_is_written_where_asked(tmp_path):
    p = chipkit("gemm", "--m", 2, "--n", 3, "--k", 4, "--out", tmp_path / "c.bin")
    assert p.returncode == 0 and f"saved        {tmp_path / 'c.bin'} (int32 2x3)" in p.stdout
    assert np.load(tmp_path / "c.bin").shape == (2, 3) and not (tmp_path / "c.bin.npy").exists()


def test_target_array_is_the_default():
    p = chipkit("gemm", "--m", 3, "--n", 3, "--k", 3, "--target", "array", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["array"] == "4x4"
    assert "target" not in json.loads(p.stdout)  # the core's JSON says target: core
    one_line_error(chipkit("gemm", "--m", 3, "--n", 3, "--k", 3, "--target", "gpu"),
                   "unknown --target 'gpu'")


def _files(tmp_path):
    """Bad operand files: each name -> (contents writer, the text the error must contain)."""
    np.save(tmp_path / "ok.npy", np.ones((3, 4), np.int8))
    np.save(tmp_path / "ok2.npy", np.ones((5, 2), np.int8))
    np.save(tmp_path / "wide.npy", np.full((3, 3), 200, np.int16))
    np.save(tmp_path / "neg.npy", np.full((4, 3), -129, np.int32))
    np.save(tmp_path / "vec.npy", np.ones(4, np.int8))
    np.save(tmp_path / "cube.npy", np.ones((2, 2, 2), np.int8))
    np.save(tmp_path / "float.npy", np.ones((4, 3)))
    np.save(tmp_path / "obj.npy", np.array([[1, "x"]], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "two.npz", a=np.ones((2, 2)))
    (tmp_path / "text.npy").write_text("1 2 3\n4 5 6\n")
    (tmp_path / "empty.npy").write_bytes(b"")


@pytest.mark.parametrize("a, b, match", [
    ("missing.npy", "ok.npy", "--a {t}/missing.npy: no such file"),
    ("ok.npy", "missing.npy", "--b {t}/missing.npy: no such file"),
    ("ok.npy", "ok2.npy", "A is 3x4 and B is 5x2: A's columns must equal B's rows"),
    ("wide.npy", "wide.npy", "A holds values outside int8 (-128..127): min 200"),
    ("ok.npy", "neg.npy", "B holds values outside int8 (-128..127): min -129"),
    ("vec.npy", "ok.npy", "must hold a 2-D matrix, got 1-D"),
    ("ok.npy", "cube.npy", "must hold a 2-D matrix, got 3-D"),
    ("float.npy", "ok.npy", "A must hold integers (int8 values), got dtype float64"),
    ("obj.npy", "ok.npy", "--a {t}/obj.npy: not a readable .npy file"),
    ("two.npz", "ok.npy", "is an .npz archive"),
    ("text.npy", "ok.npy", "--a {t}/text.npy: not a readable .npy file"),
    ("empty.npy", "ok.npy", "--a {t}/empty.npy: not a readable .npy file"),
    (".", "ok.npy", "is a folder"),
])
def test_bad_files(tmp_path, a, b, match):
    _files(tmp_path)
    t = str(tmp_path)
    one_line_error(chipkit("gemm", "--a", f"{t}/{a}", "--b", f"{t}/{b}"), match.format(t=t))


@pytest.mark.parametrize("args, match", [
    (["--m", 0, "--n", 4, "--k", 4], "--m must be a positive integer, got 0"),
    (["--m", 4, "--n", -3, "--k", 4], "--n must be a positive integer, got -3"),
    (["--m", 4, "--n", 4], "--k is missing"),
    (["--m", "four", "--n", 4, "--k", 4], "argument --m: invalid int value: 'four'"),
    (["--m", 4, "--n", 4, "--k", 4, "--array", "4by4"], "array must look like RxC"),
    (["--m", 4, "--n", 4, "--k", 4, "--array", "0x4"], "array rows must be in 1..256, got 0"),
    (["--m", 4, "--n", 4, "--k", 4, "--array", "4x999"], "array cols must be in 1..256"),
    (["--m", 4, "--n", 4, "--k", 4, "--dataflow", "diagonal"], "unknown dataflow 'diagonal'"),
    (["--m", 4, "--n", 4, "--k", 4, "--backend", "verilog"],
     "unknown --backend 'verilog'; choose one of golden, fast, rtl"),
    (["--m", 4, "--n", 4, "--k", 4, "--seed", -1], "--seed must be"),
    (["--a", "x.npy"], "give both --a and --b"),
    (["--b", "x.npy"], "give both --a and --b"),
    (["--a", "x.npy", "--b", "y.npy", "--m", 3], "--m cannot be used with --a/--b"),
    (["--m", 2048, "--n", 2048, "--k", 2048], "MACs"),
    (["--m", 256, "--n", 256, "--k", 256, "--array", "8x8", "--backend", "rtl"],
     "use --backend fast"),
    (["--m", 4, "--n", 4, "--k", 4, "--out", "/nonexistent/dir/c.npy"],
     "--out /nonexistent/dir/c.npy: cannot write it"),
    (["--m", 4, "--n", 4, "--k", 4, "--frobnicate"], "unrecognized arguments: --frobnicate"),
])
def test_bad_arguments(args, match):
    one_line_error(chipkit("gemm", *args), match)


def test_progress_bar_draws_once_per_percent(capsys):
    bar = cli._progress_bar(width=10)
    for done in range(1, 401):
        bar(done, 400)
    err = capsys.readouterr().err
    assert err.count("\r") == 101 and err.endswith("[##########] 100 %  400/400 cycles\n")
    assert "\r[#####.....]  50 %  200/400 cycles" in err


@pytest.mark.parametrize("tty", [True, False])
def test_rtl_shows_progress_only_on_a_terminal(monkeypatch, capsys, tty):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    assert cli.main(["gemm", "--m", "5", "--n", "5", "--k", "5", "--backend", "rtl"]) == 0
    out, err = capsys.readouterr()
    assert "golden       match" in out
    assert ("100 %  60/60 cycles" in err) == tty
    assert cli.main(["gemm", "--m", "5", "--n", "5", "--k", "5", "--backend", "fast"]) == 0
    assert capsys.readouterr().err == ""
