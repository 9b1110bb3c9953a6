"""What the graded tests in tests/exercises share: hypothesis settings, a timeout nothing swallows,
bits that count gate levels, and an exact fast reference for long saturating MACs.

All of it runs in the grader's process; what runs beside the student's code is in probes.py.
"""
from __future__ import annotations

import signal

import numpy as np
from hypothesis import HealthCheck, Phase, settings

from chipkit.grading.wire import Foreign
from chipkit.numerics import signed_range

#: every graded property test: reproducible (same submission, same score), no per-example deadline
#: (a MyHDL simulation takes longer than hypothesis' 200 ms default), nothing saved between runs
GRADED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=60,
    print_blob=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no explain
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: for tests whose examples are expensive (long sequences): report the first failing example found
#: instead of shrinking it for seconds (the assertion message points at the failing cycle anyway)
NO_SHRINK = settings(GRADED, phases=[Phase.explicit, Phase.reuse, Phase.generate])


class GradedTimeout(BaseException):
    """A graded test ran out of time. Not an Exception, so neither hypothesis (which would replay
    the looping example with no timer left) nor a student's `except Exception` can catch it."""


def arm_timeout(item, timeout_settings) -> bool:
    """pytest-timeout's pytest_timeout_set_timer for graded tests: SIGALRM raises GradedTimeout."""
    seconds = timeout_settings.timeout

    def handler(signum, frame):
        raise GradedTimeout(f"Timeout: the test took more than {seconds:g} s (an endless loop?)")

    def cancel():
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # pytest-timeout's own pytest_timeout_cancel_timer calls this
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return True


def plain(got, kind: type, call: str):
    """`got`, if it is exactly a `kind` (an int, say); otherwise an AssertionError that says what
    came back instead (a numpy integer, a bool, an int subclass) and how to fix it."""
    if type(got) is kind:
        return got
    if type(got) is Foreign:  # it says what it was and what to return
        raise AssertionError(f"{call} returned {got!r}")
    hint = f"{kind.__name__}(x) converts it" if isinstance(got, (np.generic, bool)) else \
        f"return a plain {kind.__name__}"
    name = f"{type(got).__module__}.{type(got).__qualname__}".removeprefix("builtins.")
    raise AssertionError(f"{call} returned {got!r}, of type {name}: the grader wants "
                         f"exactly a Python {kind.__name__} ({hint})")


class TracedBit:
    """A bit that remembers how many gate levels (& | ^) it passed through since the inputs.

    Only & | ^ work on it (with other TracedBits or the ints 0 and 1): `if`, `and`, `or`, `==` and
    int() raise TypeError, because they would compute a carry without building the gates for it.
    """

    __slots__ = ("depth", "value")

    def __init__(self, value: int, depth: int = 0):
        self.value, self.depth = int(value), depth

    def _gate(self, other, op):
        if isinstance(other, TracedBit):
            return TracedBit(op(self.value, other.value), 1 + max(self.depth, other.depth))
        if isinstance(other, (int, np.integer)) and int(other) in (0, 1):
            return TracedBit(op(self.value, int(other)), 1 + self.depth)
        return NotImplemented

    def __and__(self, other):
        return self._gate(other, int.__and__)

    def __or__(self, other):
        return self._gate(other, int.__or__)

    def __xor__(self, other):
        return self._gate(other, int.__xor__)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def _refuse(self, *args):
        raise TypeError("the grader's bits only go through & | ^ gates: no if/and/or/==/int() on "
                        "bit values (they compute a carry without building the gates for it)")

    __bool__ = __int__ = __index__ = __eq__ = __ne__ = _refuse
    __hash__ = None

    def __repr__(self):
        return f"TracedBit({self.value}, depth={self.depth})"


def saturating_mac_runs(runs, acc_width: int = 32) -> np.ndarray:
    """Exact accumulator trace of a saturating MAC, fast for long runs of one repeated input.

    runs -- (a, b, clear, enable, length) tuples; the MAC sees each tuple `length` cycles in a row.
    Within a run the product x never changes, so acc moves one way and, once clamped, stays at the
    bound: acc after k cycles is clip(acc0 + k*x). (Over a whole mixed sequence cumsum-then-clip is
    wrong: saturation depends on the path.) The semantics of arith.mac(..., saturating=True).
    """
    lo, hi = signed_range(acc_width)
    acc, parts = 0, []
    for a, b, clear, enable, length in runs:
        k = np.arange(1, length + 1, dtype=np.int64)
        if clear:
            acc, trace = 0, np.zeros(length, dtype=np.int64)
        elif enable:
            trace = np.clip(acc + int(a) * int(b) * k, lo, hi)
        else:
            trace = np.full(length, acc, dtype=np.int64)
        parts.append(trace)
        acc = int(trace[-1]) if length else acc
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def expand_runs(runs) -> tuple[np.ndarray, ...]:
    """The per-cycle (a, b, clear, enable) arrays that `runs` describe."""
    lengths = [r[4] for r in runs]
    cols = np.array([r[:4] for r in runs], dtype=np.int64).reshape(-1, 4)
    return tuple(np.repeat(cols[:, j], lengths) for j in range(4))
