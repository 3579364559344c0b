"""Where the labelled work-group corpus is: $JIANFU_CORPUS, else the copy kept in tests/data.

The copy is ../shared/corpus/messages.jsonl as the project received it, so a clone tests and
benchmarks on its own; tests/test_vendored_data.py fails when the shared file moves on.
"""

from __future__ import annotations

import os
from pathlib import Path

VENDORED_CORPUS = Path(__file__).resolve().parent / "data" / "messages.jsonl"


def corpus_file() -> Path:
    """$JIANFU_CORPUS (a file, or a directory holding messages.jsonl), else the vendored copy."""
    configured = os.environ.get("JIANFU_CORPUS")
    if not configured:
        return VENDORED_CORPUS
    path = Path(configured)
    return path / "messages.jsonl" if path.is_dir() else path
