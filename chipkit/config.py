"""The one source of sizes: the systolic array's geometry and dataflow, checked where it is built.

`ArrayConfig.parse("4x8", "ws")` is what the CLI and the notebooks use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from chipkit.checks import check_type, show
from chipkit.errors import ConfigError

DATAFLOWS = ("ws", "os")
DATAFLOW_NAMES = {"ws": "weight-stationary", "os": "output-stationary"}
MAX_DIM = 256  # a sanity bound: the fast model holds (R+C)^2-sized state per fold


@dataclass(frozen=True)
class ArrayConfig:
    """A systolic array of `rows` x `cols` int8 MAC units with int32 accumulation.

    rows -- R, the number of PE rows (WS: the K dimension of a weight tile; OS: M)
    cols -- C, the number of PE columns (N for both dataflows)
    dataflow -- "ws" (weights stay in the PEs) or "os" (outputs stay in the PEs)
    """

    rows: int = 4
    cols: int = 4
    dataflow: str = "ws"

    def __post_init__(self):
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ConfigError(f"array {name} must be an integer, got {show(v)}")
            if not 1 <= v <= MAX_DIM:
                raise ConfigError(f"array {name} must be in 1..{MAX_DIM}, got {v}")
            object.__setattr__(self, name, int(v))  # a numpy integer becomes a Python int
        if not isinstance(self.dataflow, str) or self.dataflow not in DATAFLOWS:
            raise ConfigError(f"unknown dataflow {show(self.dataflow)}; use 'ws' "
                              "(weight-stationary) or 'os' (output-stationary)")

    @classmethod
    def parse(cls, array: str, dataflow: str = "ws") -> ArrayConfig:
        """From the text "RxC" (e.g. "4x8": 4 rows, 8 columns)."""
        m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(array))
        if not m:
            raise ConfigError(f"array must look like RxC, e.g. 4x4 or 8x16, got {array!r}")
        return cls(int(m[1]), int(m[2]), dataflow)

    @property
    def name(self) -> str:
        return f"{self.rows}x{self.cols}"

    @property
    def pes(self) -> int:
        return self.rows * self.cols


@dataclass(frozen=True)
class CoreConfig:
    """The inference core (docs/isa.md): an L x L weight-stationary array and its memories.

    lanes        -- L: the array is L x L; SRAM rows hold L int8, ACC rows L int32
    sram_rows    -- depth of the int8 scratchpad
    acc_rows     -- depth of the int32 accumulator memory
    param_rows   -- entries of vector parameters (m1, s1, m2, s2)
    scale_rows   -- rows of per-channel scales (L (multiplier, shift) pairs each)
    dram_bytes   -- size of the DRAM model
    dma_bytes_per_cycle, dram_latency -- the DRAM's bandwidth and latency (cycle models)
    """

    lanes: int = 8
    sram_rows: int = 2048
    acc_rows: int = 1024
    param_rows: int = 64
    scale_rows: int = 64
    dram_bytes: int = 1 << 20
    dma_bytes_per_cycle: int = 8
    dram_latency: int = 10

    def __post_init__(self):
        limits = {"lanes": 64, "sram_rows": 4096, "acc_rows": 4096, "param_rows": 4096,
                  "scale_rows": 4096, "dram_bytes": 1 << 22, "dma_bytes_per_cycle": 1 << 12,
                  "dram_latency": 1 << 12}
        for name, hi in limits.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= hi:
                raise ConfigError(f"core {name} must be an integer in 1..{hi} (the ISA's fields "
                                  f"set the upper bound), got {show(v)}")
            object.__setattr__(self, name, int(v))
        if self.lanes & (self.lanes - 1) or self.lanes < 2:
            raise ConfigError(f"core lanes must be a power of two from 2 to 64 (the 256-entry "
                              f"GELU table is stored L entries a row), got {self.lanes}")

    @property
    def array(self) -> ArrayConfig:
        return ArrayConfig(self.lanes, self.lanes, "ws")

    @property
    def lut_rows(self) -> int:
        return 256 // self.lanes


_EXAMPLES = {ArrayConfig: "e.g. ArrayConfig(4, 4, 'ws'); a CoreConfig's array is cfg.array",
             CoreConfig: "e.g. CoreConfig(lanes=4), the core with a 4 x 4 array"}


def check_config(cfg, cls: type, name: str = "cfg"):
    """`cfg` if it is a `cls` (ArrayConfig or CoreConfig); ConfigError saying which to pass."""
    if isinstance(cfg, ArrayConfig) and cls is CoreConfig:
        raise ConfigError(f"{name} must be a CoreConfig, got {cfg}: the inference core's sizes "
                          f"are a CoreConfig (CoreConfig(lanes={cfg.rows}) for a {cfg.rows} x "
                          f"{cfg.rows} array)")
    return check_type(cfg, cls, name, _EXAMPLES[cls])
