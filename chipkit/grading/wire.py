"""What crosses between the grader and the student's process: plain data, copied as JSON.

The grader never unpickles anything the student's process sends (unpickling runs code). Values
travel as JSON with a few tags, so each side rebuilds them with exact types:

- None, bool, int, float, str: themselves (an int subclass is *not* an int: see below);
- tuple, dict, bytes, numpy arrays (numeric dtypes) and numpy scalars: tagged, rebuilt exactly;
- an object the grader lends (a callback, a traced bit): a handle. The student's process gets a
  stand-in that forwards calls and operators back to the grader, where the object stays: its code
  and its state never enter the student's process;
- anything else the student's process sends back (an int subclass with a rigged `__eq__`, a
  function, a MyHDL block) arrives as a `Foreign` that equals nothing and says what it was.
"""
from __future__ import annotations

import base64
import json

import numpy as np

#: the numpy dtype kinds that travel as data: bool, signed, unsigned, float
DATA_KINDS = "biuf"
#: what a lent object's stand-in may ask of it (attribute reads never cross)
LENT_OPS = frozenset({"__call__", "__and__", "__or__", "__xor__", "__rand__", "__ror__",
                      "__rxor__", "__bool__", "__int__", "__index__", "__eq__", "__ne__",
                      "__len__", "__getitem__", "__repr__"})
PLAIN = (type(None), bool, int, float, str)


class WireError(Exception):
    """A message that is not what the protocol allows (malformed, forged or too deep)."""


class Foreign:
    """A value of a type that does not cross as data. It equals nothing, so an assertion
    `got == want` fails and its message shows this object's description."""

    def __init__(self, type_name: str, base: str | None, text: str):
        self.type_name, self.base, self.text = type_name, base, text

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = object.__hash__

    def __repr__(self):
        if self.base:
            return (f"<{self.text} as a {self.type_name}, a subclass of {self.base}: return a "
                    f"plain {self.base}>")
        return f"<{self.text}: a {self.type_name}, which is not a value the grader can check>"


def _exact_base(x) -> str | None:
    """The builtin or numpy type x is a subclass of (not exactly), if any."""
    for base in (bool, int, float, str, tuple, list, dict, bytes, np.ndarray):
        if isinstance(x, base) and type(x) is not base:
            return base.__name__
    return None


def _describe(x) -> str:
    try:
        text = object.__repr__(x) if _exact_base(x) is None else _base_repr(x)
    except Exception:  # noqa: BLE001 -- any repr may fail; the type name is enough
        text = "?"
    return text[:80]


def _base_repr(x) -> str:
    for base in (bool, int, float, str, tuple, list, dict, bytes):
        if isinstance(x, base):
            return base.__repr__(x)
    return np.ndarray.__repr__(x)


class Codec:
    """Turns values into JSON-able trees and back. `lend(obj) -> token` and `borrow(token) ->
    obj` say what happens to objects that are not data (see the module docstring)."""

    def __init__(self, lend=None, borrow=None, max_depth: int = 64):
        self.lend, self.borrow, self.max_depth = lend, borrow, max_depth

    def dumps(self, value) -> bytes:
        return json.dumps(self.encode(value), separators=(",", ":")).encode()

    def loads(self, data: bytes):
        try:
            tree = json.loads(data)
        except (ValueError, RecursionError) as e:
            raise WireError(f"a message that is not JSON ({e})") from None
        return self.decode(tree)

    def encode(self, x, depth: int = 0):
        if depth > self.max_depth:
            return {"x": "deeply nested value", "base": None, "r": "..."}
        t = type(x)
        if t in PLAIN:
            return x
        if t is list:
            return [self.encode(v, depth + 1) for v in x]
        if t is tuple:
            return {"t": [self.encode(v, depth + 1) for v in x]}
        if t is dict:
            return {"d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                          for k, v in x.items()]}
        if t is bytes:
            return {"by": base64.b64encode(x).decode()}
        if t is np.ndarray and x.dtype.kind in DATA_KINDS:
            data = np.ascontiguousarray(x)
            return {"nd": data.dtype.str, "shape": list(data.shape),
                    "b": base64.b64encode(data.tobytes()).decode()}
        if isinstance(x, np.generic) and t.__module__ == "numpy" and x.dtype.kind in DATA_KINDS:
            return {"ns": x.dtype.str, "b": base64.b64encode(x.tobytes()).decode()}
        if self.lend is not None:
            token = self.lend(x)
            if token is not None:
                return {"h": token}
        return {"x": f"{t.__module__}.{t.__qualname__}".removeprefix("builtins."),
                "base": _exact_base(x), "r": _describe(x)}

    def decode(self, tree, depth: int = 0):
        if depth > self.max_depth:
            raise WireError("a value nested too deeply")
        if type(tree) in PLAIN:
            return tree
        if type(tree) is list:
            return [self.decode(v, depth + 1) for v in tree]
        if type(tree) is not dict or len(tree) not in (1, 2, 3):
            raise WireError(f"an unknown value {str(tree)[:60]}")
        try:
            if "t" in tree:
                return tuple(self.decode(v, depth + 1) for v in tree["t"])
            if "d" in tree:
                return {self._key(self.decode(k, depth + 1)): self.decode(v, depth + 1)
                        for k, v in tree["d"]}
            if "by" in tree:
                return base64.b64decode(tree["by"])
            if "nd" in tree:
                dtype = self._dtype(tree["nd"])
                shape = tuple(int(n) for n in tree["shape"])
                return np.frombuffer(base64.b64decode(tree["b"]), dtype=dtype).reshape(shape).copy()
            if "ns" in tree:
                return np.frombuffer(base64.b64decode(tree["b"]),
                                     dtype=self._dtype(tree["ns"]))[0]
            if "h" in tree:
                if self.borrow is None:
                    raise WireError("a handle where none was lent")
                return self.borrow(tree["h"])
            if "x" in tree:
                return Foreign(str(tree["x"])[:80], tree.get("base") and str(tree["base"]),
                               str(tree.get("r", ""))[:80])
        except WireError:
            raise
        except (ValueError, TypeError, KeyError, IndexError) as e:
            raise WireError(f"a malformed value ({type(e).__name__}: {e})") from None
        raise WireError(f"an unknown value {str(tree)[:60]}")

    @staticmethod
    def _dtype(text) -> np.dtype:
        dtype = np.dtype(str(text))
        if dtype.kind not in DATA_KINDS:
            raise WireError(f"an array of dtype {dtype}, which does not travel")
        return dtype

    @staticmethod
    def _key(k):
        if isinstance(k, (list, dict, np.ndarray)) or type(k) is Foreign:
            raise WireError("an unhashable dict key")
        return k
