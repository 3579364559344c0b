"""`jianfu classify`: label JSON lines {"id": ..., "text": ...}, one output line per input line.

A data request that asks for the same data as an earlier line of the same input carries
"duplicate_of": that line's id, found by the extractor and matcher the bot uses. A line may give
its own "sent_at" (ISO 8601 with a zone offset); otherwise it was sent `now`.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, TextIO

from policies.classifier import classify
from policies.datakey import default_lexicon
from policies.duplicates import DuplicateIndex, data_request, fingerprinted

_EXPECTED = 'expected {"id": ..., "text": ...}'


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number too large for a float")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _record(line: str) -> Any:
    """The JSON value of a line, or what is wrong with it as a string in a tuple. Only standard
    JSON: NaN, Infinity and floats beyond range could not be written back as JSON."""
    try:
        return json.loads(line, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return (f"not valid JSON ({error.msg} at column {error.colno})",)
    except RecursionError:
        return ("JSON nested too deeply",)
    except ValueError as error:
        # int() refuses numbers of more than sys.get_int_max_str_digits() digits.
        return (f"not valid JSON ({str(error).split(':')[0].lower()})",)


def _sent_at(record: dict[str, Any], now: datetime) -> datetime | str:
    value = record.get("sent_at")
    if value is None:
        return now
    try:
        sent_at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        sent_at = None
    if sent_at is None or sent_at.tzinfo is None:
        return '"sent_at" is not an ISO 8601 time with a zone offset'
    return sent_at


def _parsed_line(line: str, now: datetime) -> tuple[Any, str, datetime] | str:
    """The id, text and sending time of one input line, or what is wrong with it."""
    record = _record(line)
    if isinstance(record, tuple):
        return str(record[0])
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    if "text" not in record:
        return 'no "text" field'
    if not isinstance(record["text"], str):
        return '"text" is not a string'
    sent_at = _sent_at(record, now)
    if isinstance(sent_at, str):
        return sent_at
    return record.get("id"), record["text"], sent_at


def _output_line(result: dict[str, Any]) -> str | None:
    try:
        return json.dumps(result, ensure_ascii=False) + "\n"
    except (RecursionError, ValueError):
        return None


def run_classify(infile: TextIO, outfile: TextIO, errfile: TextIO, now: datetime) -> int:
    """Classify every non-blank line; 2 when any line was malformed (its output says why)."""
    status = 0
    lexicon = default_lexicon()
    earlier = DuplicateIndex()
    for number, line in enumerate(infile, start=1):
        if not line.strip():
            continue
        parsed = _parsed_line(line, now)
        result: dict[str, Any]
        if not isinstance(parsed, str):
            message_id, text, sent_at = parsed
            classification = classify(text, sent_at)
            result = {
                "id": message_id,
                "labels": sorted(str(label) for label in classification.labels),
                "why": "; ".join(classification.why),
            }
            request = data_request((number, message_id), text, sent_at, lexicon)
            kept = fingerprinted(classification.labels, request, text)
            if kept and (original := earlier.find(request)) is not None:
                result["duplicate_of"] = original.id[1]
            output = _output_line(result)
            if output is None:
                parsed = "id nested too deeply or too long to write back"
            elif kept:
                earlier.add(request)
        if isinstance(parsed, str):
            status = 2
            errfile.write(f"line {number}: {parsed}; {_EXPECTED}\n")
            output = _output_line({"id": None, "labels": [], "why": f"error: {parsed}"})
        outfile.write(output or "")
    return status
