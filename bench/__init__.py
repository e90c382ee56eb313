"""Benchmarks at cohort scale (issue 9): `make bench`. Not part of the app or the test suite."""
