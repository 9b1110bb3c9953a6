"""`chipkit run --model tiny-transformer`: the shipped tiny transformer sorting 8 digits on the
simulated core, one compiled program run once per output token (greedy decoding: the host writes
the tokens, the chip computes the int32 logits, the host takes the argmax), every pass checked
against the integer golden model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from chipkit.backends.core_run import BACKENDS, run
from chipkit.checks import check_choice
from chipkit.compiler.transformer import CompiledModel, compile_model
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError
from chipkit.nn import integer, model, task
from chipkit.nn.quantize import QuantModel, quantize

MODELS = ("tiny-transformer",)
#: a nominal clock for turning cycles into time (a modest ASIC or a fast FPGA)
CLOCK_MHZ = 500
CALIBRATION = (1000, 2024)  # sequences and seed of the calibration batch


@lru_cache(maxsize=1)
def quantized() -> QuantModel:
    """The shipped weights, quantized with activation scales from a fixed calibration batch."""
    params = model.load_params()
    n, seed = CALIBRATION
    tokens, _ = task.make_batch(np.random.default_rng(seed), n)
    return quantize(params, model.activations(params, tokens))


@lru_cache(maxsize=8)
def compiled(cfg: CoreConfig) -> CompiledModel:
    return compile_model(quantized(), cfg, task.SEQ_LEN)


def parse_digits(text) -> np.ndarray:
    """"3 1 4 1 5 9 2 6" (or "31415926", or 8 ints) -> 8 digits; a ConfigError saying what is
    wrong otherwise."""
    if isinstance(text, str):
        parts = text.replace(",", " ").split()
        if len(parts) == 1 and len(parts[0]) == task.N_DIGITS:
            parts = list(parts[0])
    else:
        parts = list(text)
    if len(parts) != task.N_DIGITS:
        raise ConfigError(f"--input needs {task.N_DIGITS} digits 0..9, e.g. \"3 1 4 1 5 9 2 6\"; "
                          f"got {len(parts)} item(s)")
    digits = []
    for p in parts:
        s = str(p).strip()
        if not (s.isdigit() and len(s) == 1):
            raise ConfigError(f"--input: {s!r} is not a digit 0..9; give {task.N_DIGITS} digits "
                              "such as \"3 1 4 1 5 9 2 6\"")
        digits.append(int(s))
    return np.array(digits, dtype=np.int64)


@dataclass
class SortRun:
    input: list
    output: list
    backend: str
    array: str
    passes: int
    cycles: int
    cycles_per_pass: list
    macs: int
    match_golden: bool
    seconds: float
    per_op: dict = field(default_factory=dict)
    lanes: int = 8

    @property
    def sorted(self) -> bool:
        return self.output == sorted(self.input)

    @property
    def utilization(self) -> float:
        return self.macs / (self.lanes ** 2 * self.cycles) if self.cycles else 0.0

    @property
    def clock_mhz(self) -> int:
        return CLOCK_MHZ

    @property
    def time_us(self) -> float:
        return self.cycles / CLOCK_MHZ

    def to_json(self) -> dict:
        return {"input": self.input, "output": self.output, "sorted": self.sorted,
                "backend": self.backend, "array": self.array, "passes": self.passes,
                "cycles": self.cycles, "cycles_per_pass": self.cycles_per_pass,
                "macs": self.macs, "utilization": round(self.utilization, 4),
                "match_golden": self.match_golden, "seconds": round(self.seconds, 3),
                "clock_mhz": CLOCK_MHZ, "time_us": round(self.time_us, 2), "per_op": self.per_op}


def op_label(comment: str) -> str:
    """The model op an instruction implements, from its listing comment ("L0 attn h1 QK^T")."""
    return comment.split(":")[0].strip() if comment else "control"


def per_op_cycles(cm: CompiledModel, run_) -> dict:
    """Cycles by model op, summing exactly to the run's cycles: each cycle belongs to the op of
    the most recently issued instruction that a unit is working on then (the DMA, the weight
    loader, the array or the vector unit); a cycle when no unit works is "idle"."""
    owner = np.full(run_.cycles, -1, dtype=np.int64)
    for job in sorted(run_.timeline, key=lambda j: j.pc):
        owner[max(job.start, 0):job.done + 1] = job.pc
    labels = [op_label(c) for c in cm.program.comments]
    out: dict = {}
    pcs, counts = np.unique(owner, return_counts=True)
    for pc, n in zip(pcs.tolist(), counts.tolist()):
        name = "idle" if pc < 0 else labels[pc]
        out[name] = out.get(name, 0) + n
    return out


def sort_digits(digits, backend: str = "fast", cfg: CoreConfig | None = None,
                progress=None) -> SortRun:
    """Sort `digits` (8 of them) with the tiny transformer on `backend` (golden, fast, rtl,
    verilator) of the core `cfg` (default 8 x 8); every pass's logits compared with the integer
    golden model."""
    digits = parse_digits(digits)
    backend = check_choice(backend, "backend (--backend)", BACKENDS)
    cfg = CoreConfig() if cfg is None else check_config(cfg, CoreConfig)
    cm, qm = compiled(cfg), quantized()
    outputs, cycles, macs, match, per_op = [], [], 0, True, {}
    start = time.perf_counter()
    for i in range(task.N_DIGITS):
        tokens = task.sequences(digits[None, :], np.array([outputs], dtype=np.int64))[0]
        r = run(cm.words, cfg, cm.dram(tokens), backend)
        logits = cm.read_logits(r.dram)
        match &= bool(np.array_equal(logits, integer.forward(qm, tokens)))
        outputs.append(int(np.argmax(logits[task.N_DIGITS + i, : task.VOCAB])))
        timed = r if r.timeline else run(cm.words, cfg, cm.dram(tokens), "fast")
        cycles.append(int(r.cycles if r.cycles is not None else timed.cycles))
        macs += int(timed.counters["macs"])
        for op, c in per_op_cycles(cm, timed).items():
            per_op[op] = per_op.get(op, 0) + c
        if progress is not None:
            progress(i + 1, task.N_DIGITS)
    return SortRun(digits.tolist(), outputs, backend, f"{cfg.lanes}x{cfg.lanes}", task.N_DIGITS,
                   sum(cycles), cycles, macs, match, time.perf_counter() - start, per_op,
                   cfg.lanes)


def one_pass(cfg: CoreConfig | None = None) -> dict:
    """Cycles and utilization of one pass (16 tokens) on the cycle model: `chipkit bench`'s
    transformer numbers."""
    cfg = CoreConfig() if cfg is None else check_config(cfg, CoreConfig)
    cm = compiled(cfg)
    tokens = task.sequences(np.arange(task.N_DIGITS)[None, :], np.zeros((1, 0)))[0]
    r = run(cm.words, cfg, cm.dram(tokens), "fast")
    return {"array": f"{cfg.lanes}x{cfg.lanes}", "cycles_per_pass": int(r.cycles),
            "utilization": round(r.counters["macs"] / (cfg.lanes ** 2 * r.cycles), 4),
            "instructions": len(cm.instructions)}


def check_model(name: str) -> str:
    return check_choice(name, "model (--model)", MODELS)
