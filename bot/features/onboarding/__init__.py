"""Joining a group: the bot's rights there, the intro, and the roster from membership updates."""
