"""Exercises from solutions: each `# BEGIN SOLUTION` ... `# END SOLUTION` region becomes a stub.

Run `python -m chipkit.grading.generate` after editing solutions/ (`--check` only reports); the test
tests/grading/test_sync.py fails while exercises/ differs from what this would write.

Markers, in solutions/exNN_*.py:

    def encode(value, width):
        # BEGIN SOLUTION hint: mask the value to `width` bits
        return value & ((1 << width) - 1)
        # END SOLUTION

The region (marker lines included) becomes `raise NotImplementedError("<hint>")` at the marker's
indentation. The hint is the text after `hint:`; without one a generic hint is used. Regions do not
nest; END must sit at its BEGIN's indentation, and every line between them at least that deep.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

from chipkit.errors import ChipkitError
from chipkit.grading.loader import project_root

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?:[ \t]+hint:[ \t]*(?P<hint>.*?))?[ \t]*$")
END = re.compile(r"^(?P<indent>[ \t]*)# END SOLUTION[ \t]*$")
MARKER = re.compile(r"^[ \t]*#.*\b(BEGIN|END)[ _]SOLUTION", re.IGNORECASE)
DEFAULT_HINT = "replace this line with your code"
LINE = 100
#: written after the module docstring of every exercise
HEADER = (
    "# Your exercise: replace each `raise NotImplementedError(...)` with your code, keeping\n"
    "# the names and arguments. The imports you need are already here.\n"
)
#: added to HEADER when the stubs leave some of those imports unused
NOQA = "# ruff: noqa: F401\n"


def _raise_line(indent: str, hint: str) -> str:
    """`raise NotImplementedError("hint")`, over several lines if it would pass LINE columns."""
    def quote(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    one = f"{indent}raise NotImplementedError({quote(hint)})\n"
    if len(one) <= LINE + 1:
        return one
    inner = indent + "    "
    parts = textwrap.wrap(hint, LINE - len(inner) - 3, drop_whitespace=False)
    body = "".join(f"{inner}{quote(p)}\n" for p in parts)
    return f"{indent}raise NotImplementedError(\n{body}{indent})\n"


def strip_solutions(source: str, name: str = "<source>") -> str:
    """`source` with every solution region replaced by a NotImplementedError stub.

    Raises ChipkitError (with file and line) for nested, unclosed or unopened regions, an END at
    another indentation than its BEGIN, a line inside a region less indented than its markers, or
    a line that looks like a marker but is misspelt.
    """
    out: list[str] = []
    region = None  # (line number, indent, hint) of the open BEGIN
    for no, line in enumerate(source.splitlines(keepends=True), 1):
        begin, end = BEGIN.match(line), END.match(line)
        where = f"{name}:{no}"
        if begin:
            if region:
                raise ChipkitError(f"{where}: BEGIN SOLUTION inside the region opened at line "
                                   f"{region[0]}; close that one with # END SOLUTION first")
            region = (no, begin["indent"], begin["hint"] or DEFAULT_HINT)
        elif end:
            if not region:
                raise ChipkitError(f"{where}: END SOLUTION without a BEGIN SOLUTION before it")
            if end["indent"] != region[1]:
                raise ChipkitError(f"{where}: END SOLUTION is indented differently from its "
                                   f"BEGIN SOLUTION at line {region[0]}; line them up")
            out.append(_raise_line(region[1], region[2]))
            region = None
        elif MARKER.match(line):
            raise ChipkitError(f"{where}: malformed marker {line.strip()!r}; write "
                               "'# BEGIN SOLUTION [hint: ...]' or '# END SOLUTION'")
        elif region is None:
            out.append(line)
        elif line.strip() and not line.startswith(region[1]):
            raise ChipkitError(f"{where}: line is less indented than the BEGIN SOLUTION at line "
                               f"{region[0]}; end the region before leaving its block")
    if region:
        raise ChipkitError(f"{name}:{region[0]}: BEGIN SOLUTION is never closed by # END SOLUTION")
    return "".join(out)


def make_exercise(source: str, name: str = "<source>") -> str:
    """The exercise for a solution file: its regions stubbed, HEADER after the module docstring."""
    text = strip_solutions(source, name)
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise ChipkitError(f"{name}: the generated exercise is not valid Python ({e.msg}, line "
                           f"{e.lineno}); check the solution markers") from e
    lines = text.splitlines(keepends=True)
    has_doc = tree.body and isinstance(tree.body[0], ast.Expr) and ast.get_docstring(tree)
    at = tree.body[0].end_lineno if has_doc else 0
    header = HEADER + (NOQA if _unused_imports(tree) else "")
    return "".join(lines[:at]) + header + "".join(lines[at:])


def _unused_imports(tree: ast.Module) -> bool:
    """True if a module-level import's name is never used as a name in the module."""
    imported = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return bool(imported - used - {"annotations"})


def expected(solutions: Path) -> dict[str, str]:
    """{file name: exercise text} for every solutions/ex*.py."""
    return {p.name: make_exercise(p.read_text(), str(p)) for p in sorted(solutions.glob("ex*.py"))}


def differences(solutions: Path, exercises: Path) -> list[str]:
    """What differs between exercises/ and what solutions/ generate, one line per file."""
    want = expected(solutions)
    problems = []
    for fname, text in want.items():
        path = exercises / fname
        if not path.exists():
            problems.append(f"{path} is missing")
        elif path.read_text() != text:
            problems.append(f"{path} differs from what {solutions / fname} generates")
    for path in sorted(exercises.glob("ex*.py")):
        if path.name not in want:
            problems.append(f"{path} has no solution in {solutions}; delete it or add the solution")
    return problems


def write(solutions: Path, exercises: Path) -> list[Path]:
    """Write exercises/ from solutions/; return the files that changed."""
    exercises.mkdir(exist_ok=True)
    changed = []
    for fname, text in expected(solutions).items():
        path = exercises / fname
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m chipkit.grading.generate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only report differences; exit 1 if any")
    args = p.parse_args(argv)
    root = project_root()
    solutions, exercises = root / "solutions", root / "exercises"
    try:
        problems = differences(solutions, exercises) if args.check else []
        changed = [] if args.check else write(solutions, exercises)
    except ChipkitError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    for line in problems:
        print(line)
    for path in changed:
        print(f"wrote {path}")
    if not args.check:
        problems = [x for x in differences(solutions, exercises) if "has no solution" in x]
        for line in problems:
            print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
