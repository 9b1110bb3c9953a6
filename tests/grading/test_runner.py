"""`chipkit grade` end to end: full marks for solutions, 0 for stubs, broken files fail only their
own tests, wrong answers lose exactly the points they should, the CLI's output and exit codes."""
import json
import shutil
import subprocess
import sys

import pytest

from chipkit.grading.loader import project_root
from chipkit.grading.runner import grade

ROOT = project_root()
TIMEOUT = 3  # seconds per graded test: ends the endless loops below sooner than the default 10
pytestmark = pytest.mark.slow


def cli(*args):
    return subprocess.run([sys.executable, "-m", "chipkit.cli", "grade", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def by_name(report):
    return {ex["name"]: ex for ex in report["exercises"]}


def outcomes(exercise):
    return {t["name"]: t["outcome"] for t in exercise["tests"]}


def solutions_copy(tmp_path, **files):
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name, source in files.items():
        (folder / f"{name}.py").write_text(source)
    return folder


def test_solutions_get_full_marks_and_json_is_one_object():
    out = cli("--impl", "solutions", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)  # the whole of stdout is one JSON object
    assert report["max"] >= 30 and report["score"] == report["max"]
    assert report["impl"] == str(ROOT / "solutions")
    assert len(report["exercises"]) >= 6
    for ex in report["exercises"]:
        assert ex["score"] == ex["max"] > 0, (ex["name"], ex["tests"])
        assert all(t["outcome"] == "passed" and t["points"] == t["max"] > 0 for t in ex["tests"])


def test_untouched_stubs_score_zero():
    out = cli()  # --impl exercises is the default
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1].startswith("Score: 0/") and int(lines[-1].split("/")[1]) >= 30
    assert "not started yet" in out.stdout


def test_missing_impl_is_exit_2_with_one_line():
    out = cli("--impl", "/nonexistent/submission")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "/nonexistent/submission does not exist" in out.stderr


def test_unknown_exercise_is_exit_2():
    out = cli("--only", "ex99")
    assert out.returncode == 2 and "no exercise matches" in out.stderr


def test_broken_files_fail_only_their_own_exercises(tmp_path):
    folder = solutions_copy(
        tmp_path,
        ex01_twos_complement="def encode(value, width)\n    return value\n",
        ex02_full_adder="raise RuntimeError('half-finished edit')\n",
        ex04_prefix_carries="while True:\n    pass\n",
    )
    report = grade(folder, timeout=TIMEOUT)
    exercises = by_name(report)
    for name, why in [("ex01_twos_complement", "SyntaxError"), ("ex02_full_adder", "RuntimeError"),
                      ("ex04_prefix_carries", "did not finish importing")]:
        assert exercises[name]["score"] == 0
        assert all(t["outcome"] == "error" and why in t["message"]
                   for t in exercises[name]["tests"]), exercises[name]["tests"]
    for name in ("ex03_ripple_carry_adder", "ex05_booth_recode", "ex06_mac_saturate"):
        assert exercises[name]["score"] == exercises[name]["max"] > 0, exercises[name]["tests"]


# Plausible wrong answers, each of which must lose the points of exactly the tests named below.
MUTANTS = {
    "ex01_twos_complement": '''
def encode(value, width):
    return value & ((1 << width) - 1)  # no range check


def decode(bits, width):
    return bits - (1 << width) if bits >> (width - 1) & 1 else bits
''',
    "ex02_full_adder": '''
from myhdl import block

from chipkit.hdl import adders


@block
def full_adder(a, b, cin, s, cout):
    return adders.full_adder(a, b, cin, s, cout)  # structural, not @always_comb
''',
    "ex03_ripple_carry_adder": '''
from myhdl import block

from chipkit.hdl import adders


@block
def ripple_carry_adder(a, b, cin, s, cout, width=8):
    return adders.kogge_stone_adder(a, b, cin, s, cout, width=width)  # right sums, no full adders
''',
    "ex04_prefix_carries": '''
def prefix_carries(g, p, cin):
    carries = [cin]
    for gi, pi in zip(g, p):
        carries.append(gi | (pi & carries[-1]))  # ripple: right carries, far too deep
    return carries, len(g).bit_length()
''',
    "ex05_booth_recode": '''
def booth_recode(b, width):
    return [-2 * (b >> (2 * i + 1) & 1) + (b >> 2 * i & 1) + ((b >> (2 * i - 1) & 1) if i else 0)
            for i in range((width + 1) // 2)]


def booth_multiply(a, b, width):
    while True:  # an endless loop inside a hypothesis test: the timeout must still end it
        pass
''',
    "ex06_mac_saturate": '''
import os

import numpy as np


def mac_saturating(a, b, clear, enable):
    if len(a) == 140_000:
        os._exit(1)  # kills the whole test process
    out, acc = np.zeros(len(a), dtype=np.int64), 0
    for t in range(len(a)):
        acc = 0 if clear[t] else acc + int(a[t]) * int(b[t]) if enable[t] else acc
        acc = (acc + 2**31) % 2**32 - 2**31  # wraps instead of saturating
        out[t] = acc
    return out
''',
}
LOSES = {
    "ex01_twos_complement": {"test_refuses_what_does_not_fit": "failed"},
    "ex02_full_adder": {"test_is_one_always_comb_process": "failed"},
    "ex03_ripple_carry_adder": {"test_is_built_from_full_adders": "failed"},
    "ex04_prefix_carries": {f"test_every_carry_is_logarithmically_deep[{n}]": "failed"
                            for n in (8, 32, 64)},
    "ex05_booth_recode": {"test_product": "timeout",
                          "test_product_adds_booth_partial_products": "timeout"},
    "ex06_mac_saturate": {"test_saturates_high_and_stays": "crashed",
                          "test_saturates_low_and_stays": "failed",
                          "test_saturation_depends_on_the_path": "failed",
                          "test_long_runs_that_overflow": "failed"},
}


def test_wrong_answers_lose_exactly_their_points(tmp_path):
    report = grade(solutions_copy(tmp_path, **MUTANTS), timeout=TIMEOUT)
    for name, ex in by_name(report).items():
        LOSES.setdefault(name, {})  # an exercise without a mutant above must lose nothing
        lost = {t: o for t, o in outcomes(ex).items() if o != "passed"}
        assert lost == LOSES[name], (name, [t for t in ex["tests"] if t["outcome"] != "passed"])
        assert ex["score"] == sum(t["max"] for t in ex["tests"] if t["name"] not in LOSES[name])
    assert report["score"] == sum(ex["score"] for ex in report["exercises"])


@pytest.mark.parametrize("value", ["-1", "0", "inf", "nan", "601", "1e9", "ten"])
def test_timeout_must_be_positive_finite_and_bounded(value):
    out = cli("--timeout", value)
    assert out.returncode == 2 and out.stdout == "", out
    assert out.stderr.count("\n") == 1 and "--timeout" in out.stderr, out.stderr
