"""Every lesson runs top to bottom from a fresh kernel, and its .ipynb is in sync with its .py
source."""
import time

import pytest

from chipkit import notebooks

SOURCES = notebooks.sources()


def test_there_are_lessons():
    assert len(SOURCES) >= 3, "notebooks/00_*.py, 01_*.py and 02_*.py at least"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_ipynb_is_built_from_source(source):
    target = source.with_suffix(".ipynb")
    assert target.exists(), f"{target.name} missing: run `make notebooks`"
    assert target.read_text() == notebooks.render(source), (
        f"{target.name} is out of date with {source.name}: run `make notebooks`")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_lesson_runs_top_to_bottom(source, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = notebooks.to_notebook(source)
    start = time.perf_counter()
    NotebookClient(nb, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    seconds = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []))
    assert images >= 1, f"{source.name} shows no picture"
    print(f"{source.stem}: {seconds:.1f} s, {images} figures")
