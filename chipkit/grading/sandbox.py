"""`python -m chipkit.grading.sandbox FD`: where a student's code runs, never in the grader.

It starts as a zygote: it imports what the exercises use (numpy, MyHDL, parts of the kit) once,
then forks a fresh worker for every graded test (`chipkit.grading.remote` asks for them over the
socket FD). Before a worker runs a line of the student's code it
- leaves the grader's process group (the grader kills the whole group when the test ends) and
  ends itself if its parent goes;
- withholds what the test compares against (the test module's `WITHHELD` names): every name a
  loaded module binds to one of them is rebound to a function that says so;
- installs an audit hook, which cannot be removed: no reading the reference solutions or the graded
  tests, no writing outside the worker's own folder, no new processes, no signals to others, no
  ctypes, no sockets, no walking the garbage collector's objects;
- limits its memory and the size of the files it writes.
Then it imports the student's file and answers the grader's requests (chipkit.grading.wire).
Nothing the student's code does here can reach the grader's report or the grader's references.
"""
from __future__ import annotations

import builtins
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import types
from pathlib import Path

from chipkit.grading.wire import LENT_OPS, Codec, WireError

MAX_MESSAGE = 64 * 2**20  # bytes: a larger answer is refused, not read
MEMORY_LIMIT = 4 * 2**30  # bytes of address space a worker may add to what the zygote has
FILE_LIMIT = 64 * 2**20  # bytes: the largest file a worker may write
PRELOAD = ("numpy", "myhdl", "chipkit.numerics", "chipkit.isa", "chipkit.flow.sim",
           "chipkit.hdl.gates", "chipkit.hdl.adders", "chipkit.models.arith",
           "chipkit.models.array_fast", "chipkit.models.array_cycles", "chipkit.models.intmath",
           "chipkit.models.vector_golden", "chipkit.compiler.gemm", "chipkit.grading.probes")
BLOCKED_EVENTS = frozenset({
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill",
    "os.killpg", "signal.pthread_kill", "subprocess.Popen", "os.startfile", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "sys._current_frames", "sys.remote_exec"})
