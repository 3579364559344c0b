"""A demo without a Telegram account: `python -m demo` (or `make demo`).

The project's test Bot API server and the real bot (the same `serve` that `jianfu run` runs,
on a temporary database) play a scripted evening, night and morning in two work groups on a
clock the demo moves, and print what each member sees in the groups and receives privately.
Then both keep running, the clock going on at the pace of real time, so that one can go on
typing as the simulated users through the server's control API.

Modules: clock (the demo's clock), stage (the server and the bot, and waiting for the bot to
have done everything), transcript (what the world shows, written down as it changes), script
(the cast and the evening), __main__ (the command line and the instructions for typing on).
"""
