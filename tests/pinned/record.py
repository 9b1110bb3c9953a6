"""Record the pinned core runs (tests/pinned/core_runs.json): a fixed set of programs, their
configurations and DRAM seeds, and what the core did with them -- cycles, every counter, and a
digest of every final memory and of the DRAM.

Run once, on the code whose behaviour is to be held (`python tests/pinned/record.py`); the test
beside it (test_pinned.py) then holds fast, rtl and verilator to these numbers through every
change. Recording checks that fast, rtl and verilator agreed when the pins were made.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from models.programs import _dram, _layout, random_programs  # noqa: E402

from chipkit.config import CoreConfig  # noqa: E402

SMALL = CoreConfig(lanes=2, sram_rows=64, acc_rows=32, param_rows=4, scale_rows=4,
                   dram_bytes=1 << 14, dma_bytes_per_cycle=3, dram_latency=7)
#: the configurations tests/hdl/test_core_verilator.py builds (their Verilator builds are shared)
CONFIGS = (SMALL, replace(SMALL, lanes=4, dma_bytes_per_cycle=16, dram_latency=1),
           replace(SMALL, lanes=8, dma_bytes_per_cycle=5, dram_latency=12))
MEMS = ("sram", "acc", "param", "scale", "lut")
GEMMS = ((0, 5, 9, 6, 11), (1, 8, 12, 8, 12), (2, 16, 16, 16, 13))  # config, m, k, n, seed


def digest(a) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.int64).tobytes()).hexdigest()[:16]


def gemm_case(i, m, k, n, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k))
    b = rng.integers(-128, 128, (k, n))
    a[0], b[:, 0] = -128, -128  # extremes: (-128)(-128) products in the first row
    return a, b


def load() -> dict:
    return json.loads((HERE / "core_runs.json").read_text())


def cases(spec: dict):
    """(case, cfg, program, dram image) of every pinned program."""
    from chipkit.compiler.gemm import compile_gemm  # noqa: PLC0415

    for case in spec["cases"]:
        cfg = CoreConfig(**case["cfg"])
        if case["kind"] == "gemm":
            prog = compile_gemm(*gemm_case(*case["gemm"]), cfg)
            yield case, cfg, prog.words, prog.dram
        else:
            yield case, cfg, case["program"], _dram(cfg, _layout(cfg), case["dram_seed"])


def outcome(run) -> dict:
    return {"cycles": int(run.cycles), "counters": {k: int(v) for k, v in run.counters.items()},
            "mems": {m: digest(run.state.mems[m]) for m in MEMS},
            "dram": digest(run.state.dram)}


def main():
    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415
    from hypothesis import strategies as st  # noqa: PLC0415

    from chipkit.backends import core_run  # noqa: PLC0415
    from chipkit.models import core_fast  # noqa: PLC0415

    drawn = []

    @settings(max_examples=600, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def draw(data):
        i = data.draw(st.sampled_from(range(len(CONFIGS))))
        _, text, _ = data.draw(random_programs(cfg=CONFIGS[i], max_actions=40))
        drawn.append((i, text, data.draw(st.integers(0, 2**32 - 1))))

    draw()

    def ops(text):
        return {line.split()[0] for line in text.splitlines() if line.strip()}

    # per configuration, greedily: the program that adds the most unseen instructions, longest
    # first among equals, four of them
    chosen = []
    for i in range(len(CONFIGS)):
        pool, seen = [d for d in drawn if d[0] == i], set()
        for _ in range(4):
            best = max(pool, key=lambda d: (len(ops(d[1]) - seen), len(d[1].splitlines())))
            chosen.append(best)
            seen |= ops(best[1])
            pool.remove(best)
    drawn = chosen
    spec = {"cases": []}
    for i, text, seed in drawn:
        spec["cases"].append({"name": f"random-L{CONFIGS[i].lanes}-{len(spec['cases'])}",
                              "kind": "random", "cfg": asdict(CONFIGS[i]), "program": text,
                              "dram_seed": seed})
    for i, m, k, n, seed in GEMMS:
        spec["cases"].append({"name": f"gemm-L{CONFIGS[i].lanes}-{m}x{k}x{n}", "kind": "gemm",
                              "cfg": asdict(CONFIGS[i]), "gemm": [i, m, k, n, seed]})
    for case, cfg, words, dram in cases(spec):
        fast = outcome(core_fast.run(words, cfg, dram))
        for sim in ("rtl", "verilator"):
            got = outcome(core_run.run(words, cfg, dram, sim))
            assert got == fast, (case["name"], sim, got, fast)
        case["dram_in"] = digest(np.asarray(dram, np.uint8))
        case["expect"] = fast
        print(case["name"], fast["cycles"], "cycles")
    (HERE / "core_runs.json").write_text(json.dumps(spec, indent=1) + "\n")


if __name__ == "__main__":
    main()
