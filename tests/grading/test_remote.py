"""chipkit.grading.remote and sandbox: the student's file in a worker process of its own, what
crosses between the two (exact types), what the worker may not do, and how its end is reported."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit.grading.checks import TracedBit
from chipkit.grading.loader import StudentImportError, project_root
from chipkit.grading.remote import RemoteModule, StudentCrashed, StudentStopped, open_exercise
from chipkit.grading.wire import Codec, Foreign, WireError

ROOT = project_root()


def student(tmp_path, source, name="ex_test", withheld=()):
    (tmp_path / f"{name}.py").write_text(source)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return RemoteModule(open_exercise(tmp_path, name, withheld, workdir=work))


# ---------------------------------------------------------------- what crosses
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    | st.binary(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3),
    max_leaves=12)


def same(a, b) -> bool:
    """Equal values of exactly equal types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return a == b


@settings(max_examples=200, deadline=None)
@given(plain)
def test_plain_values_cross_with_their_exact_types(value):
    codec = Codec()
    assert same(codec.loads(codec.dumps(value)), value)


@given(st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.uint64, np.float32, np.bool_]),
       st.integers(0, 5), st.integers(0, 3))
def test_arrays_and_numpy_scalars_keep_dtype_and_shape(dtype, rows, cols):
    codec = Codec()
    a = (np.arange(rows * cols) % 100).astype(dtype).reshape(rows, cols)
    assert same(codec.loads(codec.dumps(a)), a)
    if a.size:
        assert same(codec.loads(codec.dumps(a[0, 0] if cols else a)), a[0, 0] if cols else a)


def test_what_is_not_data_arrives_as_a_foreign_value_that_equals_nothing():
    class Yes(int):
        def __eq__(self, other):
            return True
        __hash__ = int.__hash__

    codec = Codec()
    for value, base in [(Yes(5), "int"), (lambda: 1, None), (object(), None),
                        (np.array([object()]), None)]:
        got = codec.loads(codec.dumps(value))
        assert type(got) is Foreign and got != got and not (got == 5)
        assert (base is None or f"a subclass of {base}" in repr(got)), repr(got)


@pytest.mark.parametrize("data", [b"not json", b'{"zz": 1}', b'{"nd": "O", "shape": [1], "b": ""}',
                                  b'{"nd": "<i8", "shape": [3], "b": "AAAA"}', b'{"h": "x"}',
                                  b'{"d": [[[1], 2]]}', b"[" * 5000 + b"]" * 5000])
def test_malformed_messages_are_wire_errors(data):
    with pytest.raises(WireError):
        Codec(max_depth=64).loads(data)


# ---------------------------------------------------------------- the worker
def test_each_test_gets_a_fresh_module_in_a_process_of_its_own(tmp_path):
    source = ("import os\ncalls = []\ndef f():\n    calls.append(1)\n"
              "    return len(calls), os.getpid()\n")
    first, second = student(tmp_path, source), student(tmp_path, source)
    (n1, pid1), (n2, _) = first.f(), first.f()
    (m1, pid2) = second.f()
    assert (n1, n2, m1) == (1, 2, 1) and pid1 != pid2
    assert not list(tmp_path.glob("__pycache__"))  # nothing written into a student's folder


@pytest.mark.parametrize(("source", "match"), [
    ("def f(:\n", r"ex_bad\.py could not be imported: SyntaxError: .*\(line 1\)"),
    ("raise RuntimeError('boom')\n", r"ex_bad\.py could not be imported: RuntimeError: boom"),
    ("import sys\nsys.exit(3)\n", r"ex_bad\.py could not be imported: SystemExit: 3"),
    ("import os\nos._exit(4)\n", r"ex_bad\.py could not be imported: .*exited with code 4"),
])
def test_an_import_failure_is_reported_once_then_remembered(tmp_path, source, match):
    path = tmp_path / "ex_bad.py"
    path.write_text(source)
    with pytest.raises(StudentImportError, match=match):
        open_exercise(tmp_path, "ex_bad")
    path.write_text("x = 1\n")  # fixed on disk, but this run has already judged the file
    with pytest.raises(StudentImportError, match=match):
        open_exercise(tmp_path, "ex_bad")


def test_a_missing_file_is_an_import_failure(tmp_path):
    with pytest.raises(StudentImportError, match=r"ex_gone\.py does not exist"):
        open_exercise(tmp_path, "ex_gone")


def test_exceptions_come_back_as_the_same_builtin_class_with_where(tmp_path):
    mod = student(tmp_path, "class Mine(ValueError):\n    pass\n\n"
                            "def f(x):\n    raise Mine(f'bad {x}')\n\ndef g():\n    return h()\n")
    with pytest.raises(ValueError, match=r"Mine: bad 3 \(at ex_test\.py:5 in f\)"):
        mod.f(3)
    with pytest.raises(NameError, match="h"):
        mod.g()
    with pytest.raises(AttributeError, match="ex_test.py defines no `nothing`"):
        mod.nothing()


@pytest.mark.parametrize("stop", ["raise KeyboardInterrupt", "raise SystemExit(0)",
                                  "import pytest; pytest.fail('x', pytrace=False)",
                                  "raise GeneratorExit"])
def test_stopping_the_program_costs_the_call_not_the_worker(tmp_path, stop):
    mod = student(tmp_path, f"def f():\n    {stop}\n\ndef g():\n    return 7\n")
    with pytest.raises(StudentStopped, match="must return"):
        mod.f()
    assert mod.g() == 7  # the worker is still there


