"""Convert each block once per test session: the Verilog re-simulation and the lint share the
file."""
import pytest

from chipkit.flow.convert import convert


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    cache = {}

    def get(case, hdl="Verilog"):
        key = (case.name, hdl)
        if key not in cache:
            folder = tmp_path_factory.mktemp("hdl")
            cache[key] = convert(case.bench(), folder, hdl)
        return cache[key]

    return get
