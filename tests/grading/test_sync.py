"""exercises/ must be exactly what `python -m chipkit.grading.generate` makes from solutions/.

A student working in exercises/ will see this fail: that is expected, grade with `chipkit grade`.
"""
import ast
import re

from chipkit.grading.generate import HEADER, differences, make_exercise
from chipkit.grading.loader import exercise_names, project_root

ROOT = project_root()


def test_exercises_are_in_sync_with_solutions():
    problems = differences(ROOT / "solutions", ROOT / "exercises")
    assert not problems, (
        "exercises/ is out of sync with solutions/; run `python -m chipkit.grading.generate`:\n"
        + "\n".join(problems)
    )


def test_every_graded_exercise_has_a_solution_with_a_docstring_that_says_how_to_check():
    names = exercise_names(ROOT)
    assert len(names) >= 6
    for name in names:
        source = (ROOT / "solutions" / f"{name}.py").read_text()
        doc = ast.get_docstring(ast.parse(source)) or ""
        number = re.match(r"ex\d+", name).group(0)
        assert f"chipkit grade --only {number}" in doc, f"{name}: docstring lacks the grade command"
        assert "notebook" in doc, f"{name}: docstring should name its notebook"


def test_every_solution_region_becomes_a_stub():
    for path in sorted((ROOT / "solutions").glob("ex*.py")):
        source = path.read_text()
        exercise = make_exercise(source, str(path))
        regions = source.count("# BEGIN SOLUTION")
        assert regions >= 1
        stubs = exercise.count("raise NotImplementedError(") - HEADER.count("NotImplementedError(")
        assert stubs == regions
        assert "SOLUTION" not in exercise
