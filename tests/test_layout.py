"""docs/layout.md lists every chipkit module in the order data flows through the package, and
claims each uses only the ones above it. This test reads every import in every module (at the
top and inside functions alike) and holds the claim: no module imports one listed below it, and
so no import cycle can hide behind a function-level import."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chipkit"


def listed() -> list[str]:
    """Module names in docs/layout.md's table order (`chipkit/a/b.py` -> chipkit.a.b)."""
    rows = re.findall(r"^\| `(chipkit/[\w/]+)\.py` \|", (ROOT / "docs/layout.md").read_text(),
                      re.M)
    return [r.replace("/", ".") for r in rows]


def modules() -> dict[str, Path]:
    """Every module of the package (package __init__ files apart), by dotted name."""
    return {".".join(p.relative_to(ROOT).with_suffix("").parts): p
            for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}


def imports(path: Path, known: set) -> set[str]:
    """The chipkit modules `path` imports, wherever in the file the import is."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        out |= {n for n in names if n in known}
    return out


def test_every_module_is_listed_once():
    order = listed()
    assert len(order) == len(set(order)), "a module is listed twice in docs/layout.md"
    missing = sorted(set(modules()) - set(order))
    gone = sorted(set(order) - set(modules()))
    assert not missing, f"docs/layout.md does not list {missing}"
    assert not gone, f"docs/layout.md lists modules that do not exist: {gone}"


def test_each_module_imports_only_modules_above_it():
    order = {name: i for i, name in enumerate(listed())}
    known = set(modules())
    wrong = [f"{name} (row {order[name] + 1}) imports {dep} (row {order[dep] + 1})"
             for name, path in modules().items() if name in order
             for dep in sorted(imports(path, known)) if order.get(dep, -1) >= order[name]]
    assert not wrong, "imports against docs/layout.md's order:\n" + "\n".join(wrong)


def test_the_check_sees_function_level_imports(tmp_path):
    """The walk finds an import hidden in a function, so the check above can fail."""
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from chipkit.models import core_fast\n    import chipkit.isa\n")
    assert imports(f, {"chipkit.models.core_fast", "chipkit.isa"}) == {
        "chipkit.models.core_fast", "chipkit.isa"}
