"""Value Change Dump files: write a Trace for GTKWave, and read a VCD file (ours, MyHDL's or
iverilog's) back as a Trace."""
from __future__ import annotations

from pathlib import Path

from chipkit.errors import ConfigError
from chipkit.flow.trace import Trace, settle


def _vcd_code(i: int) -> str:
    """The i-th VCD identifier: printable ASCII '!'..'~', more characters after the first 94."""
    code = ""
    while True:
        code += chr(33 + i % 94)
        i = i // 94 - 1
        if i < 0:
            return code


def write_vcd(trace: Trace, path, timescale: str = "1ns") -> Path:
    """Write `trace` as a Value Change Dump: one $var per signal, then the changes by time.

    Signed buses are written as their two's complement bits, and listed in a `$comment chipkit
    signed: ...` line that read_vcd uses to decode them again. Returns the path written.
    """
    if not isinstance(trace, Trace):
        raise ConfigError(f"trace must be a chipkit.flow.trace.Trace (Bench.record's, or "
                          f"Recorder.trace()), got {type(trace).__name__}")
    bad = [n for n in trace.names if not n or any(c.isspace() for c in n)]
    if bad:
        raise ConfigError(f"VCD names cannot be empty or hold spaces: {bad}; rename those signals")
    codes = [_vcd_code(i) for i in range(len(trace.names))]
    lines = ["$version chipkit $end", f"$timescale {timescale} $end"]
    signed = [n for n, s in zip(trace.names, trace.signed, strict=True) if s]
    if signed:
        lines.append(f"$comment chipkit signed: {' '.join(signed)} $end")
    lines.append("$scope module top $end")
    for name, width, code in zip(trace.names, trace.widths, codes, strict=True):
        ref = name if width == 1 else f"{name} [{width - 1}:0]"
        lines.append(f"$var wire {width} {code} {ref} $end")
    lines += ["$upscope $end", "$enddefinitions $end"]
    events: dict = {}
    for width, code, changes in zip(trace.widths, codes, trace.changes, strict=True):
        for t, v in changes:
            bits = format(v & ((1 << width) - 1), f"0{width}b")
            events.setdefault(t, []).append(f"{bits}{code}" if width == 1 else f"b{bits} {code}")
    for k, t in enumerate(sorted(events)):
        lines.append(f"#{t}")
        lines += ["$dumpvars", *events[t], "$end"] if k == 0 else events[t]
    if not events or trace.end > max(events):
        lines.append(f"#{trace.end}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_vcd(path, signed=()) -> Trace:
    """Read a VCD file (written here, by MyHDL's traceSignals or by a Verilog simulator) as a Trace.

    Signals in nested scopes are named scope.sub.name below the top scope; x and z bits read as 0.
    Buses named in `signed`, or in a `$comment chipkit signed: ...`, decode as two's complement.
    Times are in the file's own timescale units.
    """
    try:
        tokens = Path(path).read_text().split()
    except (OSError, UnicodeDecodeError) as e:
        why = "not a text file" if isinstance(e, UnicodeDecodeError) else (e.strerror or e)
        raise ConfigError(f"cannot read the VCD file {path}: {why}; give a .vcd written by "
                          "write_vcd, MyHDL's traceSignals or a Verilog simulator") from None
    names, widths, by_code, scopes, log = [], [], {}, [], {}
    signed, t, i = set(signed), 0, 0

    def block_end(j):  # index just past the $end closing the section that starts at j
        return tokens.index("$end", j) + 1

    while i < len(tokens):
        tok = tokens[i]
        if tok == "$scope":
            scopes.append(tokens[i + 2])
            i = block_end(i)
        elif tok == "$upscope":
            scopes.pop()
            i = block_end(i)
        elif tok == "$var":
            name = ".".join(scopes[1:] + [tokens[i + 4]])
            by_code.setdefault(tokens[i + 3], []).append(name)
            names.append(name)
            widths.append(int(tokens[i + 2]))
            log[name] = []
            i = block_end(i)
        elif tok == "$comment":
            words = tokens[i + 1:block_end(i) - 1]
            if words[:2] == ["chipkit", "signed:"]:
                signed.update(words[2:])
            i = block_end(i)
        elif tok in ("$date", "$version", "$timescale", "$enddefinitions"):
            i = block_end(i)
        elif tok.startswith("$"):  # $dumpvars, $dumpall, $end ... around plain value changes
            i += 1
        elif tok[0] == "#":
            t, i = int(tok[1:]), i + 1
        elif tok[0] in "bBrR":
            if tok[0] in "bB":
                _vcd_change(log, by_code.get(tokens[i + 1], ()), t, tok[1:])
            i += 2
        else:
            _vcd_change(log, by_code.get(tok[1:], ()), t, tok[0])
            i += 1
    flags = tuple(n in signed and w > 1 for n, w in zip(names, widths, strict=True))
    changes = []
    for name, width, sign in zip(names, widths, flags, strict=True):
        ch = log[name] or [(0, 0)]
        changes.append(tuple((tt, v - ((v >> (width - 1)) << width) if sign else v)
                             for tt, v in ch))
    return Trace(tuple(names), tuple(widths), flags, tuple(changes), t)


def _vcd_change(log, names, t, bits):
    value = int("".join("1" if b == "1" else "0" for b in bits), 2)
    for name in names:
        settle(log[name], t, value)
