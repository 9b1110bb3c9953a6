"""chipkit.flow.myhdl_fast must hand MyHDL exactly the frames and names inspect.stack() would."""
import inspect

from chipkit.flow import myhdl_fast


def test_fast_stack_matches_inspect_stack():
    def inner():
        return inspect.stack(), myhdl_fast._stack()

    def outer():
        return [inner() for _ in range(1)][0]  # a comprehension frame too, as MyHDL meets them

    slow, fast = outer()
    # slow was taken one line earlier in the same frame: compare what MyHDL reads, frame and name
    assert [r[3] for r in slow] == [r[3] for r in fast]
    assert all(s[0] is f[0] for s, f in zip(slow, fast))


def test_myhdl_uses_the_fast_stack():
    import myhdl._block
    import myhdl._instance

    import chipkit.flow.sim  # noqa: F401  installs it

    assert myhdl._block.inspect.stack is myhdl_fast._stack
    assert myhdl._instance.inspect.stack is myhdl_fast._stack
    assert myhdl._block.inspect.getsourcelines is inspect.getsourcelines
