"""接龙 chains turned into one roll-call message with a live list."""
