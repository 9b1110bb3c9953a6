"""Shared fixtures: HDL tools that skip (or fail, with CHIPKIT_REQUIRE_HDL=1) when missing, and
hypothesis profiles (MyHDL simulations are slow, so no per-example deadline)."""
import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

from chipkit.flow import tools

matplotlib.use("Agg")

settings.register_profile(
    "chipkit", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("ci", parent=settings.get_profile("chipkit"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "chipkit"))


def _tool(name):
    path = tools.which(name)
    if path is None:
        msg = f"{name} not installed ({tools.TOOLS[name][2]})"
        if tools.hdl_required():
            pytest.fail(f"CHIPKIT_REQUIRE_HDL=1 but {msg}")
        pytest.skip(msg)
    return path


@pytest.fixture
def iverilog():
    return _tool("iverilog")


@pytest.fixture
def verilator():
    return _tool("verilator")


@pytest.fixture
def ghdl():
    return _tool("ghdl")
