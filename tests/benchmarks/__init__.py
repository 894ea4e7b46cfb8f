"""Benchmarks: `python -m tests.benchmarks [NAME ...]` runs them and prints one table.

Each `bench_*.py` module has `run(quick: bool) -> list[Figure]`. Figures compare
SparkTrainer against a baseline measured in the same run (ratios, not absolute
times), because the machines that run them are noisy.
"""
