"""Every lane count CoreConfig accepts builds as RTL: the core's widths come from the config, the
DMA queue and the ISA's fields. For each, the core converts to Verilog and one small program
(DMA loads, lw, mm with and without accumulate, a vector op, a DMA store) ends on the MyHDL core
exactly as on the cycle model: cycles, every counter, every memory and the DRAM."""
import numpy as np
import pytest

from chipkit.backends import core_rtl
from chipkit.backends.core_verilator import TOP, convert_core
from chipkit.config import CoreConfig
from chipkit.models import core_fast

LANES = [2, 4, 8, 16, pytest.param(64, marks=pytest.mark.slow)]


def small_core(lanes: int) -> CoreConfig:
    return CoreConfig(lanes=lanes, sram_rows=max(64, lanes + 8), acc_rows=32, param_rows=4,
                      scale_rows=4, dram_bytes=lanes * lanes + 16 * lanes + 64,
                      dma_bytes_per_cycle=max(8, lanes), dram_latency=3)


def program(lanes: int) -> str:
    """A weight tile and two rows of A into SRAM, A x W into ACC twice (the second adds), the
    result rows out to DRAM, a per-tensor requantize and a ReLU on the vector unit."""
    L = lanes
    return f"""
dma.ld mem=sram, row=0, dram=0, rows={L}
dma.ld mem=sram, row={L}, dram={L * L}, rows=2
dma.ld mem=param, row=0, dram={L * L + 2 * L}, rows=1
sync units=1
lw row=0, buf=1
mm a={L}, rows=2, acc=0, buf=1
mm a={L}, rows=1, acc=1, buf=1, accumulate=1
sync units=4
dma.st mem=acc, row=0, dram={L * L + 2 * L + 8}, rows=2
vshape rows=2, chunks=1
vrq dst={L + 2}, src=0, p=0
vrelu dst={L + 4}, src={L}
halt
"""


def _dram(cfg: CoreConfig) -> np.ndarray:
    dram = np.random.default_rng(cfg.lanes).integers(0, 256, cfg.dram_bytes).astype(np.uint8)
    L = cfg.lanes
    dram[L * L + 2 * L:][:8] = [1, 0, 10, 0, 0, 0, 0, 0]  # PARAM: m1 = 1, s1 = 10
    return dram


@pytest.mark.parametrize("lanes", LANES)
def test_core_of_every_lane_count_converts_and_runs(lanes, tmp_path):
    cfg = small_core(lanes)
    vfile = convert_core(cfg, tmp_path, imem_depth=16)
    assert f"module {TOP}" in vfile.read_text()
    text, dram = program(lanes), _dram(cfg)
    fast = core_fast.run(text, cfg, dram)
    rtl = core_rtl.run(text, cfg, dram)  # the MyHDL core
    assert rtl.cycles == fast.cycles
    assert rtl.counters == fast.counters
    for mem in ("sram", "acc", "param", "scale", "lut"):
        np.testing.assert_array_equal(rtl.state.mems[mem], fast.state.mems[mem], err_msg=mem)
    np.testing.assert_array_equal(rtl.state.dram, fast.state.dram, err_msg="dram")
    assert fast.counters["macs"] == 3 * lanes * lanes  # the program did what it says
