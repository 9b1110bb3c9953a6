"""The checker of the driver / monitor / model / checker split: compare what a simulation put out
with what a model says, and name the first step where they differ and the inputs that led there.
"""
from __future__ import annotations

import numpy as np

from chipkit.errors import ConfigError, SimulationError


class Mismatch(SimulationError):
    """A simulation's outputs differ from the model's."""


def first_difference(got: dict, want: dict, vectors: dict | None = None, label: str = "") -> str:
    """A sentence about the first step where `got` and `want` ({output: per-step values}) differ,
    or "" when they agree on every output `want` names."""
    for name, d in (("got", got), ("want", want)):
        if not isinstance(d, dict):
            raise ConfigError(f"{name} must be a dict {{output name: per-step values}} (what "
                              f"Bench.run_myhdl returns), got {type(d).__name__}")
    if vectors is not None and not isinstance(vectors, dict):
        raise ConfigError(f"vectors must be a dict {{input name: per-step values}} or None, got "
                          f"{type(vectors).__name__}")
    for k in want:
        if k not in got:
            return f"{label}: no output {k!r} (got {sorted(got)})"
        g, w = np.asarray(got[k]), np.asarray(want[k])
        if g.shape != w.shape:
            return f"{label}: output {k} has shape {g.shape}, the model's has {w.shape}"
        bad = np.flatnonzero((g != w).reshape(len(g), -1).any(axis=1)) if g.ndim else (
            np.array([0]) if g != w else np.array([], dtype=int))
        if bad.size:
            t = int(bad[0])
            inputs = {n: int(v[t]) if np.ndim(v[t]) == 0 else np.asarray(v[t]).tolist()
                      for n, v in (vectors or {}).items()}
            where = f" with inputs {inputs}" if inputs else ""
            return (f"{label}: output {k} differs at step {t}{where}: got {g[t]!r}, "
                    f"want {w[t]!r} ({bad.size} of {len(g)} steps differ)")
    return ""


def compare(got: dict, want: dict, vectors: dict | None = None, label: str = "") -> None:
    """Raise Mismatch describing the first difference between `got` and `want`, if any."""
    msg = first_difference(got, want, vectors, label)
    if msg:
        raise Mismatch(msg)
