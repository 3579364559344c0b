"""`python -m bench [--list] [NAME...]`: run the benchmarks in bench/ and print their figures."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import pkgutil
import sys
import time
from collections.abc import Callable
from typing import Any

import bench


def benchmark_names() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.iter_modules(bench.__path__)
        if not module.name.startswith("_")
    )


def load(name: str) -> Callable[[], Any]:
    run: Callable[[], Any] | None = getattr(importlib.import_module(f"bench.{name}"), "run", None)
    if not callable(run):
        raise SystemExit(f"bench/{name}.py has no run() function: add `def run() -> None`")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    available = benchmark_names()
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [name for name in args.names if name not in available]
    if unknown:
        print(
            f"unknown benchmark {', '.join(unknown)}; available: {', '.join(available)}",
            file=sys.stderr,
        )
        return 2
    for name in args.names or available:
        run = load(name)
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        if inspect.iscoroutinefunction(run):
            asyncio.run(run())
        else:
            run()
        print(f"   ({name} took {time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