@pytest.mark.parametrize(("source", "match"), [
    ("import os\ndef f():\n    os._exit(3)\n", "exited with code 3"),
    ("import faulthandler\ndef f():\n    faulthandler._sigsegv()\n", "SIGSEGV"),
])
def test_a_worker_that_dies_is_a_crash_with_its_cause(tmp_path, source, match):
    with pytest.raises(StudentCrashed, match=match):
        student(tmp_path, source).f()


def test_lent_callbacks_and_traced_bits_stay_in_the_grader(tmp_path):
    mod = student(tmp_path, "def apply(f, x):\n    return f(x) + 1\n\n"
                            "def gate(a, b):\n    return (a & b) | (a ^ 1)\n\n"
                            "def peek(f):\n    return f.secret\n\ndef branch(a):\n"
                            "    return 1 if a else 0\n")
    calls = []

    def double(x):
        calls.append(x)
        return 2 * x

    assert mod.apply(double, 20) == 41 and calls == [20]
    a, b = TracedBit(1), TracedBit(0)
    out = mod.gate(a, b)
    assert type(out) is TracedBit and (out.value, out.depth) == (0, 2)
    double.secret = 5
    with pytest.raises(AttributeError):  # attributes of lent objects do not cross
        mod.peek(double)
    with pytest.raises(TypeError, match="only go through"):  # the grader's refusal, in the worker
        mod.branch(a)


def test_setting_a_module_function_from_the_grader(tmp_path):
    mod = student(tmp_path, "def digits(b):\n    return [b]\n\ndef total(b):\n"
                            "    return sum(digits(b))\n")
    mod.digits = lambda b: [1, 2, 3]
    assert mod.total(100) == 6


GUARDED = [
    ("open(r'{root}/solutions/ex01_twos_complement.py').read()", "the grader's files"),
    ("open(r'{root}/tests/exercises/conftest.py').read()", "the grader's files"),
    ("__import__('solutions.ex01_twos_complement')", "import solutions"),
    ("__import__('chipkit.grading.checks').grading.checks.saturating_mac_runs", "chipkit.grading"),
    ("open(r'{root}/chipkit/grading/checks.py').read()", "the grader's files"),
    ("open('/tmp/chipkit-escape.txt', 'w')", "may only write files in its current folder"),
    ("__import__('os').remove(r'{root}/README.md')", "os.remove"),
    ("__import__('subprocess').run(['true'])", "subprocess.Popen"),
    ("__import__('os').system('true')", "os.system"),
    ("__import__('os').fork()", "os.fork"),
    ("__import__('os').kill(__import__('os').getppid(), 9)", "os.kill"),
    ("__import__('ctypes').CDLL(None)", "ctypes"),
    ("__import__('socket').socket()", "socket"),
    ("__import__('gc').get_objects()", "gc.get_objects"),
    ("open('/proc/1/cmdline').read()", "another process"),
]


@pytest.mark.parametrize(("expr", "match"), GUARDED)
def test_the_worker_may_not_reach_the_grader(tmp_path, expr, match):
    mod = student(tmp_path, f"def f():\n    return {expr.format(root=ROOT)}\n")
    with pytest.raises(PermissionError, match=match):
        mod.f()


def test_memory_and_answers_are_bounded(tmp_path):
    mod = student(tmp_path, "import numpy as np\ndef hog():\n    return bytearray(2**40)\n"
                            "def huge():\n    return np.zeros(2**24)\n")
    with pytest.raises(MemoryError):
        mod.hog()
    with pytest.raises(StudentCrashed, match="not an answer .*bytes"):
        mod.huge()  # 128 MiB of float64: more than an answer may be


def test_the_worker_may_write_in_its_own_folder_and_read_the_kit(tmp_path):
    mod = student(tmp_path, "import os, tempfile\ndef f():\n    open('out.txt', 'w').write('x')\n"
                            "    with tempfile.NamedTemporaryFile() as t:\n        t.write(b'y')\n"
                            "    import chipkit.models.core_golden\n"
                            "    return open('out.txt').read(), os.getcwd()\n")
    text, cwd = mod.f()
    assert text == "x" and cwd == str((tmp_path / "work").resolve())


def test_withheld_names_are_refused_everywhere_they_are_bound(tmp_path):
    mod = student(tmp_path, "from chipkit.numerics import to_twos\nfrom chipkit import numerics\n"
                            "import chipkit.models.arith as arith\n"
                            "def f():\n    return to_twos(1, 8)\n"
                            "def g():\n    return numerics.to_twos(1, 8)\n"
                            "def h():\n    return numerics.from_twos(1, 8)\n",
                  withheld=["chipkit.numerics.to_twos"])
    for call in (mod.f, mod.g):
        with pytest.raises(RuntimeError, match="chipkit.numerics.to_twos is what this exercise"):
            call()
    assert mod.h() == 1  # what is not withheld still works


@pytest.mark.parametrize(("content", "match"), [
    (b"\x00\xff" * 50, "could not be imported: SyntaxError"),
    ("x = 'caf\xe9'\n".encode("latin-1"), "could not be imported: SyntaxError"),
    ("x = 1\n".encode("utf-16"), "could not be imported: SyntaxError"),
    (b"#" * (2**20 + 1), "an exercise file is Python source of at most"),
    (None, "is not a file"),
])
def test_files_that_are_not_python_fail_only_their_own_import(tmp_path, content, match):
    path = tmp_path / "ex_odd.py"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(StudentImportError, match=match):
        open_exercise(tmp_path, "ex_odd")
