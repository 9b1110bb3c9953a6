"""A faster call-stack lookup for MyHDL's elaboration (it changes no behaviour).

MyHDL 0.11 calls `inspect.stack()` for every block and generator it creates, to find the calling
function and its locals. `inspect.stack()` also reads the source file of every frame on the stack,
which made 90 % of the time to elaborate or convert a gate-level 8x8 multiplier (8 s). MyHDL only
reads each record's frame and function name, so we hand its two modules a copy of `inspect` whose
`stack()` walks the frames without touching source files. Everything else is the real `inspect`.
"""
import inspect
import sys
import types


def _stack(context=1):
    """Like inspect.stack(): records of (frame, filename, lineno, function, None, None), the
    caller's frame first; no source lines are read."""
    frame = sys._getframe(1)
    records = []
    while frame is not None:
        code = frame.f_code
        records.append((frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
        frame = frame.f_back
    return records


def install():
    """Point myhdl._block and myhdl._instance at an `inspect` whose stack() is _stack."""
    import myhdl._block
    import myhdl._instance

    fast = types.ModuleType("inspect")
    fast.__dict__.update(inspect.__dict__)
    fast.stack = _stack
    myhdl._block.inspect = fast
    myhdl._instance.inspect = fast


install()
