"""The core's cycle model: every accepted program ends in the golden model's state, every cycle is
an issue or a counted stall, and unsynchronised programs are refused as races."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit.compiler.gemm import compile_gemm
from chipkit.config import CoreConfig
from chipkit.models import array_golden, core_fast, core_golden


def check_against_golden(words, cfg, dram):
    fast = core_fast.run(words, cfg, dram)
    slow = core_golden.run(words, cfg, dram)
    np.testing.assert_array_equal(fast.state.dram, slow.dram)
    for name in slow.mems:
        np.testing.assert_array_equal(fast.state.mems[name], slow.mems[name])
    c = fast.counters
    assert c["cycles"] == fast.cycles == c["instructions"] + sum(
        v for k, v in c.items() if k.startswith("stall_"))
    assert c["instructions"] == slow.counters["instructions"]
    assert c["macs"] == slow.counters["macs"] and c["dma_bytes"] == slow.counters["dma_bytes"]
    return fast


@settings(max_examples=30)
@given(lanes=st.sampled_from([2, 4, 8]), m=st.integers(1, 40), k=st.integers(1, 24),
       n=st.integers(1, 24), seed=st.integers(0, 2**16),
       bandwidth=st.sampled_from([1, 4, 16]), latency=st.integers(1, 30))
def test_compiled_gemm_matches_golden_and_counts_every_cycle(lanes, m, k, n, seed, bandwidth,
                                                             latency):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))
    cfg = CoreConfig(lanes=lanes, dma_bytes_per_cycle=bandwidth, dram_latency=latency)
    g = compile_gemm(a, b, cfg)
    run = check_against_golden(g.words, cfg, g.dram)
    np.testing.assert_array_equal(g.read_c(run.state.dram), array_golden.gemm(a, b))
    rows = sum(i.args["rows"] for i in g.instructions if i.op.mnemonic == "mm")
    assert run.counters["array_busy"] == rows <= run.cycles
    # the timeline: every unit instruction once, in program order, each after its issue
    units = [i for i in g.instructions if i.op.unit in ("dma", "lw", "mm")]
    assert [j.instr for j in run.timeline] == units
    assert all(j.issued < j.start <= j.done < run.cycles for j in run.timeline)
    mms = [j for j in run.timeline if j.instr.op.mnemonic == "mm"]
    assert all(b.start >= a.start + a.instr.args["rows"] for a, b in zip(mms, mms[1:]))


def test_double_buffering_overlaps_the_weight_load():
    """Two tiles, buffers 0 and 1: the second lw runs while the first mm streams, so the second
    mm waits for the array, not for its weights."""
    L, rows = 4, 32
    text = f"""
        dma.ld mem=sram, row=0, dram=0, rows={rows + 2 * L}
        sync units=1
        lw row={rows}, buf=0
        mm a=0, rows={rows}, acc=0, buf=0
        lw row={rows + L}, buf=1
        mm a=0, rows={rows}, acc={rows}, buf=1
        halt
    """
    cfg = CoreConfig(lanes=L)
    run = check_against_golden(text, cfg, np.arange(1024, dtype=np.uint8))
    assert run.counters["stall_weights_not_loaded"] == L  # only the first tile's load shows
    assert run.counters["stall_mm_busy"] > 0


def test_bandwidth_and_latency_set_the_dma_time():
    text = "dma.ld mem=sram, row=0, dram=0, rows=16\nsync units=1\nhalt"
    for bw, lat in ((8, 10), (2, 40)):
        run = core_fast.run(text, CoreConfig(lanes=8, dma_bytes_per_cycle=bw, dram_latency=lat))
        assert run.counters["stall_sync"] == lat + 16 * 8 // bw


@pytest.mark.parametrize(("text", "match"), [
    ("dma.ld mem=sram, row=0, dram=0, rows=8\nlw row=0, buf=0\nhalt",
     r"pc 1 \(lw row=0, buf=0\): touches SRAM row 0 while pc 0 \(dma.ld .*\) is still running on "
     r"it; put `sync units=1` between them"),
    ("dma.ld mem=sram, row=0, dram=0, rows=8\nsync\nlw row=0, buf=0\nmm a=0, rows=4, acc=0, buf=0"
     "\ndma.st mem=acc, row=0, dram=512, rows=4\nhalt",
     r"pc 4 \(dma.st .*\): touches ACC row 0 while pc 3 \(mm .*\) is still running on it; put "
     r"`sync units=4`"),
])
def test_races_are_refused_with_the_fix(text, match):
    with pytest.raises(core_golden.ProgramError, match=match):
        core_fast.run(text, CoreConfig(lanes=8))


def test_missing_halt_and_unknown_opcode():
    with pytest.raises(core_golden.ProgramError, match="ended without halt"):
        core_fast.run("nop", CoreConfig())
    with pytest.raises(core_golden.ProgramError, match="pc 0: unknown opcode 63"):
        core_fast.run([63], CoreConfig())


def test_nop_never_stalls_even_while_a_unit_is_busy():
    """`nop` does nothing for one cycle: it issues behind a running vector op (the RTL agrees)."""
    cfg = CoreConfig(lanes=4)
    head = ("dma.ld mem=sram, row=0, dram=0, rows=4\nsync units=1\n"
            "vshape rows=4, chunks=1\nvrelu dst=8, src=0\n")
    with_nop = core_fast.run(head + "nop\nhalt\n", cfg)
    without = core_fast.run(head + "halt\n", cfg)
    assert with_nop.counters["stall_vec_busy"] == 0
    assert with_nop.cycles == without.cycles  # the nop hides in the halt's wait
    nop = with_nop.timeline[-1]
    assert nop.instr.op.mnemonic == "vrelu"  # nop and halt are not jobs
