"""The pure core of Jianfu: decisions from plain data and an explicit `now`; no I/O."""
