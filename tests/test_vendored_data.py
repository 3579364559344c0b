"""The copies of shared data kept in the repository match ../shared when it is beside the clone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus import VENDORED_CORPUS
from testserver.spec import VENDORED_SPEC

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.mark.parametrize(
    ("copy", "original"),
    [
        (VENDORED_SPEC, SHARED / "telegram-bot-api" / "api.json"),
        (VENDORED_CORPUS, SHARED / "corpus" / "messages.jsonl"),
    ],
    ids=["bot-api-spec", "corpus"],
)
def test_the_vendored_copy_is_the_shared_file(copy: Path, original: Path) -> None:
    if not original.exists():
        pytest.skip(f"{original} is not beside this clone")
    assert copy.read_bytes() == original.read_bytes(), f"update {copy} from {original}"
