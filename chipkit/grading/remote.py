"""The grader's side of a graded test: the student's file runs in a worker process
(chipkit.grading.sandbox); the grader sends it plain values, lends it callbacks, and judges what
comes back. The report, the tests and their references stay in the grader's process.

`RemoteModule` is what a graded test's `mod` fixture gives it: `mod.encode(5, 8)` runs the
student's `encode` in the worker and returns a copy of its answer (exact types: an int subclass
or a function comes back as a `wire.Foreign`, which equals nothing).
"""
from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from chipkit.errors import GradingError
from chipkit.grading.loader import StudentImportError, project_root
from chipkit.grading.sandbox import rebuild, receive_message, send_message, send_request
from chipkit.grading.wire import LENT_OPS, Codec, Foreign, WireError

START_TIMEOUT = 60.0  # seconds the zygote may take to import numpy and MyHDL
MAX_SOURCE = 2**20  # bytes: the largest exercise file the grader imports


class StudentStopped(Exception):
    """The student's code raised KeyboardInterrupt, SystemExit, pytest.exit(): it costs the test."""


class StudentCrashed(Exception):
    """The worker process ended while the student's code ran (os._exit, a segfault, a kill)."""


class Sandbox:
    """The zygote process that forks one worker per graded test."""

    def __init__(self):
        if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
            raise GradingError("chipkit grade runs students' code in forked processes: use Linux, "
                               "macOS or WSL")
        ours, theirs = socket.socketpair()
        self.home = tempfile.mkdtemp(prefix="chipkit-sandbox-")
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chipkit.grading.sandbox", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, cwd=self.home, env=env, start_new_session=True)
        theirs.close()
        self.control = ours
        ours.settimeout(START_TIMEOUT)
        try:
            receive_message(ours)
        except (EOFError, OSError) as e:
            err = self.proc.stderr.read().decode(errors="replace").strip().splitlines()
            raise GradingError(f"the grading sandbox did not start ({err[-1] if err else e})") \
                from None
        ours.settimeout(None)
        self.stopped = False

    def fork(self, spec: dict) -> tuple[socket.socket, int]:
        ours, theirs = socket.socketpair()
        try:
            send_request(self.control, json.dumps({"op": "fork", **spec}).encode(),
                         [theirs.fileno()])
        finally:
            theirs.close()
        return ours, json.loads(receive_message(self.control))["pid"]

    def wait(self, pid: int) -> int | None:
        """The exit code of worker `pid` (negative: the signal that ended it)."""
        send_request(self.control, json.dumps({"op": "wait", "pid": pid}).encode())
        return json.loads(receive_message(self.control))["code"]

    def close(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.control.close()
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            self.proc.stderr.close()
            shutil.rmtree(self.home, ignore_errors=True)


_sandbox: Sandbox | None = None


def sandbox() -> Sandbox:
    """This process's zygote, started on first use and stopped at exit."""
    global _sandbox
    if _sandbox is None or _sandbox.proc.poll() is not None:
        _sandbox = Sandbox()
        atexit.register(_sandbox.close)
    return _sandbox


def _call_text(name: str, args=(), kwargs=None) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


class Worker:
    """One worker process with the student's file imported, for one graded test."""

    def __init__(self, path: Path, name: str, withheld=(), workdir: Path | None = None):
        root = project_root()
        self.path, self.name = Path(path), name
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="chipkit-worker-"))
        blocked = [str(root / "solutions"), str(root / "tests"), str(root / "conftest.py"),
                   str(Path(__file__).parent)]  # the grader's own helpers (references among them)
        spec = {"path": str(self.path.resolve()), "name": name,
                "workdir": str(self.workdir.resolve()), "withhold": list(withheld),
                "blocked": [os.path.realpath(b) for b in blocked]}
        self.lent: dict[str, object] = {}
        self.codec = Codec(lend=self._lend, borrow=self._borrow)
        self.sock, self.pid = sandbox().fork(spec)
        self.code: int | None = None
        self.closed = False

    # -- lending
    def _lend(self, obj) -> str:
        token = secrets.token_hex(16)
        self.lent[token] = obj
        return token

    def _borrow(self, token):
        if isinstance(token, str) and token in self.lent:
            return self.lent[token]
        return Foreign("forged handle", None, "a handle the grader never lent")

    # -- the conversation
    def _send(self, message: dict) -> None:
        tree = {k: (self.codec.encode(v) if k in ("ok", "args", "kwargs", "value") else v)
                for k, v in message.items()}
        try:
            send_message(self.sock, json.dumps(tree, separators=(",", ":")).encode())
        except OSError:
            raise self._crashed("while the grader sent it a request") from None

    def _receive(self, during: str) -> dict:
        try:
            message = json.loads(receive_message(self.sock))
            if not isinstance(message, dict):
                raise WireError("not a message")
            return message
        except (EOFError, ConnectionError):
            raise self._crashed(f"during {during}") from None
        except (WireError, ValueError) as e:
            self.close()  # what is left on the line cannot be trusted to be in step
            raise StudentCrashed(f"during {during} the process running your code sent the grader "
                                 f"something that is not an answer ({e})") from None

    def _crashed(self, when: str) -> StudentCrashed:
        code = self.close()
        how = ("it was killed by " + signal.Signals(-code).name if code is not None and code < 0
               and -code in signal.Signals._value2member_map_ else f"it exited with code {code}")
        hint = {-signal.SIGSEGV: " (a crash)", -signal.SIGKILL: " (killed: out of memory?)"}
        return StudentCrashed(f"the process running your code ended {when}: {how}"
                              f"{hint.get(code, ' (os._exit?)' if code is not None else '')}")

    def ready(self) -> None:
        """Wait until the student's file is imported; StudentImportError if it could not be."""
        message = self._receive(f"the import of {self.path.name}")
        if "import_error" in message:
            self.close()
            raise StudentImportError(f"{self.path.name} could not be imported: "
                                     + _import_problem(message["import_error"]))

    def _answer(self, during: str):
        while True:
            message = self._receive(during)
            if message.get("op") == "lent":
                self._serve_lent(message)
            elif "ok" in message:
                try:
                    return self.codec.decode(message["ok"])
                except WireError as e:
                    raise StudentCrashed(f"{during} returned something the grader cannot read "
                                         f"({e})") from None
            elif "raised" in message:
                raise _exception(message["raised"], during)
            else:
                raise StudentCrashed(f"during {during} the process running your code sent the "
                                     "grader something that is not an answer")

    def _serve_lent(self, message: dict) -> None:
        try:
            obj = self.lent[str(message.get("token"))]
            method = str(message.get("method"))
            if method not in LENT_OPS:
                raise AttributeError(f"the grader's objects do not offer {method}")
            args = self.codec.decode(message.get("args", []))
            kwargs = self.codec.decode(message.get("value", {}))
            result = getattr(obj, method)(*args, **dict(kwargs))
            if result is NotImplemented:
                raise TypeError(f"unsupported operand for {method.strip('_')}: "
                                f"{', '.join(type(a).__name__ for a in args)}")
            reply = {"ok": result}
        except KeyError:
            reply = {"raised": {"builtin": "RuntimeError", "message": "a handle the grader never "
                                "lent"}}
        except Exception as e:  # noqa: BLE001 -- the lent object's own refusal, sent back
            reply = {"raised": {"builtin": next(c for c in type(e).__mro__
                                                if c.__module__ == "builtins").__name__,
                                "message": str(e)}}
        self._send(reply)

    def call(self, name: str, args=(), kwargs=None):
        during = _call_text(name, args, kwargs)
        self._send({"op": "call", "name": name, "args": list(args), "kwargs": kwargs or {}})
        return self._answer(during)

    def setattr(self, name: str, value) -> None:
        self._send({"op": "setattr", "name": name, "value": value})
        self._answer(f"setting {name}")

    def probe(self, name: str, *args):
        """Run chipkit.grading.probes.`name`(the student's module, *args) in the worker."""
        self._send({"op": "probe", "name": name, "args": list(args)})
        return self._answer(_call_text(name, args))

    def close(self) -> int | None:
        """Kill the worker and everything it started; its exit code."""
        if not self.closed:
            self.closed = True
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.sock.close()
            self.code = _sandbox.wait(self.pid) if _sandbox and not _sandbox.stopped else None
        return self.code


