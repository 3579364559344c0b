"""Jianfu's Telegram side: translation of updates, effects, storage, scheduling."""
