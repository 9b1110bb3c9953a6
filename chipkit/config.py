"""The one source of sizes: the systolic array's geometry and dataflow, checked where it is built.

`ArrayConfig.parse("4x8", "ws")` is what the CLI and the notebooks use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"array {name} must be an integer, got {v!r}")
            if not 1 <= v <= MAX_DIM:
                raise ConfigError(f"array {name} must be in 1..{MAX_DIM}, got {v}")
        if self.dataflow not in DATAFLOWS:
            raise ConfigError(f"unknown dataflow {self.dataflow!r}; use 'ws' (weight-stationary) "
                              "or 'os' (output-stationary)")

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
