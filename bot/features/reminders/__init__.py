"""One quiet line quoting the rule a message breaks (demanding instant replies …)."""
