"""chipkit.grading.loader: the project root, the exercises and --impl resolution."""

import pytest

from chipkit.errors import GradingError
from chipkit.grading.loader import exercise_names, project_root, resolve_impl

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
