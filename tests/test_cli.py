"""The `chipkit` command: info works, usage mistakes are one line on stderr with exit code 2."""
import subprocess
import sys

import pytest

from chipkit.cli import main


def chipkit(*args):
    return subprocess.run([sys.executable, "-m", "chipkit.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_info_lists_versions_and_tools():
    p = chipkit("info")
    assert p.returncode == 0, p.stderr
    for word in ("chipkit", "python", "numpy", "myhdl", "iverilog", "verilator", "yosys"):
        assert word in p.stdout


@pytest.mark.parametrize("args", [["frobnicate"], [], ["grade", "--impl"]])
def test_usage_errors_are_one_line_exit_2(args):
    p = chipkit(*args)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_chipkit_errors_become_one_line(monkeypatch, capsys):
    from chipkit import cli
    from chipkit.errors import ConfigError

    def boom(args):
        raise ConfigError("width must be at least 1 bit,\n got 0")

    monkeypatch.setattr(cli, "cmd_info", boom)
    assert main(["info"]) == 2
    err = capsys.readouterr().err
    assert err == "chipkit: error: width must be at least 1 bit, got 0\n"
