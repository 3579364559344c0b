"""/start and /help: what the bot does, in the reader's language."""
