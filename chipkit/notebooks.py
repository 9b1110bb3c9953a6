"""The lessons' sources are jupytext percent files (notebooks/NN_name.py); this builds the .ipynb
that students open from them, and checks the two are in sync. `python -m chipkit.notebooks
[--check]`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from chipkit.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
#: metadata that changes with whoever ran jupytext last: never written
_FILTER = "-jupytext.text_representation.jupytext_version,-jupytext.notebook_metadata_filter"


def sources(folder: Path = NOTEBOOKS) -> list[Path]:
    """The lesson sources in teaching order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.py"))


def to_notebook(source: Path):
    """The notebook a source file describes (no outputs), with a Python 3 kernel."""
    try:
        import jupytext
    except ImportError as e:  # a dev dependency
        raise ConfigError("building notebooks needs jupytext: pip install -e '.[dev]'") from e
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata.setdefault("jupytext", {})["notebook_metadata_filter"] = _FILTER
    for i, cell in enumerate(nb.cells):  # stable ids, so rebuilding changes nothing
        cell["id"] = f"{source.stem[:2]}-{i:03d}"
    return nb


def render(source: Path) -> str:
    """The .ipynb text for `source`."""
    import jupytext

    return jupytext.writes(to_notebook(source), fmt="ipynb")


def build(check: bool = False) -> list[Path]:
    """Write every notebooks/NN_*.ipynb from its .py; with check, only list the stale ones."""
    stale = []
    for src in sources():
        target = src.with_suffix(".ipynb")
        text = render(src)
        if not target.exists() or target.read_text() != text:
            stale.append(target)
            if not check:
                target.write_text(text)
    return stale


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = build(check=check)
    for p in stale:
        print(("stale: " if check else "wrote: ") + str(p.relative_to(ROOT)))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
