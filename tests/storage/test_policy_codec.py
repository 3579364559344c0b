"""GroupPolicy survives JSON unchanged; stored overrides layer on whatever the defaults are."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.platform.storage.policy_codec import policy_from_json, policy_to_json
from policies.group_policy import DigestMode, GroupPolicy, Mode, QuietWindow

times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
windows = st.tuples(times, times).filter(lambda w: w[0] != w[1]).map(lambda w: QuietWindow(*w))
texts = st.text(min_size=1, max_size=12)

FIELD_STRATEGIES: dict[str, st.SearchStrategy[object]] = dict(
    timezone=st.sampled_from(["Asia/Shanghai", "Asia/Hong_Kong", "Europe/Berlin"]),
    quiet_windows=st.lists(windows, max_size=3).map(tuple),
    rest_days=st.frozensets(st.integers(0, 6), max_size=6),
    holiday_calendar=st.sampled_from(["cn", "hk", "none"]),
    extra_rest_dates=st.frozensets(st.dates(), max_size=4),
    extra_workdays=st.frozensets(st.dates(), max_size=4),
    urgent_markers=st.lists(texts, max_size=4).map(tuple),
    ack_words=st.lists(texts, max_size=4).map(tuple),
    urgent_quota_per_week=st.integers(0, 100),
    digest_times=st.lists(times, min_size=1, max_size=3).map(tuple),
    mode=st.sampled_from(Mode),
    digest=st.sampled_from(DigestMode),
    exempt_user_ids=st.frozensets(st.integers(-(2**63), 2**63 - 1), max_size=4),
    admins_exempt=st.booleans(),
    absorb_stray_acks=st.booleans(),
    ack_window_minutes=st.integers(1, 7 * 24 * 60),
    language=st.sampled_from(["zh-Hans", "zh-Hant", "en"]),
    duplicates=st.booleans(),
)
policies = st.builds(GroupPolicy, **FIELD_STRATEGIES)


@given(policies)
def test_every_policy_round_trips_through_json_text(policy: GroupPolicy) -> None:
    stored = json.loads(json.dumps(policy_to_json(policy)))
    assert policy_from_json(stored, GroupPolicy()) == policy


@given(policies, policies)
def test_overrides_against_defaults_round_trip(policy: GroupPolicy, defaults: GroupPolicy) -> None:
    stored = json.loads(json.dumps(policy_to_json(policy, defaults)))
    assert policy_from_json(stored, defaults) == policy


def test_every_field_is_covered_by_the_strategy() -> None:
    """A field added to GroupPolicy must be added to the round-trip strategy above."""
    assert set(FIELD_STRATEGIES) == {f.name for f in dataclasses.fields(GroupPolicy)}


def test_json_is_readable_for_the_audit_log() -> None:
    policy = dataclasses.replace(
        GroupPolicy(),
        quiet_windows=(QuietWindow(time(22, 0), time(7, 30)),),
        extra_workdays=frozenset({date(2026, 2, 28), date(2026, 2, 14)}),
        mode=Mode.ADVISE,
    )
    assert policy_to_json(policy, GroupPolicy()) == {
        "quiet_windows": ["22:00-07:30"],
        "extra_workdays": ["2026-02-14", "2026-02-28"],
        "mode": "advise",
    }


def test_defaults_fill_what_the_group_never_changed() -> None:
    defaults = dataclasses.replace(GroupPolicy(), urgent_quota_per_week=5)
    policy = policy_from_json({"digest_times": ["09:00", "17:30"]}, defaults)
    assert policy.digest_times == (time(9, 0), time(17, 30))
    assert policy.urgent_quota_per_week == 5


def test_keys_of_removed_fields_are_ignored() -> None:
    assert policy_from_json({"retired_field": 1}, GroupPolicy()) == GroupPolicy()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quiet_windows": ["25:00-08:00"]}, "quiet_windows"),
        ({"digest_times": "08:30"}, "digest_times"),
        ({"urgent_quota_per_week": True}, "urgent_quota_per_week"),
        ({"urgent_quota_per_week": "3"}, "urgent_quota_per_week"),
        ({"mode": "silence"}, "mode"),
        ({"extra_rest_dates": ["2026-02-30"]}, "extra_rest_dates"),
        ({"admins_exempt": "yes"}, "admins_exempt"),
    ],
)
def test_a_bad_stored_value_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"policy field {field}:"):
        policy_from_json(data, GroupPolicy())
