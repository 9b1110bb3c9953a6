"""Fixtures of the graded tests: `mod` is the exercise file a test module grades, imported afresh
in a worker process of its own (chipkit.grading.remote): the tests and their references stay here.

test_exNN_name.py grades exNN_name.py from the folder --impl names (solutions/ by default). A test
module's WITHHELD names what it compares against; they are switched off in the worker.
"""
from pathlib import Path

import pytest

from chipkit.grading.checks import GradedTimeout, arm_timeout
from chipkit.grading.loader import resolve_impl
from chipkit.grading.remote import RemoteModule, open_exercise

HERE = Path(__file__).parent
DEFAULT_TIMEOUT = 10.0  # seconds per graded test; a test file may set its own @pytest.mark.timeout


def _graded(item) -> bool:
    return HERE in Path(str(item.path)).parents


def pytest_collection_modifyitems(config, items):
    """Every graded test carries points and a timeout (--timeout N overrides the default)."""
    for item in filter(_graded, items):
        marker = item.get_closest_marker("points")
        if not marker or len(marker.args) != 1 or not isinstance(marker.args[0], int) \
                or marker.args[0] < 1:
            raise pytest.UsageError(f"{item.nodeid}: graded tests need @pytest.mark.points(n >= 1)")
        if not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(config.getoption("timeout") or DEFAULT_TIMEOUT))


def pytest_timeout_set_timer(item, settings):
    """Graded tests time out with an exception hypothesis cannot catch and replay (see checks)."""
    if _graded(item) and settings.method == "signal":
        return arm_timeout(item, settings)
    return None


@pytest.fixture(scope="session")
def impl_dir(pytestconfig) -> Path:
    return resolve_impl(pytestconfig.getoption("--impl"))


@pytest.fixture
def mod(request, impl_dir, tmp_path):
    """The exercise module this test file grades, freshly imported from the --impl folder in a
    worker process that ends with the test."""
    worker = open_exercise(impl_dir, Path(str(request.path)).stem.removeprefix("test_"),
                           withheld=getattr(request.module, "WITHHELD", ()), workdir=tmp_path,
                           timeout_error=GradedTimeout)
    yield RemoteModule(worker)
    worker.close()
