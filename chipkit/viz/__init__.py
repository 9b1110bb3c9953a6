"""Figures and widgets for the notebooks: they take recorded or computed results and draw them;
they never simulate on their own. One module per lesson topic: waveform (timing diagrams of a
chipkit.flow.trace.Trace), adders, multipliers, systolic, cycles, vector, timeline, core_diagram.
"""
from chipkit.viz.waveform import format_value, plot_waveform

__all__ = ["format_value", "plot_waveform"]
