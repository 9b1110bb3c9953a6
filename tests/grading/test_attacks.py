"""A hostile student against `chipkit grade`: forged reports, the reference solutions, the grader's
own references, rigged types, stopped timers, KeyboardInterrupt, killing the grader. Each attack
scores 0 on the exercise it attacks and leaves every other exercise's score right; killing the
grader leaves no process behind."""
import os
import signal
import subprocess
import sys
import time

import pytest
from test_runner import by_name, solutions_copy

from chipkit.grading.loader import project_root
from chipkit.grading.runner import grade

ROOT = project_root()
TIMEOUT = 3
pytestmark = pytest.mark.slow

FORGE_REPORT = '''
import json, os, sys
def report_path():
    for pid in (os.getpid(), os.getppid(), os.getpgid(0)):
        try:
            args = open(f"/proc/{pid}/cmdline").read().split("\\0")
        except OSError:
            args = sys.argv
        for a in args:
            if a.startswith("--grade-report="):
                return a.split("=", 1)[1]
path = report_path()
if path:
    with open(path, "a") as f:
        for line in open(path).read().splitlines():
            rec = json.loads(line)
            for t in rec.get("tests", []):
                f.write(json.dumps({"kind": "result", "nodeid": t["nodeid"], "outcome": "passed",
                                    "message": ""}) + "\\n")
        f.write(json.dumps({"kind": "finished", "exitstatus": 0}) + "\\n")
os._exit(0)
'''

#: one attack per exercise, all graded in one run
ATTACKS = {
    "ex01_twos_complement": FORGE_REPORT,
    "ex02_full_adder": f'''
import sys
sys.path.insert(0, {str(ROOT)!r})
from solutions.ex02_full_adder import full_adder
''',
    "ex03_ripple_carry_adder": f'''
exec(open({str(ROOT / "solutions" / "ex03_ripple_carry_adder.py")!r}).read())
''',
    "ex04_prefix_carries": '''
import pytest
def prefix_carries(g, p, cin):
    pytest.exit("the student stops the run")
''',
    "ex05_booth_recode": '''
import signal
signal.signal = lambda *args: None
signal.setitimer = lambda *args: None
signal.alarm = lambda *args: None
def booth_recode(b, width):
    while True:
        pass
def booth_multiply(a, b, width):
    while True:
        pass
''',
    "ex06_mac_saturate": '''
import os, signal
def mac_saturating(a, b, clear, enable):
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os.killpg(os.getpgid(0), signal.SIGKILL)
''',
    "ex07_pe_update": '''
class Yes(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def wrap32(x):
    return Yes(0)
def ws_pe_step(a_in, p_in, w):
    return (Yes(0), Yes(0))
def os_pe_step(a_in, b_in, acc):
    return (Yes(0), Yes(0), Yes(0))
''',
    "ex08_skew_schedule": '''
import gc, sys
def _reference(name):
    for m in list(sys.modules.values()):
        if "test_ex08" in getattr(m, "__name__", ""):
            return m
    for obj in gc.get_objects():
        if getattr(obj, "__name__", "") == name:
            return obj
def skew(a, rows):
    return _reference("skewed")(None, a, rows)
def active_steps(i, j, m, rows):
    return _reference("active_steps")(i, j, m, rows)
''',
    "ex09_cycle_formula": '''
from chipkit.config import ArrayConfig
from chipkit.models import array_cycles
def gemm_cycles(m, n, k, rows, cols, dataflow="ws"):
    return array_cycles.gemm_cycles(m, n, k, ArrayConfig(rows, cols, dataflow))
def utilization(m, n, k, rows, cols, dataflow="ws"):
    cfg = ArrayConfig(rows, cols, dataflow)
    return array_cycles.utilization(m, n, k, cfg, array_cycles.gemm_cycles(m, n, k, cfg))
''',
    "ex10_tiling_loop": '''
def tiled_gemm(a, b, rows, cols, array_fold):
    raise KeyboardInterrupt
''',
    "ex11_requantize": '''
import subprocess, sys
def requantize(acc, multiplier, shift):
    out = subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True)
    return out
''',
    "ex12_integer_exp": '''
from chipkit.models import intmath
def exp2_table():
    return list(intmath.EXP2_LUT)
def exp2_neg(u):
    return intmath.exp2_neg(u)
''',
    "ex13_decode": '''
from chipkit import isa
def decode(word):
    instr = isa.decode(word)
    return instr.op.mnemonic, dict(instr.args)
''',
    "ex14_gemm_relu_program": f'''
import pathlib
def gemm_relu_program(m, lanes, a, w, c, out):
    for p in pathlib.Path({str(ROOT / "tests" / "exercises")!r}).glob("test_*.py"):
        p.write_text("")
    raise SystemExit(0)
''',
}