def _import_problem(info: dict) -> str:
    kind, message, where = info.get("type", ""), info.get("message", ""), info.get("where", "")
    if kind == "SyntaxError" or info.get("builtin") == "SyntaxError":
        line = where.rpartition(":")[2]
        return f"SyntaxError: {message.split(' (')[0]}" + (f" (line {line})" if line else "")
    text = message.strip().splitlines()
    return f"{kind}: {text[0] if text else ''}".rstrip(": ")


def _exception(info: dict, during: str) -> Exception:
    """The student's exception as the grader raises it: the same builtin class, with where."""
    where = f" (at {info['where']})" if info.get("where") else ""
    message = str(info.get("message", ""))
    if info.get("stops"):
        return StudentStopped(
            f"{during} raised {info.get('type')}{': ' + message if message else ''}{where}: a "
            "graded function must return (or raise an Exception), not stop the program")
    if info.get("type") != info.get("builtin"):
        message = f"{info.get('type')}: {message}"
    return rebuild({"builtin": info.get("builtin"), "message": message + where})


class RemoteFunction:
    """A function of the student's module, called in the worker."""

    def __init__(self, worker: Worker, name: str):
        self.worker, self.__name__ = worker, name

    def __call__(self, *args, **kwargs):
        return self.worker.call(self.__name__, args, kwargs)

    def __repr__(self):
        return f"<the student's {self.__name__}>"


