"""The multiply-accumulate unit: int8 x int8 products summed into an int32 register, the atom of
every matrix engine. Overflow wraps (two's complement) or saturates, chosen by a parameter.
"""
from myhdl import Signal, always_comb, always_seq, block, intbv

from chipkit.errors import ConfigError
from chipkit.hdl.multipliers import baugh_wooley_multiplier
from chipkit.numerics import check_width, signed_range

MULTIPLIERS = ("behavioral", "baugh_wooley")


@block
def mac(clock, reset, a, b, clear, enable, acc, saturating=False, multiplier="behavioral"):
    """Multiply-accumulate.

    clock  -- in, 1 bit
    reset  -- in, 1 bit, synchronous, active high: acc <- 0
    a, b   -- in, signed operands (8 bits for int8)
    clear  -- in, 1 bit: acc <- 0 at the next edge (wins over enable)
    enable -- in, 1 bit: acc <- acc + a*b at the next edge
    acc    -- out, signed accumulator register (32 bits for int32)
    saturating -- Python bool: on overflow clamp to the accumulator's range instead of wrapping
    multiplier -- "behavioral" (`a * b`, what synthesis turns into a multiplier) or "baugh_wooley"
                  (the gate-level signed multiplier from chipkit.hdl.multipliers)

    The sum acc + a*b is formed one bit wider than the accumulator, so overflow is visible: wrapping
    keeps the low bits (what a plain adder does: 2**31 - 1 + 1 becomes -2**31), saturating clamps to
    the nearest representable value. Widths come from the signals; the twin is
    chipkit.models.arith.mac.
    """
    if multiplier not in MULTIPLIERS:
        raise ConfigError(f"multiplier must be one of {MULTIPLIERS}, got {multiplier!r}")
    wa, wb, wacc = len(a), len(b), len(acc)
    check_width(wacc, "accumulator width")
    if wacc < wa + wb:
        raise ConfigError(f"the accumulator ({wacc} bits) must be at least as wide as a product "
                          f"({wa} + {wb} bits); widen acc")
    lo, hi = signed_range(wacc)
    prod = Signal(intbv(0, min=-(2 ** (wa + wb - 1)), max=2 ** (wa + wb - 1)))
    # wacc + 1 bits: acc + prod cannot overflow here
    total = Signal(intbv(0, min=2 * lo, max=2 * hi + 2))

    if multiplier == "baugh_wooley":
        multiply = baugh_wooley_multiplier(a, b, prod, width_a=wa, width_b=wb)
    else:

        @always_comb
        def multiply():
            prod.next = a * b

    @always_comb
    def add():
        total.next = acc + prod

    top = wacc  # index of total's extra top bit: the true sign of acc + a*b
    # The clamp values as constant wires holding their bit patterns. (Plain literals convert to
    # 33-bit constants that Verilator rightly flags as truncated; a negative constant signal
    # converts to the invalid Verilog `32'd-2147483648`.)
    largest = Signal(intbv(hi)[wacc:])
    smallest = Signal(intbv(lo + (1 << wacc))[wacc:])
    if saturating:

        @always_seq(clock.posedge, reset=reset)
        def accumulate():
            if clear:
                acc.next = 0
            elif enable:
                # Overflow shows as the true sign (bit `top`) differing from the accumulator's sign
                # bit (bit top-1). Comparing `total > hi` would be shorter, but MyHDL writes hi as
                # an unsigned Verilog literal once it needs 32 bits, and the comparison turns
                # unsigned.
                if total[top] == total[top - 1]:
                    acc.next = total[top:].signed()
                elif total[top]:
                    acc.next = smallest.signed()
                else:
                    acc.next = largest.signed()
    else:

        @always_seq(clock.posedge, reset=reset)
        def accumulate():
            if clear:
                acc.next = 0
            elif enable:
                acc.next = total[top:].signed()

    return multiply, add, accumulate
