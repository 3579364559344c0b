"""The settings menu's pure rules: button numbers, steps, typed values, past dates refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.features.settings.rows import ROWS, rows_by_code
from bot.platform.i18n import LANGUAGES, catalogs
from policies.features.settings import (
    MAX_MENU_ID,
    press_number,
    read_dates,
    read_press,
    read_times,
    stepped,
    words,
)
from policies.group_policy import GroupPolicy, change_problems

TODAY = date(2026, 11, 18)


@pytest.mark.parametrize(("menu", "row", "arg"), [(1, 0, 0), (17, 7, 3), (MAX_MENU_ID, 99, 99)])
def test_a_button_number_names_its_menu_row_and_press(menu: int, row: int, arg: int) -> None:
    number = press_number(menu, row, arg)
    assert len(f"set:{number}".encode()) <= 64 and len(str(number)) <= 18
    found = read_press(number)
    assert found is not None and (found.menu_id, found.row, found.arg) == (menu, row, arg)


def test_numbers_no_button_carries_name_no_menu() -> None:
    assert read_press(12) is None
    with pytest.raises(ValueError, match="no button number"):
        press_number(MAX_MENU_ID + 1, 0, 0)


def test_steps_go_by_one_or_along_the_ladder_and_leave_it_at_its_ends() -> None:
    assert stepped(0, up=False) == -1
    ladder = (60, 720, 1440)
    assert stepped(1440, up=False, ladder=ladder) == 720
    assert stepped(100, up=True, ladder=ladder) == 720
    assert stepped(60, up=False, ladder=ladder) == 0
    assert stepped(1440, up=True, ladder=ladder) == 2880


def test_typed_values_name_the_first_word_that_is_wrong() -> None:
    assert words("2026-12-24, 2026-12-31、2027-01-02") == ("2026-12-24", "2026-12-31", "2027-01-02")
    assert read_dates(["2026-12-24", "12/25"]) == "12/25"
    assert read_times(["14:30", "08:30"]) == read_times(["08:30", "14:30"])
    assert read_times(["25:00"]) == "25:00"


def test_an_extra_date_added_in_the_past_is_refused_one_kept_is_not() -> None:
    before = GroupPolicy(extra_rest_dates=frozenset({date(2026, 10, 8)}))
    after = GroupPolicy(extra_rest_dates=frozenset({date(2026, 10, 8), date(2026, 11, 1)}))
    (problem,) = change_problems(before, after, TODAY)
    assert (problem.key, problem.params) == ("policy.error.past_date", {"value": "2026-11-01"})
    assert change_problems(before, before, TODAY) == []
    today = GroupPolicy(extra_workdays=frozenset({TODAY}))
    assert change_problems(GroupPolicy(), today, TODAY) == []


def test_every_row_has_a_code_of_its_own_a_label_an_explanation_and_a_prompt() -> None:
    rows_by_code(ROWS)
    for row in ROWS:
        keys = [row.label_key, row.help_key] + ([row.prompt_key] if row.entry else [])
        for lang in LANGUAGES:
            assert all(catalogs().find(key, lang) for key in keys), (row.key, lang)


def test_a_registry_whose_codes_clash_is_refused() -> None:
    with pytest.raises(ValueError, match="code 1 is taken"):
        rows_by_code((ROWS[0], ROWS[0]))
