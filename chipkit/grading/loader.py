"""Where the graded files are: the project root, the exercises, the folder --impl names.

Used by tests/exercises (through its conftest), by the generator and by `chipkit grade`; the files
themselves are imported in worker processes (chipkit.grading.remote).
"""
from __future__ import annotations

from pathlib import Path

import chipkit
from chipkit.errors import GradingError

#: the --impl names that mean a folder of the project; any other value is a path
NAMED_IMPLS = ("exercises", "solutions")
GRADED_TESTS = Path("tests") / "exercises"


class StudentImportError(Exception):
    """An exercise file that could not be imported: its tests fail with this message."""


def project_root() -> Path:
    """The folder holding tests/exercises: chipkit's source tree, else the current folder."""
    for root in (Path(chipkit.__file__).resolve().parent.parent, Path.cwd()):
        if (root / GRADED_TESTS).is_dir():
            return root
    raise GradingError(
        f"cannot find {GRADED_TESTS}/ next to chipkit or in the current folder; run chipkit grade "
        "from the course repository (a clone installed with pip install -e '.[dev]')"
    )


def exercise_names(root: Path | None = None) -> list[str]:
    """Names of the graded exercises (ex01_twos_complement, ...), from tests/exercises/test_*.py."""
    root = project_root() if root is None else root
    return sorted(p.stem.removeprefix("test_") for p in (root / GRADED_TESTS).glob("test_ex*.py"))


def resolve_impl(impl: str | Path | None, root: Path | None = None) -> Path:
    """The folder of exercise files that `impl` names: exercises/, solutions/ or a path.

    "exercises" and "solutions" are the project's folders; any other value is a path (relative to
    the current folder). A missing folder, or one with none of the exercise files, is GradingError.
    """
    impl = "solutions" if impl is None else str(impl)
    if impl in NAMED_IMPLS:
        folder = (project_root() if root is None else root) / impl
    else:
        folder = Path(impl).expanduser().resolve()
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise GradingError(
            f"--impl {impl}: {folder} {what}; "
            "give exercises, solutions or a folder of exercise files"
        )
    names = exercise_names(root)
    if names and not any((folder / f"{n}.py").is_file() for n in names):
        raise GradingError(
            f"--impl {impl}: {folder} holds none of the exercise files "
            f"({names[0]}.py ... {names[-1]}.py); point --impl at the folder that does"
        )
    return folder
