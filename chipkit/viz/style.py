"""Shared look of chipkit's figures: the palette, fonts and sizes every plot in chipkit.viz uses.

Change a colour here and every figure follows; the plotting functions never hard-code one.
"""
import io

from matplotlib.figure import Figure

#: a few colours, named by what they draw
COLORS = {
    "wire": "#1f4e79",  # 1-bit signals and bus outlines
    "wire_fill": "#1f4e79",  # under a high 1-bit signal, drawn at FILL_ALPHA
    "bus_fill": "#e3edf7",  # inside a bus value box
    "clock": "#2e7d32",  # the clock's square wave
    "edge": "#9e9e9e",  # vertical guides at rising clock edges
    "label": "#202020",  # text
    "muted": "#707070",  # secondary text: widths, radix, axis
}
FILL_ALPHA = 0.12
LINE_WIDTH = 1.4
FONT_SIZE = 9  # points, values inside bus boxes
NAME_FONT_SIZE = 10  # points, signal names on the left
MONO = "DejaVu Sans Mono"  # ships with matplotlib, so every machine renders the same glyphs
CHAR_EM = 0.62  # width of one MONO glyph, in units of the font size (to fit labels in boxes)
SLANT_PX = 5  # horizontal size of a bus transition's slanted edge in a timing diagram, in pixels


class NotebookFigure(Figure):
    """A matplotlib Figure that a notebook shows (once) as the value of a cell, with or without
    pyplot: it renders itself to PNG. Nothing global is kept, so figures never pile up."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def new_figure(width: float, height: float) -> NotebookFigure:
    """A blank figure of `width` x `height` inches, laid out by matplotlib's constrained layout."""
    return NotebookFigure(figsize=(width, height), layout="constrained")
