"""`chipkit grade`: run tests/exercises in a pytest subprocess against a folder of exercise files,
then print a per-exercise score table ending in `Score: X/Y`, or one JSON object (--json).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from chipkit.errors import GradingError
from chipkit.grading.loader import GRADED_TESTS, exercise_names, project_root, resolve_impl

NEEDS = ("pytest", "pytest_timeout", "hypothesis")
PER_TEST_BUDGET = 40.0  # seconds a crashed or stuck pytest gets per graded test before it is killed


def _check_tools() -> None:
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        raise GradingError(f"chipkit grade needs {', '.join(missing)}: pip install -e '.[dev]' "
                           "in the course repository")


def _read_report(path: Path) -> tuple[list[dict], dict[str, dict], str | None, bool]:
    """(collected tests, {nodeid: result}, nodeid started but never finished, finished?)."""
    collected, results, started, finished = [], {}, None, False
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a crash
                continue
            if rec["kind"] == "collected":
                collected = rec["tests"]
            elif rec["kind"] == "start":
                started = rec["nodeid"]
            elif rec["kind"] == "result":
                results[rec["nodeid"]] = rec
            elif rec["kind"] == "finished":
                finished = True
    return collected, results, (started if started not in results else None), finished


def _pytest(root: Path, args: list[str], report: Path, impl: Path, timeout: float | None,
            budget: float) -> subprocess.CompletedProcess | None:
    cmd = [sys.executable, "-m", "pytest", *args, f"--impl={impl}", "-p", "chipkit.grading.plugin",
           f"--grade-report={report}", "-p", "no:cacheprovider", "-q", "--tb=no", "--no-header",
           f"--rootdir={root}"]
    if timeout:
        cmd.append(f"--timeout={timeout}")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    try:
        return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False,
                              timeout=budget, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None


def run_tests(impl_dir: Path, files: list[Path], root: Path, timeout: float | None = None):
    """Run the graded tests in `files`; return (collected tests, {nodeid: result}).

    A pytest process that dies (a student's os._exit, a segfault) or hangs past its budget is not
    the end: the test it was running scores 0 as "crashed" and the tests after it run in a new one.
    """
    with tempfile.TemporaryDirectory(prefix="chipkit-grade-") as tmp:
        collected, results, args = None, {}, [str(f) for f in files]
        for attempt in range(1, 100):
            report = Path(tmp) / f"report{attempt}.jsonl"
            budget = 60.0 + PER_TEST_BUDGET * (len(collected) if collected else 30)
            proc = _pytest(root, args, report, impl_dir, timeout, budget)
            tests, new, running, finished = _read_report(report)
            results.update(new)
            if collected is None:
                if not tests or (proc is not None and proc.returncode in (2, 3, 4) and not new):
                    tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] if proc else []
                    raise GradingError("pytest could not collect the graded tests: "
                                       + (tail[0] if tail else "it timed out"))
                collected = tests
            if finished and proc is not None or running is None:
                break  # done (or died between two tests: nothing to blame)
            why = "it timed out" if proc is None else f"it exited with code {proc.returncode}"
            results[running] = {"nodeid": running, "outcome": "crashed", "message":
                                f"the test run stopped during this test ({why}); the remaining "
                                "tests ran in a new process"}
            args = [t["nodeid"] for t in collected if t["nodeid"] not in results]
            if not args:
                break
    return collected, results


def grade(impl: str | Path = "exercises", only: str | None = None,
          timeout: float | None = None) -> dict:
    """Grade the exercise files `impl` names; return the report that --json prints.

    {"impl", "score", "max", "exercises": [{"name", "score", "max", "tests": [{"name", "outcome",
    "points", "max", "message"}]}]} -- "points" is what the test earned. `timeout` overrides the
    per-test default (seconds) of tests that do not set their own.
    """
    _check_tools()
    root = project_root()
    impl_dir = resolve_impl(impl, root)
    names = exercise_names(root)
    chosen = [n for n in names if only is None or only in n]
    if not chosen:
        raise GradingError(f"--only {only}: no exercise matches; they are {', '.join(names)}")
    files = [root / GRADED_TESTS / f"test_{n}.py" for n in chosen]
    collected, results = run_tests(impl_dir, files, root, timeout)
    exercises = []
    for name in chosen:
        tests = []
        for t in (t for t in collected if t["exercise"] == name):
            res = results.get(t["nodeid"], {"outcome": "not run", "message": "it did not run"})
            earned = t["points"] if res["outcome"] == "passed" else 0
            tests.append({"name": t["test"], "outcome": res["outcome"], "points": earned,
                          "max": t["points"], "message": res["message"]})
        exercises.append({"name": name, "score": sum(t["points"] for t in tests),
                          "max": sum(t["max"] for t in tests), "tests": tests})
    return {"impl": str(impl_dir), "score": sum(e["score"] for e in exercises),
            "max": sum(e["max"] for e in exercises), "exercises": exercises}


def format_table(report: dict, width: int = 100) -> str:
    """The score table: one line per exercise, then each lost test and why, then `Score: X/Y`."""
    lines = [f"Grading {report['impl']}", ""]
    for ex in report["exercises"]:
        lines.append(f"{ex['name']:<32} {ex['score']:>3}/{ex['max']}")
        hints = list(dict.fromkeys(t["message"] for t in ex["tests"]))
        if ex["score"] == 0 and all(h.startswith("not implemented yet") for h in hints):
            for h in hints:  # an untouched stub: say so once per hint, not once per test
                lines.append(textwrap.fill(h.replace("not implemented yet", "not started yet", 1),
                                           width=width, initial_indent="    ",
                                           subsequent_indent="        "))
            continue
        for t in ex["tests"]:
            if t["outcome"] != "passed":
                msg = "; ".join(line.strip() for line in t["message"].splitlines() if line.strip())
                lines.append(textwrap.fill(
                    f"{t['name']} (0/{t['max']}) {t['outcome']}: {msg}", width=width, max_lines=4,
                    initial_indent="    ", subsequent_indent="        ", placeholder=" ..."))
    lines += ["", f"Score: {report['score']}/{report['max']}"]
    return "\n".join(lines)


def grade_command(impl: str = "exercises", as_json: bool = False, only: str | None = None,
                  timeout: float | None = None) -> int:
    """`chipkit grade`: print the table (or the JSON report); 0 whenever grading ran."""
    report = grade(impl, only=only, timeout=timeout)
    print(json.dumps(report) if as_json else format_table(report))
    return 0
