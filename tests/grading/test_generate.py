"""The solution-marker parser of chipkit.grading.generate: stubs at the right indentation, hints,
and a ChipkitError naming the line for every malformed region."""
import ast
import textwrap

import pytest

from chipkit.errors import ChipkitError
from chipkit.grading.generate import DEFAULT_HINT, HEADER, NOQA, make_exercise, strip_solutions


def src(text):
    return textwrap.dedent(text).lstrip("\n")


def test_region_inside_nested_blocks_keeps_its_indentation():
    source = src('''
        def outer(x):
            """Doc."""
            def inner(y):
                # BEGIN SOLUTION hint: add one
                if y:
                    for i in range(3):
                        y += i

                    return y + 1
                return 0
                # END SOLUTION
            return inner(x)
    ''')
    out = strip_solutions(source)
    assert out == src('''
        def outer(x):
            """Doc."""
            def inner(y):
                raise NotImplementedError("add one")
            return inner(x)
    ''')
    namespace = {}
    exec(compile(out, "<test>", "exec"), namespace)  # noqa: S102 -- the stub must run, and raise
    with pytest.raises(NotImplementedError, match="add one"):
        namespace["outer"](1)


def test_several_regions_default_hint_and_quotes():
    source = src('''
        def f():
            # BEGIN SOLUTION
            return 1
            # END SOLUTION


        def g():
            # BEGIN SOLUTION hint: say "hi" \\ then go
            return 2
            # END SOLUTION
    ''')
    out = strip_solutions(source)
    tree = ast.parse(out)
    hints = [n.exc.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Raise)]
    assert hints == [DEFAULT_HINT, 'say "hi" \\ then go']


def test_long_hint_wraps_under_100_columns_and_stays_one_string():
    hint = "word " * 40
    out = strip_solutions(f"def f():\n    # BEGIN SOLUTION hint: {hint}\n    pass\n"
                          "    # END SOLUTION\n")
    assert max(map(len, out.splitlines())) <= 100
    raised = next(n for n in ast.walk(ast.parse(out)) if isinstance(n, ast.Raise))
    assert raised.exc.args[0].value == hint.strip()


def test_header_goes_after_the_docstring_with_noqa_only_when_imports_go_unused():
    used = make_exercise('"""Doc."""\nimport math\n\n\ndef f():\n    return math.pi\n')
    assert used.startswith('"""Doc."""\n' + HEADER + "import math")
    unused = make_exercise('"""Doc."""\nimport math\n\n\ndef f():\n    # BEGIN SOLUTION\n'
                           "    return math.pi\n    # END SOLUTION\n")
    assert unused.startswith('"""Doc."""\n' + HEADER + NOQA + "import math")


@pytest.mark.parametrize(("source", "match"), [
    ("# BEGIN SOLUTION\nx = 1\n", r"<source>:1: BEGIN SOLUTION is never closed"),
    ("x = 1\n# END SOLUTION\n", r"<source>:2: END SOLUTION without a BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n# END SOLUTION\n",
     r"<source>:2: BEGIN SOLUTION inside the region opened at line 1"),
    ("def f():\n    # BEGIN SOLUTION\n    pass\n# END SOLUTION\n",
     r"<source>:4: END SOLUTION is indented differently .* line 2"),
    ("def f():\n    # BEGIN SOLUTION\n    pass\nx = 1\n    # END SOLUTION\n",
     r"<source>:4: line is less indented than the BEGIN SOLUTION at line 2"),
    ("def f():\n    # BEGIN SOLUTIONS\n    pass\n", r"<source>:2: malformed marker"),
    ("def f():\n    # end solution\n", r"<source>:2: malformed marker"),
])
def test_unbalanced_or_malformed_markers_are_refused(source, match):
    with pytest.raises(ChipkitError, match=match):
        strip_solutions(source)


def test_a_region_whose_stub_is_not_python_is_refused():
    source = "def f():\n# BEGIN SOLUTION\n    return 1\n# END SOLUTION\n"  # f loses its body
    with pytest.raises(ChipkitError, match="not valid Python"):
        make_exercise(source, "bad.py")
