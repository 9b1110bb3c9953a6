"""The exercise grader: exercises/ made from solutions/, graded by the tests in tests/exercises.

runner.py is `chipkit grade` (pytest in a subprocess); generate.py writes exercises/ from solutions.
"""
