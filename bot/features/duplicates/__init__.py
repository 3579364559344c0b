"""Duplicate data requests: a later request linked to the earlier one asking for the same data."""
