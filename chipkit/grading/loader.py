"""Where the graded files are and how they are imported: project root, --impl, fresh modules.

Used by tests/exercises (through its conftest), by the generator and by `chipkit grade`.
"""
from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import chipkit
from chipkit.errors import GradingError

#: the --impl names that mean a folder of the project; any other value is a path
NAMED_IMPLS = ("exercises", "solutions")
GRADED_TESTS = Path("tests") / "exercises"

_counter = itertools.count()
_failed: dict[Path, str] = {}  # exercise file -> why it did not import (not retried in this run)
_loaded: dict[Path, str] = {}  # exercise file -> name of its latest module in sys.modules


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


def load_exercise(folder: Path, name: str):
    """Import `folder`/`name`.py as a new module object, every call (a test never sees another's).

    Any failure -- a missing file, a syntax error, an exception or a timeout while importing --
    becomes a StudentImportError naming the file; a file that failed once fails at once for the rest
    of the run, so an import-time infinite loop costs one timeout, not one per test.
    """
    path = Path(folder) / f"{name}.py"
    if path in _failed:
        raise StudentImportError(_failed[path])
    if not path.is_file():
        _failed[path] = f"{path} does not exist: write your {name} in {path.name} there"
        raise StudentImportError(_failed[path])
    modname = f"chipkit_graded_{name}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module  # dataclasses, pickling and inspect look modules up here
    sys.modules.pop(_loaded.get(path, ""), None)
    _loaded[path] = modname
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ in the student's folder
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # SystemExit and pytest-timeout's Failed included
        _failed[path] = f"{path.name} could not be imported: {_describe(e)}"
        raise StudentImportError(_failed[path]) from e
    finally:
        sys.dont_write_bytecode = dont_write
    return module


def _describe(e: BaseException) -> str:
    if isinstance(e, SyntaxError):
        return f"SyntaxError: {e.msg} (line {e.lineno})"
    text = str(e).strip().splitlines()
    if "Timeout" in type(e).__name__ or (text and text[0].startswith("Timeout")):
        return "it did not finish importing in time (a loop at the top level of the file?)"
    return f"{type(e).__name__}: {text[0] if text else ''}".rstrip(": ")
