# chipkit: the two commands a fresh machine needs.
#   make demo   -- set everything up, run `chipkit demo` (the tiny transformer on the simulated
#                  chip), then open the course in JupyterLab
#   make test   -- set everything up, then run the whole test suite
# Both create .venv and install the kit (with its dev extra) the first time, or when pyproject changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.chipkit-installed

.PHONY: demo test lint grade notebooks exercises tools clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chipkit needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

demo: $(STAMP)
	$(BIN)/chipkit demo
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check chipkit tests solutions exercises notebooks

grade: $(STAMP)
	$(BIN)/chipkit grade

notebooks: $(STAMP)
	$(BIN)/python -m chipkit.notebooks

exercises: $(STAMP)
	$(BIN)/python -m chipkit.grading.generate

# Optional HDL tools (Debian/Ubuntu, as root): the tests that need them skip without them.
tools:
	apt-get update && apt-get install -y iverilog verilator ghdl

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
