"""Supervision: reports from the live log and audits of exports, and their renderings."""
