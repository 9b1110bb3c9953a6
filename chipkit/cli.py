"""The `chipkit` command: `chipkit info`, `chipkit grade`, ... A user's mistake prints one line and
exits 2.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

from chipkit.errors import ChipkitError


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr and exit 2 (argparse's own code)."""

    def error(self, message):
        sys.stderr.write(f"chipkit: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def cmd_info(args) -> int:
    import matplotlib
    import myhdl
    import numpy

    import chipkit
    from chipkit.tools import TOOLS, version

    print(f"chipkit     {chipkit.__version__}")
    print(f"python      {platform.python_version()}")
    print(f"numpy       {numpy.__version__}")
    print(f"myhdl       {myhdl.__version__}")
    print(f"matplotlib  {matplotlib.__version__}")
    print("optional tools:")
    for name in TOOLS:
        v = version(name)
        print(f"  {name:10s}  {v if v else 'not found (' + TOOLS[name][2] + ')'}")
    return 0


def cmd_grade(args) -> int:
    from chipkit.grading.runner import grade_command

    return grade_command(impl=args.impl, as_json=args.json, only=args.only, timeout=args.timeout)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="chipkit", description="Design an int8 inference chip from the bits up.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    info = sub.add_parser("info", help="versions and the optional HDL tools found")
    info.set_defaults(func=cmd_info)
    g = sub.add_parser("grade", help="grade the exercises: a score table and Score: X/Y")
    g.add_argument("--impl", default="exercises",
                   help="exercises (default), solutions, or a folder with a student's files")
    g.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    g.add_argument("--only", default=None, help="grade only exercises whose name contains this")
    g.add_argument("--timeout", type=float, default=None,
                   help="seconds each graded test may run (default 10; some exercises allow more)")
    g.set_defaults(func=cmd_grade)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ChipkitError as e:
        msg = " ".join(str(e).split())
        sys.stderr.write(f"chipkit: error: {msg}\n")
        return 2
    except BrokenPipeError:  # `chipkit grade | head`: the reader left; nothing more to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("chipkit: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
