"""Benchmark scripts: each prints its figures (run them as python benchmarks/NAME.py)."""
