"""chipkit: design an int8 AI inference chip from the bits up, in Python and MyHDL.

Start with `chipkit info`, then open notebooks/00_why_an_inference_chip.ipynb.
"""
from importlib.metadata import PackageNotFoundError, version

from chipkit.errors import ChipkitError

try:
    __version__ = version("chipkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["ChipkitError", "__version__"]
