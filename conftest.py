"""Project-wide pytest options: --impl chooses the exercise files that tests/exercises grade.

Without --impl the graded tests check solutions/, so the project's own test run proves the solutions
right; `chipkit grade` passes --impl exercises (or a student's folder) explicitly.
"""
import pytest

from chipkit.errors import GradingError


def pytest_addoption(parser):
    parser.addoption(
        "--impl", default=None,
        help="exercise files for tests/exercises: exercises, solutions (the default) or a folder",
    )


def pytest_configure(config):
    impl = config.getoption("--impl")
    if impl is not None:
        from chipkit.grading.loader import resolve_impl

        try:
            resolve_impl(impl)
        except GradingError as e:
            raise pytest.UsageError(str(e)) from e
