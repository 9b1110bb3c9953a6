"""`chipkit gemm --target core`: a GEMM as a program on the inference core, operands in DRAM."""
import json
import subprocess
import sys

import numpy as np
import pytest

from chipkit.backends.core_gemm import core_gemm
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError


def cli(*args):
    return subprocess.run([sys.executable, "-m", "chipkit.cli", "gemm", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("backend", ["golden", "fast", "rtl"])
def test_core_gemm_matches_numpy(backend):
    rng = np.random.default_rng(5)
    a, b = rng.integers(-128, 128, (13, 11)), rng.integers(-128, 128, (11, 7))
    r = core_gemm(a, b, CoreConfig(lanes=4), backend)
    np.testing.assert_array_equal(r.product, a @ b)
    assert r.match_golden and r.macs == 13 * 11 * 7
    if backend == "golden":
        assert r.cycles is None and r.utilization is None
    else:
        assert r.cycles == r.counters["cycles"] > r.counters["array_busy"] > 0
        assert r.to_json()["core_vs_scalesim_ws"] == round(r.cycles / r.scalesim_cycles, 4)
    if backend == "rtl":  # the MyHDL core: the cycle model's cycles and counters exactly
        assert r.counters == core_gemm(a, b, CoreConfig(lanes=4), "fast").counters


def test_cli_core_json_has_the_array_keys_and_counters():
    p = cli("--m", 20, "--n", 16, "--k", 24, "--array", "8x8", "--target", "core", "--backend",
            "fast", "--seed", 3, "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    for key in ("cycles", "macs", "utilization", "match_golden", "backend", "dataflow", "array",
                "counters", "core_vs_scalesim_ws"):
        assert key in d
    assert d["match_golden"] is True and d["target"] == "core"
    assert d["counters"]["stall_sync"] >= 0 and d["cycles"] == d["counters"]["cycles"]


@pytest.mark.parametrize(("args", "message"), [
    (["--backend", "vhdl"], "the core runs on golden, fast, rtl, verilator, not 'vhdl'"),
    (["--array", "4x8"], "square weight-stationary array"),
    (["--dataflow", "os"], "square weight-stationary array"),
    (["--target", "chip"], "unknown --target 'chip'; use array or core"),
])
def test_cli_core_bad_input_is_one_line(args, message):
    p = cli("--m", 4, "--n", 4, "--k", 4, "--target", "core", *args)
    assert p.returncode == 2 and message in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_core_gemm_rejects_unknown_backends():
    with pytest.raises(ConfigError, match="golden, fast, rtl, verilator, not 'gpu'"):
        core_gemm(np.ones((2, 2), int), np.ones((2, 2), int), CoreConfig(lanes=2), "gpu")
