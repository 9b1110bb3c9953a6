"""`chipkit grade`: run tests/exercises in a pytest subprocess against a folder of exercise files,
then print a per-exercise score table ending in `Score: X/Y`, or one JSON object (--json).

The report is read here as pytest writes it, and this process holds the wall clock: a test that
runs past twice its timeout is stopped with its whole process group, whatever the code under
test does to its own timers. Students' code runs in workers of its own (chipkit.grading.remote).
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from chipkit.errors import GradingError
from chipkit.grading.loader import GRADED_TESTS, exercise_names, project_root, resolve_impl

NEEDS = ("pytest", "pytest_timeout", "hypothesis")
MAX_TIMEOUT = 600.0  # seconds: the longest per-test timeout --timeout may set
GRACE = 10.0  # seconds past twice a test's own timeout before the grader stops the whole run
COLLECT_LIMIT = 180.0  # seconds pytest may take to start and collect the graded tests


def check_timeout(timeout) -> float | None:
    """--timeout: None (each test's default) or a positive, finite number of seconds."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not 0 < timeout <= MAX_TIMEOUT:
        raise GradingError(f"--timeout must be a number of seconds above 0 and at most "
                           f"{MAX_TIMEOUT:g}, got {timeout!r}")
    return float(timeout)


def _check_tools() -> None:
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        raise GradingError(f"chipkit grade needs {', '.join(missing)}: pip install -e '.[dev]' "
                           "in the course repository")


class _Report:
    """The JSON-lines report the plugin writes, read as it grows."""

    def __init__(self, path: Path):
        self.path, self.offset, self.partial = path, 0, b""
        self.collected: list[dict] | None = None
        self.results: dict[str, dict] = {}
        self.running: tuple[str, float] | None = None  # (nodeid, when it started)
        self.finished = False

    def read(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = self.partial + f.read()
            self.offset = f.tell()
        *lines, self.partial = data.split(b"\n")
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec["kind"] == "collected":
                self.collected = rec["tests"]
            elif rec["kind"] == "start":
                self.running = (rec["nodeid"], time.monotonic())
            elif rec["kind"] == "result":
                self.results[rec["nodeid"]] = rec
                self.running = None
            elif rec["kind"] == "finished":
                self.finished = True

    def limit(self, nodeid: str, timeout: float | None) -> float:
        """How long the grader lets test `nodeid` run before it stops pytest."""
        own = next((t.get("timeout") for t in self.collected or () if t["nodeid"] == nodeid), None)
        return 2 * float(own or timeout or 10.0) + GRACE


def _pytest(root: Path, args: list[str], report: _Report, impl: Path, timeout: float | None,
            log: Path) -> tuple[int | None, str]:
    """Run pytest until it ends or a test outlives its limit; (exit code or None, last line)."""
    cmd = [sys.executable, "-m", "pytest", *args, f"--impl={impl}", "-p", "chipkit.grading.plugin",
           f"--grade-report={report.path}", "-p", "no:cacheprovider", "-q", "--tb=no",
           "--no-header", f"--rootdir={root}"]
    if timeout:
        cmd.append(f"--timeout={timeout}")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    started, code = time.monotonic(), None
    try:
        while code is None:
            code = proc.poll()
            report.read()
            now = time.monotonic()
            over = report.running and now - report.running[1] > report.limit(report.running[0],
                                                                              timeout)
            if code is None and (over or report.collected is None and now - started
                                 > COLLECT_LIMIT):
                break
            time.sleep(0.05 if code is None else 0)
    finally:
        if code is None:  # stopped by the grader, Ctrl-C or an error: take its whole group along
            _kill_group(proc)
    lines = log.read_text(errors="replace").strip().splitlines()
    return code, lines[-1] if lines else ""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_tests(impl_dir: Path, files: list[Path], root: Path, timeout: float | None = None):
    """Run the graded tests in `files`; return (collected tests, {nodeid: result}).

    Students' code runs in worker processes, never in pytest; still, a test that outlives twice
    its timeout (plus a grace) is stopped by this process: it scores 0 as "timeout" and the
    tests after it run in a new pytest.
    """
    with tempfile.TemporaryDirectory(prefix="chipkit-grade-") as tmp:
        collected, results, args = None, {}, [str(f) for f in files]
        for attempt in range(1, 100):
            report = _Report(Path(tmp) / f"report{attempt}.jsonl")
            code, last = _pytest(root, args, report, impl_dir, timeout, Path(tmp) / "log.txt")
            results.update(report.results)
            if collected is None:
                if not report.collected or (code in (2, 3, 4) and not report.results):
                    raise GradingError("pytest could not collect the graded tests: "
                                       + (last or "it timed out"))
                collected = report.collected
            running = report.running[0] if report.running else None
            if report.finished and code is not None or running is None:
                break  # done (or died between two tests: nothing to blame)
            why = (f"the grader stopped it after {report.limit(running, timeout):g} s"
                   if code is None else f"the test process exited with code {code}")
            results[running] = {"nodeid": running, "outcome": "timeout" if code is None else
                                "crashed", "message": f"this test did not finish ({why}); the "
                                "remaining tests ran in a new process"}
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
    timeout = check_timeout(timeout)
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
