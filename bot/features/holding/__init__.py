"""Quiet hours enforced: messages held in quiet time, released at work start, urgent passes."""
