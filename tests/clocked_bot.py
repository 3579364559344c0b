"""The real bot (`jianfu run`) on a clock of the test's: `python -m tests.clocked_bot --config C
--now T`. The clock starts at T and moves on with real time (the demo's clock), so what T makes
due is done at once and the outbox's leases and backoffs still run out."""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path

from bot.edge.runner import run_bot
from bot.platform.settings import load_settings
from demo.clock import DemoClock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat, help="ISO 8601")
    args = parser.parse_args()
    clock = DemoClock(args.now)
    clock.run()
    run_bot(load_settings(args.config, os.environ), clock)


if __name__ == "__main__":
    main()
