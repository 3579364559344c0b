"""`python -m demo [--script-only] [--port P] [--database URL]`: the scripted evening, then the
server and the bot left running for typing on as the simulated users (Ctrl-C stops them)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TextIO

from demo.clock import DemoClock
from demo.script import START, Cast, Evening
from demo.stage import Stage, staged
from demo.transcript import Transcript
from testserver.world import ChatMessage

DEFAULT_PORT = 8081
SPOKEN = "请各位明天下午三点前上报巡查记录，收到请回复"
NIGHT = "2026-11-19T22:30:00+08:00"
WATCH_S = 0.25  # how often the running demo writes down what happened


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "--script-only", action="store_true", help="stop after the script (for tests)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"of the test server (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--database",
        default=None,
        help="database URL (default: a SQLite file in a temporary folder)",
    )
    return parser.parse_args()


async def demo(args: argparse.Namespace, database_url: str, out: TextIO) -> None:
    clock = DemoClock(START)
    async with staged(database_url, clock, host=args.host, port=args.port) as stage:
        transcript = Transcript(stage.world, out)
        evening = Evening(stage, transcript)
        cast = await evening.play()
        if args.script_only:
            return
        clock.run()

        def move_clock(instant: datetime) -> None:
            stage.move_clock(instant)
            transcript.heading(instant, "the clock moved 时间调整")

        stage.server.set_clock = move_clock
        assert evening.tally is not None, "the script has a tally"
        print(how_to_go_on(stage, cast, evening.tally), file=out, flush=True)
        await _watch(transcript)


async def _watch(transcript: Transcript) -> None:
    """Write down what happens until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    while not stop.is_set():
        transcript.catch_up()
        try:
            await asyncio.wait_for(stop.wait(), WATCH_S)
        except TimeoutError:
            continue


def how_to_go_on(stage: Stage, cast: Cast, tally: ChatMessage) -> str:
    server = stage.server
    control = server.control_url
    people = ", ".join(f"{p.first_name} {p.id}" for p in cast.people)
    groups = ", ".join(f"{g.title} {g.id}" for g in cast.groups)
    li, town, village = cast.li, cast.town, cast.village
    speak = {"user_id": li.id, "chat_id": town.id, "text": SPOKEN}
    press = {"user_id": cast.director.id, "chat_id": village.id, "message_id": tally.message_id}
    return f"""
══ Your turn 轮到你了 ══
  The test server and the bot keep running; the clock goes on from Thursday morning at the
  pace of real time. Ctrl-C stops both (the demo's database goes with them).
  Bot API: {server.base_url}{server.token}/getMe  — the one token it accepts: {server.token}
  Control API: {control}/  (JSON in, JSON out)
  People (user_id): {people}
  Groups (chat_id): {groups}

  Speak as 李娜 in {town.title}:
    {_curl(control, "send", speak)}
  Reply to a message: add "reply_to": <message_id>; say it privately to the bot: leave out chat_id.
  Press a button as 李主任: ✅ 收到 under 王书记's request (the first button; "data" picks
  another, as listed in the message's reply_markup):
    {_curl(control, "press", press)}
  Move the clock (forward only), e.g. to tonight's quiet hours, then to tomorrow's work start:
    {_curl(control, "clock", {"now": NIGHT})}
  What a group shows, and what the bot sent to someone privately:
    curl -s '{control}/messages?chat_id={village.id}'
    curl -s '{control}/sent?chat_id={li.id}'
  What happens from now on is written below as it happens.
"""


def _curl(control: str, endpoint: str, body: Mapping[str, object]) -> str:
    return f"curl -s {control}/{endpoint} -d '{json.dumps(body, ensure_ascii=False)}'"


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="jianfu-demo-") as folder:
        database = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        try:
            asyncio.run(demo(args, database, sys.stdout))
        except OSError as error:
            raise SystemExit(
                f"demo: cannot serve on {args.host}:{args.port} ({error.strerror}); "
                "pick another port with --port"
            ) from None


if __name__ == "__main__":
    main()
