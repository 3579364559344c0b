"""Personal digests: composing them for many officials, and sending them at the ceiling.

Composition: officials across groups holding open items (acknowledgements, roll-calls, data
requests, notices; deadlines overdue to next week or none; a third of the action items already
done), each official's digest composed (policies.features.digests) and worded into pages with
their buttons (bot.features.digests.wording): time per digest (p50, p99) and in total. The
issue's size is 10,000 officials, 500 groups, 50,000 items: `JIANFU_BENCH_DIGEST_OFFICIALS=10000`
(default 2,000, with groups and items in proportion).

Fan-out: the first digests' pages, in fan-out order (earliest deadlines first), queued in a
SQLite outbox and drained by the real worker and limiter against the test Bot API server with
its limits on: messages/s against the 30/s ceiling and 429 answers (goal: at least 95 %, none).
`JIANFU_BENCH_DIGEST_MESSAGES` (default 300).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench._server import busiest_window
from bench.outbox import CEILING_PER_SECOND, drain_items
from bot.features.digests.feature import PERSONAL_KIND
from bot.features.digests.store import GroupFacts
from bot.features.digests.wording import DigestWording
from bot.platform.i18n import catalogs
from bot.platform.outbox.items import Outgoing
from policies.features.digests import (
    Buckets,
    DigestItem,
    ItemKind,
    PersonalDigest,
    Recipient,
    compose_personal,
    fanout_order,
)
from testserver import BotApiServer

GROUPS_PER_OFFICIAL = 5
ITEMS_PER_OFFICIAL = 5  # 10,000 officials: 50,000 items
OFFICIALS_PER_GROUP = 20  # 10,000 officials: 500 groups
SUMMARIES = (
    "关于开展冬季消防安全检查的通知",
    "请各村上报低保户名单",
    "接龙:参加周四培训的同志",
    "关于召开安全生产会议的通知",
    "请于本周五前报送防汛演练方案",
    "自建房排查台账请及时更新",
)
_KINDS = (ItemKind.ACK, ItemKind.ROLLCALL, ItemKind.DATA_REQUEST, ItemKind.NOTICE)


def _scale(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def world(
    officials: int, now: datetime, rng: random.Random
) -> tuple[dict[int, GroupFacts], dict[int, list[DigestItem]], list[Recipient]]:
    group_count = max(1, officials // OFFICIALS_PER_GROUP)
    groups = {
        -1_001_000_000_000 - n: GroupFacts(
            -1_001_000_000_000 - n, f"第{n}工作群", "supergroup", "Asia/Shanghai"
        )
        for n in range(group_count)
    }
    chat_ids = list(groups)
    members: dict[int, list[int]] = {c: [] for c in chat_ids}
    chats_of: dict[int, frozenset[int]] = {}
    for user_id in range(1, officials + 1):
        chosen = frozenset(rng.sample(chat_ids, min(GROUPS_PER_OFFICIAL, len(chat_ids))))
        chats_of[user_id] = chosen
        for chat_id in chosen:
            members[chat_id].append(user_id)
    deadlines = (None, now - timedelta(days=1), now + timedelta(hours=3), now + timedelta(days=2))
    items: dict[int, list[DigestItem]] = {c: [] for c in chat_ids}
    for n in range(officials * ITEMS_PER_OFFICIAL):
        chat_id = chat_ids[n % len(chat_ids)]
        sender = rng.choice(members[chat_id] or [0])
        items[chat_id].append(
            DigestItem(
                kind=_KINDS[n % len(_KINDS)],
                subject_id=n,
                chat_id=chat_id,
                message_id=1000 + n,
                sender_id=sender,
                sender=f"干部{sender}",
                sent_at=now - timedelta(minutes=rng.randrange(2 * 24 * 60)),
                summary=rng.choice(SUMMARIES),
                deadline=rng.choice((*deadlines, now + timedelta(days=9))),
                urgent=n % 17 == 0,
                link_id=1000 + n,
            )
        )
    recipients = []
    for user_id, chosen in chats_of.items():
        mine = [i for c in chosen for i in items[c] if i.needs_action]
        done = frozenset(i.done_key for i in rng.sample(mine, len(mine) // 3))
        recipients.append(Recipient(user_id, chosen, done, now - timedelta(days=1)))
    return groups, items, recipients


def compose_all(
    groups: dict[int, GroupFacts],
    items: dict[int, list[DigestItem]],
    recipients: list[Recipient],
    now: datetime,
) -> tuple[list[tuple[PersonalDigest, int]], list[float]]:
    wording = DigestWording(catalogs())
    buckets = Buckets(now, "Asia/Shanghai")
    timings: list[float] = []
    composed = []
    for recipient in recipients:
        started = time.perf_counter()
        digest = compose_personal(recipient, items, buckets)
        pages = wording.personal_pages("zh-Hans", digest, groups, now)
        timings.append(time.perf_counter() - started)
        composed.append((digest, len(pages)))
    return composed, timings


async def run() -> None:
    officials = _scale("JIANFU_BENCH_DIGEST_OFFICIALS", 2000)
    messages = _scale("JIANFU_BENCH_DIGEST_MESSAGES", 300)
    now = datetime.now(UTC)
    rng = random.Random(13)
    groups, items, recipients = world(officials, now, rng)
    started = time.perf_counter()
    composed, timings = compose_all(groups, items, recipients, now)
    total = time.perf_counter() - started
    item_count = sum(len(found) for found in items.values())
    pages = sum(count for _, count in composed)
    cuts = statistics.quantiles(timings, n=100)
    print(
        f"compose: {officials} officials, {len(groups)} groups, {item_count} open items "
        f"({pages} pages, {sum(d.count for d, _ in composed) / officials:.0f} items a digest)"
    )
    print(
        f"  per digest p50 {1000 * statistics.median(timings):.2f} ms, "
        f"p99 {1000 * cuts[98]:.2f} ms; total {total:.2f} s"
    )

    server = BotApiServer()
    wording = DigestWording(catalogs())
    ordered = fanout_order(digest for digest, _ in composed)
    queued: list[Outgoing] = []
    for digest in ordered:
        if len(queued) >= messages:
            break
        user = server.world.add_user(f"official {digest.user_id}", started=True)
        for number, page in enumerate(wording.personal_pages("zh-Hans", digest, groups, now)):
            queued.append(
                Outgoing(
                    PERSONAL_KIND,
                    user.id,
                    "sendMessage",
                    page.payload(user.id, silent=False),
                    subject_id=digest.user_id,
                    part=str(number),
                )
            )
    drained = await drain_items(server, queued[:messages])
    rate = drained.counts.sent / drained.seconds
    print(f"fan-out: {len(queued[:messages])} digest pages, SQLite outbox, limits on")
    print(
        f"  sent {drained.counts.sent} (retried {drained.counts.retried}, failed "
        f"{drained.counts.failed}) in {drained.seconds:.2f} s = {rate:.2f} msg/s "
        f"= {100 * rate / CEILING_PER_SECOND:.1f}% of the {CEILING_PER_SECOND:g}/s ceiling"
    )
    print(
        f"  429 answers: {drained.refused}; most arrivals in any 1 s: "
        f"{busiest_window(drained.performed, 1.0)}"
    )