class RemoteModule:
    """The student's module as the graded tests see it: its functions run in the worker."""

    def __init__(self, worker: Worker):
        object.__setattr__(self, "_worker", worker)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # the graded functions are public; repr helpers ask for _names
            raise AttributeError(name)
        return RemoteFunction(self._worker, name)

    def __repr__(self):
        return f"<{self._worker.path.name}, in a worker process>"

    def __setattr__(self, name: str, value):
        self._worker.setattr(name, value)

    def probe(self, name: str, *args):
        return self._worker.probe(name, *args)


_failed: dict[Path, str] = {}  # exercise file -> why it did not import (not retried in this run)


def open_exercise(folder: Path, name: str, withheld=(), workdir: Path | None = None,
                  timeout_error: type[BaseException] | None = None) -> Worker:
    """A worker with `folder`/`name`.py imported. A file that failed to import once fails at once
    for the rest of the run (an import-time endless loop costs one timeout, not one per test);
    `timeout_error` is the exception that ends a test that ran out of time."""
    path = (Path(folder) / f"{name}.py").resolve()
    if path in _failed:
        raise StudentImportError(_failed[path])
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        _failed[path] = f"{path} {what}: write your {name} in {path.name} there"
        raise StudentImportError(_failed[path])
    if path.stat().st_size > MAX_SOURCE:
        _failed[path] = (f"{path.name} is {path.stat().st_size:,} bytes; an exercise file is "
                         f"Python source of at most {MAX_SOURCE:,}")
        raise StudentImportError(_failed[path])
    worker = Worker(path, name, withheld, workdir)
    try:
        worker.ready()
    except StudentImportError as e:
        _failed[path] = str(e)
        raise
    except StudentCrashed as e:
        _failed[path] = f"{path.name} could not be imported: {e}"
        raise StudentImportError(_failed[path]) from None
    except BaseException as e:
        worker.close()
        if timeout_error is not None and isinstance(e, timeout_error):
            _failed[path] = (f"{path.name} could not be imported: it did not finish importing in "
                             "time (a loop at the top level of the file?)")
            raise StudentImportError(_failed[path]) from None
        raise
    return worker
