"""Each feature's rules and effects: pure functions of a Situation and the feature's state."""
