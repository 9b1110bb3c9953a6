"""Faults to inject into the MyHDL core for one run, to watch lockstep (chipkit.lockstep) find them.

    with faults.inject("wrong_lane", lane=5, by=1):    # lane 5 of every array result is 1 too high
        run = lockstep.run_lockstep(words, cfg, dram, a="fast", b="rtl")
    with faults.inject("short_dma_queue", depth=3):    # the DMA queue holds 3 jobs, not 4
        ...

How: `core()` in chipkit.hdl.core looks up two names of its module when it is elaborated (built),
not when this file is imported -- `core_array`, the block it builds as its array, and `DMA_QUEUE`,
the depth of the DMA engine's job queue. A fault replaces one of them for the `with`, so the core
built inside is the broken one, and puts the original back when the `with` ends, even after an
error. A core built before the `with` keeps what it was built with; the models are never touched.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from myhdl import Signal, always_comb, block, intbv

from chipkit.checks import check_int
from chipkit.errors import ConfigError
from chipkit.hdl import core as core_hdl


@contextmanager
def swapped(name: str, value) -> Iterator[None]:
    """chipkit.hdl.core's module-level `name` is `value` inside the `with`, the original after."""
    if not hasattr(core_hdl, name):
        raise ConfigError(f"chipkit.hdl.core has no {name!r} to replace; faults.py must follow "
                          "the names core() looks up")
    original = getattr(core_hdl, name)
    setattr(core_hdl, name, value)
    try:
        yield
    finally:
        setattr(core_hdl, name, original)


def array_with_a_wrong_lane(real_array, lane: int, by: int):
    """A block with the array's ports: the real array, and after it an adder that puts `by` on
    lane `lane` of every result row (lanes are the equal fields of the flat result bus `c_out`,
    lane 0 lowest; the sum wraps within its lane)."""

    @block
    def array_with_a_wrong_lane(clock, reset, w_in, w_load, w_buf, a_in, a_sel, a_valid, c_out,
                                c_valid, lanes, probe=None):
        """The core's array with one lane of its results off by a constant."""
        if not 0 <= lane < lanes:
            raise ConfigError(f"the array has lanes 0..{lanes - 1}, got lane={lane}")
        width = len(c_out) // lanes  # bits per lane
        mask = ((1 << width) - 1) << (width * lane)  # lane `lane` of the bus
        real_out = Signal(intbv(0)[len(c_out):])
        real = real_array(clock, reset, w_in, w_load, w_buf, a_in, a_sel, a_valid, real_out,
                          c_valid, lanes, probe=probe)

        @always_comb
        def bug():
            c_out.next = (real_out & ~mask) | ((real_out + (by << (width * lane))) & mask)

        return real, bug

    return array_with_a_wrong_lane


@contextmanager
def wrong_lane(lane: int = 0, by: int = 1) -> Iterator[None]:
    """A value fault: lane `lane` of every row the array produces comes out `by` too high."""
    lane = check_int(lane, "lane (of the array's result rows)", lo=0, hi=63)
    by = check_int(by, "by (what the fault adds to the lane)")
    if by == 0:
        raise ConfigError("by=0 adds nothing: a fault needs by != 0 (e.g. by=1)")
    with swapped("core_array", array_with_a_wrong_lane(core_hdl.core_array, lane, by)):
        yield


@contextmanager
def short_dma_queue(depth: int = 3) -> Iterator[None]:
    """A timing fault: the DMA engine queues `depth` jobs, not the ISA's DMA_QUEUE (4), so a
    controller that issues many dma instructions stalls earlier than the models say."""
    depth = check_int(depth, "depth (jobs the DMA queue holds: at least one)", lo=1)
    with swapped("DMA_QUEUE", depth):
        yield


#: every fault by name: inject(name, **params) calls FAULTS[name](**params)
FAULTS = {"wrong_lane": wrong_lane, "short_dma_queue": short_dma_queue}


def inject(name: str, **params):
    """The fault `name` (a key of FAULTS) with its parameters, as a context manager."""
    if not isinstance(name, str) or name not in FAULTS:
        raise ConfigError(f"unknown fault {name!r}; choose from {', '.join(FAULTS)}")
    return FAULTS[name](**params)
