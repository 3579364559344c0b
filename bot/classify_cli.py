"""`jianfu classify`: label JSON lines {"id": ..., "text": ...}, one output line per input line."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TextIO

from policies.classifier import classify

_EXPECTED = 'expected {"id": ..., "text": ...}'


def _parsed_line(line: str) -> tuple[Any, str] | str:
    """The id and text of one input line, or what is wrong with it."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg} at column {error.colno})"
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    if "text" not in record:
        return 'no "text" field'
    if not isinstance(record["text"], str):
        return '"text" is not a string'
    return record.get("id"), record["text"]


def run_classify(infile: TextIO, outfile: TextIO, errfile: TextIO, now: datetime) -> int:
    """Classify every non-blank line; 2 when any line was malformed (its output says why)."""
    status = 0
    for number, line in enumerate(infile, start=1):
        if not line.strip():
            continue
        parsed = _parsed_line(line)
        if isinstance(parsed, str):
            status = 2
            errfile.write(f"line {number}: {parsed}; {_EXPECTED}\n")
            result: dict[str, Any] = {"id": None, "labels": [], "why": f"error: {parsed}"}
        else:
            message_id, text = parsed
            classification = classify(text, now)
            result = {
                "id": message_id,
                "labels": sorted(str(label) for label in classification.labels),
                "why": "; ".join(classification.why),
            }
        outfile.write(json.dumps(result, ensure_ascii=False) + "\n")
    return status
