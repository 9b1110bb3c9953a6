"""The overlap rule of docs/isa.md (chipkit.models.core_golden.overlap_error): no step of a vector
op may read an SRAM row that an earlier step of the same op wrote, for the vector unit streams
(it writes a step's result before it reads the later steps) where the golden model reads first.
Both models refuse such an op in the same words, naming the row, the two steps and what to
change, and accept every other placement; tests/hdl/test_core_verilator.py runs those on the RTL.
"""
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from programs import (
    one_vector_op,
    overlap_cases,
    overlap_sweep,
    random_programs,
    reads_own_result,
)

from chipkit import isa
from chipkit.config import CoreConfig
from chipkit.models import core_fast, core_golden
from chipkit.models.core_golden import OVERLAP_RULE, ProgramError, overlap_error

CFG = CoreConfig(lanes=2, sram_rows=64, acc_rows=32, param_rows=4, scale_rows=4,
                 dram_bytes=1 << 14)
CONFIGS = [replace(CFG, lanes=L) for L in (2, 4, 8)]


def refusals(text, cfg, dram):
    """(the golden model's ProgramError message or None, the cycle model's)."""
    out = []
    for model in (core_golden, core_fast):
        try:
            model.run(text, cfg, dram)
            out.append(None)
        except ProgramError as e:
            out.append(str(e))
    return tuple(out)


def test_a_move_onto_its_own_later_rows_is_refused_alike():
    """`vmove dst=src+3` over 4 rows: on the RTL, step 3 would read row 13, which step 0 had
    already overwritten, and write source row 0 again into row 16 instead of source row 3."""
    text, dram = one_vector_op(CFG, "vshape rows=4\nvmove dst=13, src=10")
    golden, fast = refusals(text, CFG, dram)
    assert golden == fast
    assert re.fullmatch(
        r"pc 6 \(vmove dst=13, src=10\): writes SRAM row 13 at logical row 0, chunk 0, then reads "
        r"it \(src\) at logical row 3, chunk 0: the vector unit streams and would read its own "
        r"result, the golden model the old row; put dst clear of src's rows 10\.\.13, or \(with "
        r"chunks=1\) at src or below it \(docs/isa\.md: where a vector op may write\)",
        golden), golden


