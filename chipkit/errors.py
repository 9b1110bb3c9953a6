"""The errors a user of chipkit can meet: every one says what to change.

Everything the kit raises on a user's mistake is a ChipkitError, so the CLI can print it in one
line.
"""


class ChipkitError(Exception):
    """A mistake the user can fix; the message says how."""


class ConfigError(ChipkitError, ValueError):
    """An impossible parameter: a zero width, an unknown option, a malformed size."""


class RangeError(ChipkitError, ValueError):
    """A value that does not fit where it is put (an int8 operand of 200, 9 bits in 8)."""


class ShapeError(ChipkitError, ValueError):
    """Arrays whose shapes or dtypes do not fit together."""


class ToolMissing(ChipkitError):
    """An external tool (iverilog, verilator, ghdl) that this step needs is not installed."""


class SimulationError(ChipkitError):
    """A simulation that could not run or finish (a converted design that does not compile, say)."""


class GradingError(ChipkitError):
    """The grader was pointed at something it cannot grade."""
