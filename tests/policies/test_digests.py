"""Digest rules: when one is due, what goes in, in which order, and where pages break."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

import pytz

from policies.features.digests import (
    Bucket,
    Buckets,
    DigestItem,
    ItemKind,
    PersonalChoice,
    Recipient,
    compose_personal,
    due_slot,
    fanout_order,
    latest_slot,
    pages,
    parse_personal,
)
from policies.group_policy import (
    DigestMode,
    GroupPolicy,
    PolicyProblem,
    parse_digest_setting,
)

SHANGHAI = pytz.timezone("Asia/Shanghai")
POLICY = GroupPolicy(digest_times=(time(8, 30), time(16, 0)))


def local(*args: int) -> datetime:
    return SHANGHAI.localize(datetime(*args))  # type: ignore[arg-type]


def item(
    kind: ItemKind,
    subject: int,
    deadline: datetime | None = None,
    *,
    chat: int = -1,
    sender: int = 9,
) -> DigestItem:
    message_id = 100 + subject
    sent_at = local(2026, 11, 18, 9)
    return DigestItem(
        kind,
        subject,
        chat,
        message_id,
        sender,
        "王主任",
        sent_at,
        "…",
        deadline,
        link_id=message_id,
    )


def test_slots_missed_while_down_give_the_latest_one_only() -> None:
    # Down from Wednesday 10:00 to Friday 17:00: Wed 16:00, Thu 08:30, 16:00, Fri 08:30, 16:00.
    now = local(2026, 11, 20, 17)
    assert due_slot(POLICY, now, local(2026, 11, 18, 8, 30), None) == local(2026, 11, 20, 16)
    assert due_slot(POLICY, now, local(2026, 11, 20, 16), None) is None


def test_no_digest_for_a_slot_before_the_subscription() -> None:
    now = local(2026, 11, 18, 10)
    assert due_slot(POLICY, now, None, local(2026, 11, 18, 9)) is None
    assert due_slot(POLICY, now, None, local(2026, 11, 18, 8)) == local(2026, 11, 18, 8, 30)


def test_weekends_and_holidays_have_no_slot() -> None:
    # Monday 07:00 after a weekend: the latest slot is Friday's 16:00.
    assert latest_slot(POLICY, local(2026, 11, 23, 7)) == local(2026, 11, 20, 16)
    # 2026-10-01 is National Day; 2026-09-30 a Wednesday and a workday.
    assert latest_slot(POLICY, local(2026, 10, 2, 12)) == local(2026, 9, 30, 16)


def test_a_year_without_holiday_data_has_slots_on_weekdays() -> None:
    # 2031's holidays are unknown: 2031-01-01 (a Wednesday, New Year) counts as a weekday.
    assert latest_slot(POLICY, local(2031, 1, 1, 9)) == local(2031, 1, 1, 8, 30)


def test_deadline_buckets() -> None:
    now = local(2026, 11, 19, 8, 30)  # a Thursday
    buckets = Buckets(now, "Asia/Shanghai")
    assert buckets.of(local(2026, 11, 18, 17)) is Bucket.OVERDUE
    assert buckets.of(local(2026, 11, 19, 17)) is Bucket.TODAY
    assert buckets.of(local(2026, 11, 22, 23)) is Bucket.THIS_WEEK
    assert buckets.of(local(2026, 11, 23, 9)) is Bucket.LATER
    assert buckets.of(None) is Bucket.NONE


def test_a_digest_sorts_by_bucket_and_leaves_out_own_done_and_old_items() -> None:
    now = local(2026, 11, 19, 8, 30)
    later, overdue = local(2026, 11, 25, 17), local(2026, 11, 18, 17)
    found = {
        -1: [
            item(ItemKind.DATA_REQUEST, 1, later),
            item(ItemKind.ACK, 2, overdue),
            item(ItemKind.ACK, 3, overdue),  # acknowledged already
            item(ItemKind.ROLLCALL, 4, sender=7),  # their own
            item(ItemKind.NOTICE, 5),
            dataclasses.replace(item(ItemKind.NOTICE, 6), sent_at=local(2026, 11, 17, 9)),
        ],
        -2: [item(ItemKind.ROLLCALL, 8, chat=-2)],  # a group they are not in
    }
    recipient = Recipient(7, frozenset({-1}), frozenset({(ItemKind.ACK, 3)}), local(2026, 11, 18))
    digest = compose_personal(recipient, found, Buckets(now, "Asia/Shanghai"))
    assert [(bucket, [i.subject_id for i in items]) for bucket, items in digest.action] == [
        (Bucket.OVERDUE, [2]),
        (Bucket.LATER, [1]),
    ]
    assert [i.subject_id for i in digest.info] == [5]
    # After a digest that covered log rows up to 6, the notice is not repeated.
    again = dataclasses.replace(recipient, after=6)
    assert compose_personal(again, found, Buckets(now, "Asia/Shanghai")).info == ()


def test_fan_out_reaches_the_earliest_deadlines_first() -> None:
    now = local(2026, 11, 19, 8, 30)
    buckets = Buckets(now, "Asia/Shanghai")
    found = {
        -1: [item(ItemKind.ACK, 1, local(2026, 11, 25, 17))],
        -2: [item(ItemKind.ACK, 2, local(2026, 11, 19, 12), chat=-2)],
        -3: [item(ItemKind.NOTICE, 3, chat=-3)],
    }
    people = [Recipient(n, frozenset({-n}), frozenset(), local(2026, 11, 18)) for n in (1, 2, 3)]
    digests = [compose_personal(p, found, buckets) for p in people]
    assert [d.user_id for d in fanout_order(digests)] == [2, 1, 3]


def test_pages_never_cut_an_item() -> None:
    assert pages([10, 10, 10], 21) == [range(0, 2), range(2, 3)]
    assert pages([5, 50, 5], 20) == [range(0, 1), range(1, 2), range(2, 3)]
    assert pages([], 20) == []
    widths = [37] * 500
    cut = pages(widths, 4096)
    assert [i for span in cut for i in span] == list(range(500))
    assert all(sum(widths[i] + 1 for i in span) - 1 <= 4096 for span in cut)


def test_group_setting_words() -> None:
    assert parse_digest_setting(("batch", "08:30", "16:30")) == (
        DigestMode.BATCH,
        (time(8, 30), time(16, 30)),
    )
    assert parse_digest_setting(("17:00", "08:30")) == (None, (time(8, 30), time(17, 0)))
    assert parse_digest_setting(("recap",)) == (DigestMode.RECAP, None)
    assert parse_digest_setting(()) == PolicyProblem("digest", "digest.group.usage")
    assert parse_digest_setting(("recap", "25:00")) == PolicyProblem(
        "digest_times", "digest.invalid_time", {"value": "25:00"}
    )


def test_personal_setting_words() -> None:
    assert parse_personal(()) == PersonalChoice()
    assert parse_personal(("on",)) == PersonalChoice(enabled=True)
    assert parse_personal(("08:30", "17:00")) == PersonalChoice(
        enabled=True, times=(time(8, 30), time(17, 0))
    )
    assert parse_personal(("groups", "all")) == PersonalChoice(groups=())
    assert parse_personal(("groups", "3", "1")) == PersonalChoice(groups=(1, 3))
    assert parse_personal(("25:00",)) == PolicyProblem(
        "digest_times", "digest.invalid_time", {"value": "25:00"}
    )
    assert parse_personal(("groups", "x")) == PolicyProblem(
        "groups", "digest.groups.invalid", {"value": "x"}
    )
    assert parse_personal(("maybe",)) == PolicyProblem("digest", "digest.usage")


def test_a_slot_lands_on_the_wall_time_of_the_day() -> None:
    slot = latest_slot(POLICY, local(2026, 11, 18, 8, 30) + timedelta(seconds=1))
    assert slot == local(2026, 11, 18, 8, 30)


def test_a_bot_back_at_night_sends_no_catch_up_until_work_time() -> None:
    # Down from Wednesday morning until Thursday 22:30 (quiet hours): nothing now …
    assert due_slot(POLICY, local(2026, 11, 19, 22, 30), local(2026, 11, 18, 8, 30), None) is None
    # … nor at Friday 08:00, the next morning: Friday 08:30 is the next digest, the missed ones
    # folded into it.
    assert due_slot(POLICY, local(2026, 11, 20, 8), local(2026, 11, 18, 8, 30), None) is None
    friday = local(2026, 11, 20, 8, 30)
    assert due_slot(POLICY, friday, local(2026, 11, 18, 8, 30), None) == friday
