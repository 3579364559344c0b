"""Benchmarks that print figures (`make bench`); speed is measured here, never asserted in tests.

Each module `bench/<name>.py` exposes `run()`, plain or async; `python -m bench` runs them all in
name order, `python -m bench NAME...` the named ones, `python -m bench --list` lists them.
Modules whose name starts with "_" are helpers, not benchmarks.
"""
