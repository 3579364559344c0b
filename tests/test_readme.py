"""The README's commands work in a clone on its own: they read nothing outside the repository."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_commands() -> list[str]:
    """Each command line of the README's sh blocks, comments left out."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    lines = (line for block in _SHELL_BLOCK.findall(text) for line in block.splitlines())
    return [line.split("  #")[0].strip() for line in lines if line.strip()]


def test_the_readme_has_commands_to_check() -> None:
    assert any(command.startswith("make test") for command in readme_commands())


def test_no_command_reaches_outside_the_repository() -> None:
    outside = [c for c in readme_commands() if any(w.startswith("..") for w in shlex.split(c))]
    assert outside == []


def test_every_file_a_command_reads_from_is_in_the_repository() -> None:
    for command in readme_commands():
        words = shlex.split(command)
        for redirect, name in itertools.pairwise(words):
            if redirect == "<":
                assert (REPO / name).is_file(), command
