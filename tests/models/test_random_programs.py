"""Random valid programs (tests/models/programs.py): the cycle model ends in the golden model's
state with the golden counters, accounts for every cycle, never refuses a race-free program, and
refuses one whose necessary `sync` was taken out."""
import re

import numpy as np
from hypothesis import Phase, assume, find, given, settings
from programs import random_programs

from chipkit import isa
from chipkit.models import core_fast, core_golden
from chipkit.models.core_golden import ProgramError


def check_same(text, cfg, dram):
    slow = core_golden.run(text, cfg, dram).state
    fast = core_fast.run(text, cfg, dram)
    assert slow.halted and fast.state.halted
    np.testing.assert_array_equal(fast.state.dram, slow.dram)
    for name, written in slow.written.items():
        np.testing.assert_array_equal(fast.state.written[name], written, err_msg=name)
        np.testing.assert_array_equal(fast.state.mems[name][written], slow.mems[name][written],
                                      err_msg=name)
    c = fast.counters
    for k in ("instructions", "macs", "dma_bytes"):
        assert c[k] == slow.counters[k], k
    assert c["cycles"] == fast.cycles == c["instructions"] + sum(
        v for k, v in c.items() if k.startswith("stall_"))
    return fast


@settings(max_examples=150, deadline=None)
@given(random_programs())
def test_random_program_fast_equals_golden(example):
    cfg, text, dram = example
    check_same(text, cfg, dram)


@settings(max_examples=60, deadline=None)
@given(random_programs())
def test_removing_a_needed_sync_is_refused_as_a_race(example):
    """Take out a `sync` the generator needed right after the instruction it waits for: the cycle
    model refuses the program as a race unless the two really do not overlap in time."""
    cfg, text, dram = example
    lines = text.splitlines()
    pcs = [i for i, line in enumerate(lines)
           if (m := re.search(r"# needed: waits for pc (\d+)", line)) and int(m[1]) == i - 1]
    assume(pcs)
    pc = pcs[0]
    cut = "\n".join(lines[:pc] + lines[pc + 1:]) + "\n"
    try:
        run = core_fast.run(cut, cfg, dram)
    except ProgramError as e:
        msg = str(e)  # names the instruction that lost its sync and the one it raced with
        assert msg.startswith(f"pc {pc} (") and re.search(
            r"while pc \d+ \(.*\) is still running on it; put `sync units=\d+`", msg), msg
        return
    # not refused: then the two really did not overlap (the conflicting job finished before the
    # instruction after the removed sync issued); such examples do not count
    jobs = {j.pc: j for j in run.timeline}
    assert jobs[pc].issued > jobs[pc - 1].done
    assume(False)


def test_generator_reaches_every_op():
    seen = set()

    @settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate])
    @given(random_programs())
    def collect(example):
        seen.update(line.split()[0] for line in example[1].splitlines())
        seen.update(f"mm accumulate={m}" for m in re.findall(r"accumulate=(\d)", example[1]))
        seen.update(f"vrq perchannel={m}" for m in re.findall(r"perchannel=(\d)", example[1]))
        seen.update(f"{op} mem={m}" for op, m in re.findall(r"^(dma\.\w+) mem=(\w+)",
                                                            example[1], re.M))

    collect()
    want = {op.mnemonic for op in isa.OPS} | {"mm accumulate=0", "mm accumulate=1",
                                              "vrq perchannel=0", "vrq perchannel=1"}
    want |= {f"{op} mem={m}" for op in ("dma.ld", "dma.st") for m in isa.MEMORIES}
    assert want <= seen, want - seen


def test_shrunk_programs_are_small():
    """Shrinking gives a small program with a matrix product (at best: load the tile, sync, lw,
    mm, halt; a double-buffered `gemm` action shrinks to two lw, mm pairs)."""
    cfg, text, dram = find(random_programs(), lambda ex: re.search(r"^mm ", ex[1], re.M),
                           settings=settings(database=None, max_examples=500))
    assert len(text.splitlines()) <= 8, text
    check_same(text, cfg, dram)

