"""The re-simulation runners refuse to read undefined outputs: registers never reset show up as
x in Icarus and U in GHDL, and must not be taken for numbers."""
import numpy as np
import pytest
from blocks import mac_case

from chipkit.errors import SimulationError
from chipkit.flow.resim import run_iverilog
from chipkit.flow.resim_vhdl import run_ghdl


def unreset_vectors():
    v = mac_case(False).vectors(np.random.default_rng(0), 5)
    v["reset"][:] = 0
    v["clear"][:] = 0
    return v


@pytest.mark.hdl
def test_iverilog_reports_undefined_outputs(iverilog):
    msg = r"output 'acc' is undefined \([xXzZ]+\) at step 0 in the Verilog"
    with pytest.raises(SimulationError, match=msg):
        run_iverilog(mac_case(False).bench(), unreset_vectors())


@pytest.mark.hdl
def test_ghdl_reports_undefined_outputs(ghdl):
    msg = r"output 'acc' is undefined \([UX]+\) at step 0 in the VHDL"
    with pytest.raises(SimulationError, match=msg):
        run_ghdl(mac_case(False).bench(), unreset_vectors())
