"""Telling people what the bot did with their message: privately, or briefly in the group."""
