"""Lesson 04 in a real browser: JupyterLab runs every cell, the dataflow widget appears, and moving
its cycle slider makes the kernel redraw it. A tiny notebook checks the harness itself."""
from __future__ import annotations

import contextlib
import hashlib
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSON = Path("notebooks") / "04_systolic_array.ipynb"
CYCLE = re.compile(r"cycle\s+(\d+)\s+of\s+(\d+)")  # \s: HTML may hold no-break spaces
RUN_ALL_S = 180  # every cell of lesson 04 (its tests/test_notebooks.py run takes ~10-30 s)
REDRAW_S = 30  # one slider move: a kernel round trip and one matplotlib figure

#: null while cells are queued or running; then {error: text} for the first error output, or
#: {cells: n} once all n code cells have an execution count (reads the notebook's model, which the
#: server exposes as window.jupyterapp: an error looks like any stderr text in the DOM)
ALL_RAN = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const cells = panel && panel.content && panel.content.model && panel.content.model.cells;
    if (!cells || !cells.length) return null;
    let code = 0, done = 0;
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        code += 1;
        for (let j = 0; j < cell.outputs.length; j++) {
            const out = cell.outputs.get(j).toJSON();
            if (out.output_type === 'error')
                return {error: `cell ${i + 1}: ${out.ename}: ${out.evalue}`};
        }
        if (cell.executionCount !== null && cell.executionCount !== undefined) done += 1;
    }
    return code > 0 && done === code ? {cells: code} : null;
}"""
#: true once the notebook's toolbar names a kernel (not "No Kernel") and that kernel is idle
KERNEL_IDLE = """() => {
    const bar = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar');
    const name = bar && bar.querySelector('.jp-KernelName');
    const state = bar && bar.querySelector('.jp-Notebook-ExecutionIndicator');
    return !!(name && state && name.textContent.trim() && !/No Kernel/.test(name.textContent)
              && state.dataset.status === 'idle');
}"""

TINY_WIDGET = '''\
from ipywidgets import HTML, IntSlider, VBox

slider = IntSlider(value=1, min=1, max=9, description="cycle", continuous_update=False)
status = HTML()


def redraw(_=None):
    status.value = f"<b>cycle {slider.value} of 9</b> (redrawn by the kernel)"


slider.observe(redraw, names="value")
redraw()
box = VBox([slider, status])
box.add_class("chipkit-dataflow")
box
'''


@contextlib.contextmanager
def screenshot_on_failure(page, lab, folder: Path, name: str):
    """On any failure: a full-page screenshot in `folder`, its path printed and added to the error,
    with the end of JupyterLab's log."""
    try:
        yield
    except BaseException as e:
        path = folder / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.png"
        try:
            page.screenshot(path=str(path), full_page=True, timeout=15_000)
            print(f"screenshot of the failing page: {path}")
            e.add_note(f"screenshot of the failing page: {path}")
        except Exception as shot:  # the browser itself may be what failed
            e.add_note(f"(no screenshot: {shot})")
        e.add_note(f"JupyterLab log (end):\n{lab.log(15)}")
        raise


def run_all_cells(page, lab, notebook: str) -> None:
    """Open `notebook`, wait for a named, idle kernel, Run -> Run All Cells, wait until all ran."""
    lab.check_opens(notebook)
    page.goto(lab.url(f"lab/tree/{notebook}"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=60_000)
    # Run All is silently dropped while the toolbar still says "No Kernel"
    page.wait_for_function(KERNEL_IDLE, timeout=60_000, polling=250)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    state = page.wait_for_function(ALL_RAN, timeout=RUN_ALL_S * 1000, polling=500).json_value()
    if "error" in state:
        pytest.fail(f"{notebook}: {state['error']}")


def shown_cycle(page, widget, want: tuple[int, int] | None = None) -> tuple[int, int]:
    """The (t, T) of the widget's `cycle t of T` text, once there is one (and, given `want`, once
    it reads that): the kernel fills the text in after the widget appears, and after each move."""
    deadline, text = time.monotonic() + REDRAW_S, ""
    while time.monotonic() < deadline:
        text = widget.inner_text()
        m = CYCLE.search(text)
        if m and (want is None or (int(m[1]), int(m[2])) == want):
            return int(m[1]), int(m[2])
        page.wait_for_timeout(200)
    if want is None:
        pytest.fail(f"the dataflow widget shows no 'cycle t of T' within {REDRAW_S} s: "
                    f"{text[:300]!r}")
    pytest.fail(f"after moving the slider the widget should read 'cycle {want[0]} of {want[1]}' "
                f"within {REDRAW_S} s; it reads {text[:300]!r}")


def move_the_cycle_slider(page) -> tuple[int, int]:
    """Find the (first) dataflow widget, press ArrowRight then End on its cycle slider, check the
    shown cycle follows; return (cycle shown at first, cycles of a fold)."""
    widget = page.locator(".chipkit-dataflow").first
    widget.wait_for(state="attached", timeout=30_000)
    widget.scroll_into_view_if_needed()
    widget.wait_for(state="visible", timeout=30_000)
    slider = widget.locator(".widget-slider").filter(
        has=page.locator("label.widget-label", has_text=re.compile(r"^cycle$")))
    assert slider.count() == 1, "the dataflow widget should hold one IntSlider described 'cycle'"
    t0, steps = shown_cycle(page, widget)
    assert steps >= 2 and 1 <= t0 < steps, f"cycle {t0} of {steps}: nothing to move to"
    handle = slider.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    shown_cycle(page, widget, (t0 + 1, steps))
    assert handle.get_attribute("aria-valuenow").startswith(str(t0 + 1))
    page.keyboard.press("End")
    shown_cycle(page, widget, (steps, steps))
    return t0, steps


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_harness_moves_a_tiny_dataflow_widget(start_lab, page, tmp_path, artifact_dir):
    """The harness on a notebook of its own: if this fails, the browser setup is broken, not the
    lesson."""
    import nbformat

    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A tiny dataflow widget"),
                nbformat.v4.new_code_cell(TINY_WIDGET)]
    nbformat.write(nb, root / "tiny.ipynb")
    lab = start_lab(root)
    with screenshot_on_failure(page, lab, artifact_dir, "tiny-widget"):
        run_all_cells(page, lab, "tiny.ipynb")
        assert move_the_cycle_slider(page) == (1, 9)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_lesson04_dataflow_widget_follows_its_slider(start_lab, page, artifact_dir):
    notebook = ROOT / LESSON
    assert notebook.exists(), f"{LESSON} is missing: run `make notebooks`"
    before = _digest(notebook)
    lab = start_lab(ROOT)
    start = time.perf_counter()
    with screenshot_on_failure(page, lab, artifact_dir, "lesson04"):
        run_all_cells(page, lab, LESSON.as_posix())
        ran = time.perf_counter() - start
        t0, steps = move_the_cycle_slider(page)
    print(f"lesson 04 in chromium: all cells {ran:.1f} s; slider cycle {t0} -> {t0 + 1} -> "
          f"{steps} of {steps}; {time.perf_counter() - start:.1f} s in all")
    assert _digest(notebook) == before, f"running {LESSON} in the browser changed the file"