def test_every_attack_scores_zero_on_its_exercise_and_nothing_else_moves(tmp_path):
    before = {p: p.read_bytes() for p in (ROOT / "tests" / "exercises").glob("*.py")}
    started = time.monotonic()
    report = grade(solutions_copy(tmp_path, **ATTACKS), timeout=TIMEOUT)
    exercises = by_name(report)
    assert set(exercises) == set(ATTACKS)
    for name, ex in exercises.items():
        assert ex["score"] == 0 and ex["max"] > 0, (name, ex["tests"])
        assert all(t["outcome"] != "not run" for t in ex["tests"]), (name, ex["tests"])
    assert {p: p.read_bytes() for p in before} == before  # the tests were not rewritten
    messages = {n: " ".join(t["message"] for t in ex["tests"]) for n, ex in exercises.items()}
    assert "not allowed while grading" in messages["ex02_full_adder"]
    assert "graded against" in messages["ex09_cycle_formula"]
    assert "KeyboardInterrupt" in messages["ex10_tiling_loop"]
    assert "Exit" in messages["ex04_prefix_carries"]
    assert "subclass of int" in messages["ex07_pe_update"]
    assert {t["outcome"] for t in exercises["ex05_booth_recode"]["tests"]} == {"timeout"}
    assert time.monotonic() - started < 300  # about 4 timeouts of 3 s, not minutes per test


def test_the_same_attacks_do_not_touch_honest_exercises(tmp_path):
    """A forged report in ex01, pytest.exit in ex04, KeyboardInterrupt in ex10: the other eleven
    exercises (the solutions) keep full marks, the ones after ex04 included."""
    attacks = {name: ATTACKS[name] for name in
               ("ex01_twos_complement", "ex04_prefix_carries", "ex10_tiling_loop")}
    report = grade(solutions_copy(tmp_path, **attacks), timeout=TIMEOUT)
    for name, ex in by_name(report).items():
        want = 0 if name in attacks else ex["max"]
        assert ex["score"] == want, (name, ex["tests"])


EX01 = {
    "the reference solution": "from solutions.ex01_twos_complement import encode, decode\n",
    "the reference solution by path": f"exec(open({str(ROOT / 'solutions')!r} + "
                                      "'/ex01_twos_complement.py').read())\n",
    "the grader's reference": "from chipkit.numerics import to_twos as encode, "
                              "from_twos as decode\n",
    "the grader's reference, wrapped": "from chipkit import numerics\n"
                                       "def encode(v, w):\n    return numerics.to_twos(v, w)\n"
                                       "def decode(b, w):\n    return numerics.from_twos(b, w)\n",
    "an int subclass that equals everything": "class Yes(int):\n"
                                              "    __eq__ = lambda self, other: True\n"
                                              "    __hash__ = int.__hash__\n"
                                              "def encode(v, w):\n    return Yes(0)\n"
                                              "decode = encode\n",
}


@pytest.mark.parametrize("attack", list(EX01))
def test_ex01_attacks_score_zero(tmp_path, attack):
    folder = solutions_copy(tmp_path, ex01_twos_complement=EX01[attack])
    report = grade(folder, only="ex01", timeout=TIMEOUT)
    assert report["score"] == 0 and report["max"] > 0, report["exercises"][0]["tests"]


def test_a_numpy_integer_where_an_int_is_required_fails_and_says_so(tmp_path):
    source = (ROOT / "solutions" / "ex01_twos_complement.py").read_text().replace(
        "return value & ", "return np.int64(value) & ") + "\nimport numpy as np\n"
    folder = solutions_copy(tmp_path, ex01_twos_complement=source)
    tests = grade(folder, only="ex01", timeout=TIMEOUT)["exercises"][0]["tests"]
    lost = {t["name"]: t["message"] for t in tests if t["outcome"] != "passed"}
    assert set(lost) == {"test_encode", "test_encode_extremes"}, tests
    assert all("numpy.int64" in m and "int(x) converts it" in m for m in lost.values()), lost


def _marked(marker: str) -> list[int]:
    """The processes whose environment holds `marker` (started by the grading run under test)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker.encode() in f.read():
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_stopping_the_grader_leaves_no_process_behind(tmp_path, how):
    marker = f"CHIPKIT_GRADE_RUN={os.getpid()}_{how}"
    folder = solutions_copy(tmp_path, ex05_booth_recode=ATTACKS["ex05_booth_recode"])
    env = dict(os.environ, CHIPKIT_GRADE_RUN=marker.split("=")[1])
    proc = subprocess.Popen([sys.executable, "-m", "chipkit.cli", "grade", "--impl", str(folder),
                             "--only", "ex05", "--timeout", "60"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # four processes: the grader, pytest, the zygote and the worker running the student's loop
    while len(_marked(marker)) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_marked(marker)) >= 4, "the grading run never reached the student's loop"
    proc.send_signal(how)
    proc.wait(timeout=30)
    if how == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in proc.stderr.read().decode()
    deadline = time.monotonic() + 10
    while _marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _marked(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"
