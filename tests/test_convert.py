"""Conversion is deterministic: the same design converts to the same Verilog however often."""
from chipkit.flow.convert import convert
from chipkit.flow.sim import Bench, int_template
from chipkit.hdl.mac import mac


def text(path):
    return [ln for ln in path.read_text().splitlines() if not ln.startswith(("// Date", "// File"))]


def test_converting_twice_gives_the_same_verilog(tmp_path):
    bench = Bench(mac, {"a": int_template(8, True), "b": int_template(8, True),
                        "clear": bool(0), "enable": bool(0)}, {"acc": int_template(32, True)},
                  {"saturating": True, "multiplier": "baugh_wooley"}, clocked=True)
    first = convert(bench, tmp_path / "one")
    second = convert(bench, tmp_path / "two")
    assert text(first) == text(second)
