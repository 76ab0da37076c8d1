"""Reproducible benchmarks: ``python -m bench.NAME [--quick]``; ``python -m bench.all`` runs all.

Each prints a table whose headline is a ratio measured in the same run against a baseline.
"""
