"""The checker names the first differing step, the inputs there, and how many steps differ."""
import numpy as np
import pytest

from chipkit.errors import ChipkitError
from chipkit.flow.check import Mismatch, compare, first_difference


def test_agreement_is_silent():
    assert first_difference({"s": np.array([1, 2])}, {"s": np.array([1, 2])}) == ""
    compare({"s": [1, 2], "extra": [0, 0]}, {"s": [1, 2]})


def test_first_difference_names_step_inputs_and_count():
    got, want = {"s": np.array([1, 5, 7, 9])}, {"s": np.array([1, 2, 7, 3])}
    msg = first_difference(got, want, {"a": np.array([0, 1, 2, 3])}, "adder")
    assert msg.startswith("adder: output s differs at step 1 with inputs {'a': 1}")
    assert "got np.int64(5)" in msg or "got 5" in msg
    assert "(2 of 4 steps differ)" in msg


def test_rows_of_lanes_and_missing_outputs():
    got = {"c": np.array([[1, 2], [3, 4]])}
    assert "step 1" in first_difference(got, {"c": np.array([[1, 2], [3, 5]])})
    assert "no output 'd'" in first_difference(got, {"d": np.array([1])})
    assert "shape" in first_difference(got, {"c": np.array([1, 2])})


def test_compare_raises_a_chipkit_error():
    with pytest.raises(Mismatch, match="differs at step 0") as e:
        compare({"y": [0]}, {"y": [1]}, label="gate")
    assert isinstance(e.value, ChipkitError)
