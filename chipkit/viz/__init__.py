"""Figures for the notebooks: they take recorded or computed results and draw them.

waveform: record MyHDL signals (Recorder), draw timing diagrams (plot_waveform), write and read VCD.
"""
from chipkit.viz.waveform import (
    Recorder,
    Trace,
    format_value,
    plot_waveform,
    read_vcd,
    simulate_and_record,
    watch,
    write_vcd,
)

__all__ = ["Recorder", "Trace", "format_value", "plot_waveform", "read_vcd", "simulate_and_record",
           "watch", "write_vcd"]