PATH_EVENTS = frozenset({"os.remove", "os.rmdir", "os.rename", "os.truncate", "os.chmod",
                         "os.chown", "os.link", "os.symlink", "os.mkdir", "os.utime",
                         "shutil.rmtree", "shutil.move", "shutil.copyfile", "os.chflags"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


# ---------------------------------------------------------------- framing (both sides use it)
def send_message(sock: socket.socket, data: bytes) -> None:
    sock.sendall(struct.pack("!Q", len(data)) + data)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 2**20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive_message(sock: socket.socket, limit: int = MAX_MESSAGE) -> bytes:
    (size,) = struct.unpack("!Q", _read_exactly(sock, 8))
    if size > limit:
        raise WireError(f"a message of {size:,} bytes (at most {limit:,} cross)")
    return _read_exactly(sock, size)


def send_request(sock: socket.socket, data: bytes, fds=()) -> None:
    """A zygote request: one line of JSON, with the worker's socket attached."""
    socket.send_fds(sock, [data + b"\n"], list(fds))


def receive_request(sock: socket.socket) -> tuple[bytes, list[int]]:
    data, fds = b"", []
    while not data.endswith(b"\n"):
        chunk, new, _, _ = socket.recv_fds(sock, 2**16, 1)
        if not chunk:
            raise EOFError("the grader closed the connection")
        data, fds = data + chunk, fds + list(new)
    return data, fds


# ---------------------------------------------------------------- the worker's side of lending
class _Channel:
    """The worker's connection to the grader: requests in, answers and questions out."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.codec = Codec(lend=_token_of, borrow=Lent)

    def send(self, message: dict) -> None:
        tree = {k: (self.codec.encode(v) if k in ("ok", "args", "value") else v)
                for k, v in message.items()}
        send_message(self.sock, json.dumps(tree, separators=(",", ":")).encode())

    def receive(self) -> dict:
        message = json.loads(receive_message(self.sock))
        for key in ("ok", "args", "kwargs", "value"):
            if key in message:
                message[key] = self.codec.decode(message[key])
        return message

    def ask(self, token: str, method: str, args: tuple, kwargs: dict | None = None):
        """Run `method` of the grader's object `token` there; its answer, or its exception."""
        self.send({"op": "lent", "token": token, "method": method, "args": list(args),
                   "value": kwargs or {}})
        answer = self.receive()
        if "raised" in answer:
            raise rebuild(answer["raised"])
        return answer["ok"]


_CHANNEL: _Channel | None = None


class Lent:
    """A stand-in for an object the grader lends (a callback, a traced bit): calls and operators
    run on the real object in the grader. Its attributes do not cross."""

    __slots__ = ("_token",)
    __hash__ = None

    def __init__(self, token: str):
        object.__setattr__(self, "_token", str(token))

    def __setattr__(self, name, value):
        raise AttributeError("the grader's objects are read-only")


def _token_of(x) -> str | None:
    """A stand-in goes back to the grader as the handle it came as; nothing else is lent."""
    return object.__getattribute__(x, "_token") if type(x) is Lent else None


def _forward(method: str):
    def forward(self, *args, **kwargs):
        return _CHANNEL.ask(object.__getattribute__(self, "_token"), method, args, kwargs)
    forward.__name__ = method
    return forward


for _method in LENT_OPS:
    setattr(Lent, _method, _forward(_method))


def rebuild(info: dict) -> BaseException:
    """The exception `info` describes, as a builtin exception class (the grader's own)."""
    cls = getattr(builtins, str(info.get("builtin")), None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = RuntimeError
    try:
        return cls(str(info.get("message", "")))
    except Exception:  # noqa: BLE001 -- classes whose constructor wants more arguments
        return RuntimeError(str(info.get("message", "")))


def describe(e: BaseException, path: str) -> dict:
    """What the grader is told about an exception from the student's code."""
    builtin = next((c for c in type(e).__mro__ if c.__module__ == "builtins"), BaseException)
    try:
        message = str(e)
    except Exception:  # noqa: BLE001 -- a student's __str__ that fails
        message = ""
    where = ""
    for frame, lineno in traceback.walk_tb(e.__traceback__):
        if frame.f_code.co_filename == path:
            where = f"{Path(path).name}:{lineno} in {frame.f_code.co_name}"
    if isinstance(e, SyntaxError) and e.filename == path:
        where = f"{Path(path).name}:{e.lineno}"
    return {"type": type(e).__qualname__, "builtin": builtin.__name__, "message": message[:2000],
            "where": where, "stops": not isinstance(e, Exception)}


# ---------------------------------------------------------------- the guard
def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def install_guard(blocked: list[str], readable: list[str], workdir: str) -> None:
    """The audit hook that keeps a worker from the grader's files and from other processes."""
    me = str(os.getpid())

    def refuse(what: str):
        raise PermissionError(f"not allowed while grading: {what}")

    def check_path(path, writing: bool, event: str):
        if path is None or isinstance(path, int):
            return
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if real in readable and not writing:
            return
        if any(_under(real, b) for b in blocked):
            refuse(f"{event} {real} (the grader's files)")
        if real.startswith("/proc/"):
            pid = real.split("/")[2]
            if pid.isdigit() and pid != me:
                refuse(f"{event} {real} (another process)")
        if writing and not _under(real, workdir):
            refuse(f"{event} {real}: a graded function may only write files in its current "
                   "folder")

    def hook(event, args):
        if event == "open":
            path, mode, flags = (list(args) + [None, None, 0])[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) \
                or bool((flags or 0) & WRITE_FLAGS)
            check_path(path, writing, "open")
        elif event in BLOCKED_EVENTS or event.startswith(("ctypes.", "socket.")):
            refuse(event)
        elif event in PATH_EVENTS:
            for path in args[:2]:
                if isinstance(path, (str, bytes, os.PathLike)):
                    check_path(path, True, event)
        elif event == "import" and args and isinstance(args[0], str):
            top = args[0].split(".")[0]
            if top in ("solutions", "tests", "conftest") or (
                    args[0].startswith("chipkit.grading") and args[0] not in sys.modules):
                refuse(f"import {args[0]} (the grader's files)")

    sys.addaudithook(hook)


class Withheld:
    """What a withheld name is bound to while grading: any use says why."""

    def __init__(self, name: str):
        object.__setattr__(self, "_name", name)

    def _refuse(self, *args, **kwargs):
        raise RuntimeError(f"{object.__getattribute__(self, '_name')} is what this exercise is "
                           "graded against, so it is switched off while grading: write it yourself")

    __call__ = __getattr__ = __getitem__ = __iter__ = __len__ = __array__ = _refuse
    __int__ = __index__ = __float__ = __bool__ = __setattr__ = _refuse


def withhold(names: list[str]) -> None:
    """Rebind every name a loaded module binds to one of `names` ("chipkit.numerics.to_twos")."""
    for dotted in names:
        modname, _, attr = dotted.rpartition(".")
        __import__(modname)
        target = getattr(sys.modules[modname], attr)

        refused = Withheld(dotted)
        for module in list(sys.modules.values()):
            space = getattr(module, "__dict__", None)
            if not isinstance(space, dict):
                continue
            for key, value in list(space.items()):
                if value is target:
                    space[key] = refused


def _limit_resources() -> None:
    try:
        import resource
    except ImportError:  # not on this platform
        return
    for which, value in (("RLIMIT_FSIZE", FILE_LIMIT), ("RLIMIT_CORE", 0)):
        if hasattr(resource, which):
            resource.setrlimit(getattr(resource, which), (value, value))
    if hasattr(resource, "RLIMIT_AS") and sys.platform.startswith("linux"):
        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + MEMORY_LIMIT, size + MEMORY_LIMIT))


def die_with(parent: int) -> None:
    """End this process when `parent` does (Linux: at once; elsewhere: within half a second)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(70)
    threading.Thread(target=watch, daemon=True).start()


# ---------------------------------------------------------------- a worker's life
def _import_student(path: str, name: str):
    source = Path(path).read_bytes()
    code = compile(source, path, "exec", dont_inherit=True)
    module = types.ModuleType(f"chipkit_graded_{name}")
    module.__file__ = path
    sys.modules[module.__name__] = module  # dataclasses, pickling and inspect look modules up here
    return module, code


def worker(sock: socket.socket, spec: dict, zygote: int) -> None:
    """Serve one graded test: import the student's file, then answer requests until closed."""
    global _CHANNEL
    os.setsid()
    die_with(zygote)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    workdir = spec["workdir"]
    os.chdir(workdir)
    os.environ.update(TMPDIR=workdir, MPLCONFIGDIR=workdir, HOME=workdir)
    import tempfile
    tempfile.tempdir = workdir
    _CHANNEL = channel = _Channel(sock)
    path = spec["path"]
    try:
        withhold(spec.get("withhold", []))
        module, code = _import_student(path, spec["name"])
        _limit_resources()
        install_guard(spec["blocked"], [path], workdir)
        exec(code, module.__dict__)  # noqa: S102 -- the student's file, in its own process
    except BaseException as e:  # noqa: BLE001 -- whatever the file does is reported, not raised
        channel.send({"import_error": describe(e, path)})
        os._exit(0)
    channel.send({"ready": True})
    probes = sys.modules["chipkit.grading.probes"]
    while True:
        try:
            request = channel.receive()
        except (EOFError, OSError, WireError, ValueError):
            os._exit(0)
        try:
            op, name = request["op"], request.get("name", "")
            if op == "call":
                value = getattr(module, name, _MISSING)
                if value is _MISSING:
                    raise AttributeError(f"{Path(path).name} defines no `{name}`")
                result = value(*request["args"], **request.get("kwargs", {}))
            elif op == "setattr":
                setattr(module, name, request["value"])
                result = None
            elif op == "probe":
                result = getattr(probes, name)(module, *request["args"])
            else:
                raise ValueError(f"unknown request {op!r}")
            channel.send({"ok": result})
        except BaseException as e:  # noqa: BLE001 -- KeyboardInterrupt, SystemExit, pytest.exit too
            try:
                channel.send({"raised": describe(e, path)})
            except (OSError, WireError):
                os._exit(0)


_MISSING = object()


def zygote(control: socket.socket) -> None:
    """Fork a worker for each request; report how each one ended when asked."""
    for name in PRELOAD:
        __import__(name)
    die_with(os.getppid())
    send_message(control, b'{"ready": true}')
    while True:
        try:
            data, fds = receive_request(control)
        except (OSError, EOFError, ValueError):
            os._exit(0)
        request = json.loads(data)
        if request["op"] == "fork":
            pid = os.fork()
            if pid == 0:
                control.close()
                try:
                    worker(socket.socket(fileno=fds[0]), request, os.getppid())
                finally:
                    os._exit(0)
            os.close(fds[0])
            send_message(control, json.dumps({"pid": pid}).encode())
        elif request["op"] == "wait":
            try:
                _, status = os.waitpid(int(request["pid"]), 0)
                code = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                code = None
            send_message(control, json.dumps({"code": code}).encode())


if __name__ == "__main__":
    zygote(socket.socket(fileno=int(sys.argv[1])))
