"""Figures for the notebooks: they take recorded or computed results and draw them; they never
simulate on their own.

waveform: timing diagrams of a chipkit.flow.trace.Trace (record one with Bench.record).
"""
from chipkit.viz.waveform import format_value, plot_waveform

__all__ = ["format_value", "plot_waveform"]
