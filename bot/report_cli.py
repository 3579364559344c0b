"""`jianfu report`: the supervision report of a period, read from the bot's database."""
