"""The duplicates' store on both databases: requests and their keys, the candidates' query, the
rejected pairs, the answers and the per-group counts the supervisors' report reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.duplicates import store
from bot.platform.storage.models import DataRequestKey, MatchStatus
from policies.datakey import default_lexicon
from policies.duplicates import Attachment, DataRequest, data_request, rejection

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
WINDOW = timedelta(days=90)
GROUP, OTHER_GROUP = -1001000000001, -1001000000002


def request(text: str, at: datetime = NOW, attachment: Attachment | None = None) -> DataRequest:
    return data_request(None, text, at, default_lexicon(), attachment=attachment)


async def save(
    session: AsyncSession, text: str, message_id: int, at: datetime = NOW, chat: int = GROUP
) -> int:
    saved = await store.save_request(
        session, request(text, at), chat_id=chat, message_id=message_id, sender_id=7, sent_at=at
    )
    assert saved is not None
    return saved


async def test_a_stored_request_comes_back_as_it_was_kept_and_only_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    original = request("请各村报送2026年度低保户名单", attachment=Attachment("uq-1", ("姓名",)))
    async with session_factory() as session:
        saved = await store.save_request(
            session, original, chat_id=GROUP, message_id=5, sender_id=7, sent_at=NOW
        )
        again = await store.save_request(
            session, original, chat_id=GROUP, message_id=5, sender_id=7, sent_at=NOW
        )
        found, _ = await store.candidates(session, original, NOW - WINDOW, NOW)
        await session.commit()
    assert saved is not None and again is None
    (back,) = found
    assert back.id == saved and back.key == original.key and back.lookup == original.lookup
    assert back.attachment == original.attachment and back.sent_at == NOW


async def test_candidates_share_a_key_lie_in_the_window_and_are_the_earliest_per_key(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        too_old = await save(session, "请各村报送低保户名单", 1, NOW - WINDOW - timedelta(hours=1))
        in_window = [
            await save(
                session,
                "麻烦各村把低保对象花名册发我",
                10 + n,
                NOW - timedelta(days=80, minutes=-n),
            )
            for n in range(store.PER_KEY + 5)
        ]
        await save(session, "请各村报送特困供养人员名单", 2, NOW - timedelta(days=1))
        other_group = await save(
            session, "请各村报送低保户名单", 3, NOW - timedelta(days=85), OTHER_GROUP
        )
        later = await save(session, "请各村报送低保户名单", 4, NOW + timedelta(days=1))
        await session.commit()
        found, _ = await store.candidates(
            session, request("请各村报送低保户名单"), NOW - WINDOW, NOW
        )
    first, horizon = await _page(session_factory, request("请各村报送低保户名单"))
    assert horizon == NOW - timedelta(days=80, minutes=-(store.PAGE - 2))
    assert [c.id for c in first.until(horizon)] == [other_group, *in_window[: store.PAGE - 1]]
    ids = {candidate.id for candidate in found}
    assert too_old not in ids and later not in ids
    assert other_group in ids  # across every group the bot is in
    # The earliest PER_KEY under the objects' key; the rest stay unread.
    assert set(in_window[: store.PER_KEY - 1]) <= ids
    assert not set(in_window[store.PER_KEY - 1 :]) & ids
    assert all(candidate.key.objects == {"低保对象"} for candidate in found)


async def _page(
    session_factory: async_sessionmaker[AsyncSession], new: DataRequest
) -> tuple[store.Candidates, datetime | None]:
    async with session_factory() as session:
        return await store.candidates(session, new, NOW - WINDOW, NOW, store.PAGE)


async def test_rekeying_replaces_the_stored_form_and_the_keys(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    text = "请各村按附件填报"
    table = Attachment("uq-9", ("姓名", "身份证号", "保障人数"))
    async with session_factory() as session:
        request_id = await save(session, text, 1)
        rekeyed = data_request(
            request_id, text, NOW, attachment=table, attachment_title="低保花名册"
        )
        await store.rekey(session, request_id, rekeyed)
        await session.commit()
        keys = set(
            await session.scalars(
                select(DataRequestKey.lookup_key).where(DataRequestKey.request_id == request_id)
            )
        )
        (back,), _ = await store.candidates(session, rekeyed, NOW - WINDOW, NOW)
    assert keys == rekeyed.lookup
    assert back.key.objects == {"低保对象"} and back.attachment == table


async def test_rejected_pairs_answers_and_the_count_per_group(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        first = await save(session, "请各村报送低保户名单", 1, NOW - timedelta(days=3))
        second = await save(session, "麻烦各村把低保对象花名册发我", 1, NOW, OTHER_GROUP)
        third = await save(session, "请报送低保户名单", 2, NOW, OTHER_GROUP)
        fourth = await save(session, "低保户名单请报来", 3, NOW - timedelta(days=40), OTHER_GROUP)
        kept = await store.create_match(session, second, first, NOW)
        rejected = await store.create_match(session, third, first, NOW)
        old = await store.create_match(session, fourth, first, NOW)
        assert kept and rejected and old
        assert await store.create_match(session, second, first, NOW) is None
        assert await store.decide(session, rejected, MatchStatus.REJECTED, 9, NOW)
        assert not await store.decide(session, rejected, MatchStatus.CONFIRMED, 9, NOW)
        pair = rejection(request("请报送低保户名单"), request("请各村报送低保户名单"))
        await store.reject_pair(session, pair, rejected, NOW)
        for message_id, with_file in ((11, True), (12, False), (12, False)):
            await store.record_answer(
                session, first, message_id=message_id, sender_id=8, with_file=with_file, sent_at=NOW
            )
        await session.commit()
        assert await store.rejected_pairs(session) == [pair]
        assert await store.answer_counts(session, first) == store.Answers(replies=2, files=1)
        per_chat = await store.duplicates_per_chat(session, NOW - timedelta(days=7), NOW + WINDOW)
    assert per_chat == [(OTHER_GROUP, 1)]
