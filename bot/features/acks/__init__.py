"""Acknowledgement requests: one button and a live tally instead of thirty "收到"."""
