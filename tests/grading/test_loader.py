"""chipkit.grading.loader: --impl resolution and a fresh, isolated import of each exercise file."""
from pathlib import Path

import pytest

from chipkit.errors import GradingError
from chipkit.grading.loader import (
    StudentImportError,
    exercise_names,
    load_exercise,
    project_root,
    resolve_impl,
)

ROOT = project_root()


def test_named_impls_are_project_folders_and_other_values_paths(tmp_path, monkeypatch):
    assert resolve_impl("solutions") == ROOT / "solutions"
    assert resolve_impl(None) == ROOT / "solutions"
    assert resolve_impl("exercises") == ROOT / "exercises"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / f"{exercise_names()[0]}.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert resolve_impl("mine") == tmp_path / "mine"


def test_bad_impls_are_one_line_grading_errors(tmp_path):
    (tmp_path / "file.py").write_text("")
    cases = [("/nonexistent/x", "does not exist"), (tmp_path / "file.py", "not a folder"),
             (tmp_path, "holds none of the exercise files")]
    for impl, match in cases:
        with pytest.raises(GradingError, match=match) as e:
            resolve_impl(impl)
        assert "\n" not in str(e.value)


def test_every_load_is_a_fresh_module(tmp_path):
    (tmp_path / "ex_count.py").write_text("calls = []\n\n\ndef f():\n    calls.append(1)\n"
                                          "    return len(calls)\n")
    first, second = load_exercise(tmp_path, "ex_count"), load_exercise(tmp_path, "ex_count")
    assert first is not second
    assert first.f() == 1 and first.f() == 2 and second.f() == 1
    assert not list(tmp_path.glob("__pycache__"))  # nothing written into a student's folder


@pytest.mark.parametrize(("source", "match"), [
    ("def f(:\n", r"ex_bad\.py could not be imported: SyntaxError: .*\(line 1\)"),
    ("raise RuntimeError('boom')\n", r"ex_bad\.py could not be imported: RuntimeError: boom"),
    ("import sys\nsys.exit(3)\n", r"ex_bad\.py could not be imported: SystemExit: 3"),
])
def test_an_import_failure_is_reported_once_then_remembered(tmp_path, source, match):
    path = tmp_path / "ex_bad.py"
    path.write_text(source)
    with pytest.raises(StudentImportError, match=match):
        load_exercise(tmp_path, "ex_bad")
    path.write_text("x = 1\n")  # fixed on disk, but this run has already judged the file
    with pytest.raises(StudentImportError, match=match):
        load_exercise(tmp_path, "ex_bad")


def test_a_missing_file_is_an_import_failure(tmp_path):
    with pytest.raises(StudentImportError, match=r"ex_gone\.py does not exist"):
        load_exercise(Path(tmp_path), "ex_gone")