@pytest.mark.parametrize(("lines", "refused"), [
    ("vshape rows=4\nvmove dst=10, src=10", None),  # in place
    ("vshape rows=4\nvmove dst=8, src=10", None),  # below the source, one chunk a row
    ("vshape rows=4\nvmove dst=11, src=10", "row 11 at logical row 0, chunk 0, then reads it "
     "(src) at logical row 1"),  # (the RTL's two-cycle pipeline happens to hide this one)
    ("vshape rows=3, chunks=2, cstride=1\nvrelu dst=10, src=10", "row 11 at logical row 0, "
     "chunk 1, then reads it (src) at logical row 1, chunk 0"),  # in place, chunks share rows
    ("vshape rows=3, chunks=2, cstride=3\nvrelu dst=10, src=10", None),
    ("vshape rows=3, chunks=2, cstride=4\nvgelu dst=13, src=10", None),  # between its chunks
    ("vshape rows=3, chunks=2, cstride=4\nvgelu dst=8, src=10", "row 12 at logical row 0, "
     "chunk 1, then reads it (src) at logical row 2, chunk 0"),
    ("vshape rows=2\nvlnorm dst=11, src=10", "row 11 at logical row 0, chunk 0, then reads it "
     "(src) at logical row 1"),
    ("vshape rows=2, chunks=2\nvlnorm dst=10, src=10", None),
    ("vshape rows=4\nvadd dst=10, src=0, src2=10, p=0", None),
    ("vshape rows=4\nvadd dst=12, src=0, src2=10, p=0", "row 12 at logical row 0, chunk 0, then "
     "reads it (src2) at logical row 2"),
    ("vshape rows=4\nvadd dst=12, src=12, src2=20, p=0", None),  # its src is in ACC
    ("vshape rows=4\nvtrans dst=10, src=10", None),  # two 2 x 2 blocks, each in place
    ("vshape rows=2\nvtrans dst=11, src=10", None),  # one block, read whole before it is written
    ("vshape rows=2, chunks=2\nvtrans dst=10, src=10", None),  # one block row, in place
    ("vshape rows=4, chunks=2\nvtrans dst=10, src=10", "row 12 at block 1 (logical rows 0..1, "
     "chunk 1), then reads it (src) at block 2 (logical rows 2..3, chunk 0)"),
    ("vshape rows=4, chunks=3\nvrq dst=0, src=0, p=1", None),  # reads ACC: any SRAM dst
    ("vshape rows=4, chunks=3\nvsoftmax dst=1, src=0, p=1", None),
])
def test_which_placements_are_refused(lines, refused):
    text, dram = one_vector_op(CFG, lines)
    golden, fast = refusals(text, CFG, dram)
    assert golden == fast
    if refused is None:
        assert golden is None
    else:
        assert golden is not None and f"writes SRAM {refused}" in golden, golden


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"L{c.lanes}")
def test_the_models_refuse_what_a_step_by_step_walk_refuses(cfg):
    """overlap_error (numpy) against tests/models/programs.py's reads_own_result (a plain walk),
    on every placement of the sweep's grid: the two agree on every one."""
    refused = 0
    for op, rows, chunks, cs, base, dst in overlap_cases(cfg):
        args = {"vadd": dict(src=0, src2=base, p=0)}.get(op, dict(src=base))
        why = overlap_error(isa.make(op, dst=dst, **args), (rows, chunks, cs), cfg.lanes)
        assert (why is not None) == reads_own_result(op, (rows, chunks, cs), dst, base,
                                                     cfg.lanes), (op, rows, chunks, cs, base, dst)
        refused += why is not None
    assert refused > 500


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"L{c.lanes}")
def test_the_models_agree_on_every_allowed_overlap(cfg):
    for text, dram in overlap_sweep(cfg):
        slow = core_golden.run(text, cfg, dram).state
        fast = core_fast.run(text, cfg, dram).state
        np.testing.assert_array_equal(fast.dram, slow.dram)
        for mem in slow.mems:
            np.testing.assert_array_equal(fast.mems[mem], slow.mems[mem], err_msg=mem)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"L{c.lanes}")
def test_the_models_refuse_every_broken_placement_alike(cfg):
    """Each placement of the sweep that breaks the rule (every fifth), alone in a program."""
    lines = [line for text, _ in overlap_sweep(cfg, legal=False) for line in text.splitlines()]
    ops = [line for line in lines if re.match(r"v(?!shape)", line)]
    shapes = [line for line in lines if line.startswith("vshape")]
    assert len(ops) == len(shapes) > 1000
    for shape, op in list(zip(shapes, ops))[::5]:
        one, dram = one_vector_op(cfg, f"{shape}\n{op}")
        golden, fast = refusals(one, cfg, dram)
        assert golden == fast and golden.startswith(f"pc 6 ({op}): writes SRAM row "), golden


@settings(max_examples=100, deadline=None)
@given(random_programs(refused_overlap=True))
def test_random_programs_are_refused_alike_exactly_where_they_break_the_rule(example):
    cfg, text, dram = example
    golden, fast = refusals(text, cfg, dram)
    assert golden == fast
    lines = text.splitlines()
    marked = [pc for pc, line in enumerate(lines) if line.endswith("# overlap: refused")]
    if marked:
        assert golden.startswith(f"pc {marked[0]} ({lines[marked[0]].split('  #')[0]}): "
                                 "writes SRAM row"), golden
    else:
        assert golden is None, golden


def test_the_generator_tries_every_kind_of_overlap():
    seen = set()

    @settings(max_examples=300, deadline=None, database=None, phases=[Phase.generate],
              derandomize=True)
    @given(random_programs(refused_overlap=True))
    def collect(example):
        seen.update(re.findall(r"^(v\w+) .*# overlap: ([\w ]+)$", example[1], re.M))

    collect()
    kinds = {kind for _, kind in seen}
    assert kinds == {"in place", "legal", "refused"}, seen
    assert len({op for op, kind in seen if kind == "refused"}) >= 3, seen


def test_docs_state_the_rule():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "isa.md").read_text()
    assert OVERLAP_RULE in " ".join(doc.split()) and "overlap_error" in doc
