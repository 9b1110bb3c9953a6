"""The pytest plugin `chipkit grade` loads into its pytest subprocess (-p chipkit.grading.plugin).

It writes one JSON line per event to --grade-report as the run goes (the graded tests with their
points and timeouts, then each test's start and result), so `chipkit grade` can see a test that
runs too long and stop it. Students' code never runs in this process (chipkit.grading.remote), so
nothing in it can write here; the process ends when `chipkit grade` does.
"""
from __future__ import annotations

import json
import os
from itertools import takewhile
from pathlib import Path

import pytest

MESSAGE_CHARS = 600


def pytest_addoption(parser):
    parser.addoption("--grade-report", default=None, help="write chipkit's JSON-lines report here")


def exercise_of(item) -> str:
    """ex01_twos_complement for tests/exercises/test_ex01_twos_complement.py."""
    return Path(str(item.path)).stem.removeprefix("test_")


def points_of(item) -> int:
    marker = item.get_closest_marker("points")
    return int(marker.args[0]) if marker and marker.args else 0


def timeout_of(item) -> float | None:
    marker = item.get_closest_marker("timeout")
    return float(marker.args[0]) if marker and marker.args else None


def _where(excinfo, folder: Path | None) -> str:
    """' (at ex05_booth_recode.py:17 in booth_multiply)': the deepest line of the graded file."""
    if folder is None or excinfo.errisinstance(AssertionError):
        return ""
    for entry in reversed(excinfo.traceback):
        if Path(str(entry.path)).parent == folder:
            return f" (at {Path(str(entry.path)).name}:{entry.lineno + 1} in {entry.name})"
    return ""


def summarize(excinfo, folder: Path | None = None) -> str:
    """The exception as a student should read it: type, message, where in the graded file, and
    hypothesis' failing case. `folder` holds the graded files."""
    if excinfo.errisinstance(NotImplementedError):
        return f"not implemented yet ({excinfo.value})"
    text = excinfo.exconly().strip()
    for prefix in ("AssertionError: ", "Failed: ", "chipkit.grading.checks.GradedTimeout: ",
                   "chipkit.grading.loader.StudentImportError: ",
                   "chipkit.grading.remote.StudentCrashed: ",
                   "chipkit.grading.remote.StudentStopped: ", "Exception: "):
        text = text.removeprefix(prefix)
    head, _, note = text.partition("\nFailing test case: ")  # hypothesis' note, if any
    lines = head.splitlines() or [""]
    # after our own message pytest explains the assert ("assert 0 == 1", "+  where ..."): drop it
    keep = [lines[0], *takewhile(lambda line: not line.startswith("assert "), lines[1:])]
    args = [a.strip().rstrip(",") for a in note.splitlines()[1:]]
    args = [a for a in args if a not in ("", ")") and not a.startswith("mod=")]
    text = "\n".join(keep) + _where(excinfo, folder)
    text += f"\nfailing case: {', '.join(args)}" if args else ""
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


class _Reporter:
    def __init__(self, path: str, folder: Path | None):
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 -- open for the whole session
        self.folder = folder
        self.results: dict[str, dict] = {}

    def write(self, **record):
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        tests = [{"nodeid": it.nodeid, "exercise": exercise_of(it), "test": it.name,
                  "points": points_of(it), "timeout": timeout_of(it)} for it in session.items]
        self.write(kind="collected", tests=tests)

    def pytest_runtest_logstart(self, nodeid, location):
        self.results[nodeid] = {"outcome": "passed", "message": ""}
        self.write(kind="start", nodeid=nodeid)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if call.excinfo is not None and report.failed:
            report.chipkit_message = summarize(call.excinfo, self.folder)
            report.chipkit_crashed = call.excinfo.typename == "StudentCrashed"
        return report

    def pytest_runtest_logreport(self, report):
        result = self.results.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
        if report.failed and result["outcome"] == "passed":
            head = getattr(report, "chipkit_message", "")[:40]
            result["outcome"] = ("timeout" if "Timeout" in head else
                                 "crashed" if getattr(report, "chipkit_crashed", False) else
                                 "failed") if report.when == "call" else "error"
            message = getattr(report, "chipkit_message", "")
            result["message"] = message or str(report.longrepr)[-300:]
        elif report.skipped and result["outcome"] == "passed":
            result["outcome"], result["message"] = "skipped", str(report.longrepr)[-300:]
        if report.when == "teardown":
            self.write(kind="result", nodeid=report.nodeid, **result)

    def pytest_sessionfinish(self, session, exitstatus):
        self.write(kind="finished", exitstatus=int(exitstatus))
        self.file.close()


def pytest_configure(config):
    path = config.getoption("--grade-report")
    if path:
        from chipkit.grading.sandbox import die_with

        die_with(os.getppid())  # `chipkit grade` stopped (Ctrl-C, killed): so is this run
        impl = config.getoption("--impl", None)
        folder = Path(impl).resolve() if impl else None
        config.pluginmanager.register(_Reporter(path, folder), "chipkit-grade-report")
