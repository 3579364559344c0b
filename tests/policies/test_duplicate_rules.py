"""The duplicates feature's rules: what is fingerprinted, what is linked, what is an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytz

from policies.calendar import quiet_status
from policies.classifier import classify
from policies.datakey import default_lexicon
from policies.decide import Decision, Fate, LogAction, Situation, decide
from policies.duplicates import DataRequest, rejection
from policies.features.duplicates import (
    AnsweredRequest,
    DuplicateRules,
    DuplicatesState,
    FingerprintRequest,
    LinkDuplicate,
    RecordAnswer,
    as_request,
    is_request,
    may_be_request,
)
from policies.features.holding import RULES as HOLDING_RULES
from policies.features.holding import HoldingState
from policies.group_policy import GroupPolicy, Mode
from policies.message import (
    Attachment,
    AttachmentKind,
    ChatKind,
    ChatMessage,
    ChatRef,
    Person,
    ReplyTarget,
)

SHANGHAI = pytz.timezone("Asia/Shanghai")
WORK_TIME = SHANGHAI.localize(datetime(2026, 11, 18, 10)).astimezone(UTC)
NIGHT = SHANGHAI.localize(datetime(2026, 11, 18, 23)).astimezone(UTC)
GROUP = ChatRef(-1001000000002, ChatKind.SUPERGROUP, "青石镇工作群")
SENDER = Person(42, "李强")
EARLIER = "请各村于本周五前报送2026年度低保户名单"
LATER = "麻烦各村把2026年最低生活保障对象花名册发我"
RULES = DuplicateRules(timedelta(days=90))
POLICY = GroupPolicy()


def message(
    words: str,
    *,
    at: datetime = WORK_TIME,
    sender: Person = SENDER,
    reply_to: int | None = None,
    attachment: Attachment | None = None,
    edit: bool = False,
) -> ChatMessage:
    return ChatMessage(
        GROUP,
        9,
        at,
        sender=sender,
        caption=words if attachment else None,
        text=None if attachment else words,
        attachment=attachment,
        reply_to=ReplyTarget(reply_to) if reply_to is not None else None,
        edited_at=at if edit else None,
    )


def stored(words: str, request_id: int, at: datetime = WORK_TIME) -> DataRequest:
    return as_request(message(words, at=at), "Asia/Shanghai", default_lexicon(), request_id)


def situation(chat_message: ChatMessage, policy: GroupPolicy = POLICY) -> Situation:
    local = chat_message.sent_at.astimezone(SHANGHAI)
    return Situation(
        chat_message,
        classify(chat_message.readable_text, local),
        policy,
        quiet_status(policy, chat_message.sent_at),
        chat_message.sent_at,
    )


def decided(
    chat_message: ChatMessage,
    candidates: tuple[DataRequest, ...] = (),
    *,
    policy: GroupPolicy = POLICY,
    rejected: frozenset[frozenset[str]] = frozenset(),
    answers: AnsweredRequest | None = None,
    own: frozenset[int] = frozenset(),
) -> Decision:
    """The decision with the holding feature before duplicates, as the bot composes them."""
    seen = situation(chat_message, policy)
    request = (
        as_request(chat_message, policy.timezone, default_lexicon())
        if may_be_request(seen)
        else None
    )
    state = DuplicatesState(request, candidates, rejected, answers, own)
    return decide(seen, [(HOLDING_RULES, HoldingState()), (RULES, state)])


def test_a_data_request_is_fingerprinted_and_linked_to_the_earliest_earlier_one() -> None:
    first, second = stored(EARLIER, 1, WORK_TIME - timedelta(days=9)), stored(LATER, 2)
    decision = decided(message(LATER), (first, second))
    (fingerprint,) = decision.of(FingerprintRequest)
    assert fingerprint.request.key.objects == {"低保对象"}
    assert decision.of(LinkDuplicate) == (LinkDuplicate(1),)


def test_a_rejected_pair_is_not_proposed_and_the_next_candidate_is() -> None:
    first, second = stored(EARLIER, 1, WORK_TIME - timedelta(days=9)), stored(LATER, 2)
    new = as_request(message(LATER), "Asia/Shanghai", default_lexicon())
    decision = decided(message(LATER), (first, second), rejected=frozenset({rejection(new, first)}))
    assert decision.of(LinkDuplicate) == (LinkDuplicate(2),)


def test_asking_again_in_ones_own_group_is_a_reminder_not_a_duplicate() -> None:
    first, second = stored(EARLIER, 1, WORK_TIME - timedelta(days=9)), stored(LATER, 2)
    reminder = decided(message(f"再次提醒:{EARLIER}"), (first, second), own=frozenset({1, 2}))
    assert reminder.of(FingerprintRequest) and not reminder.of(LinkDuplicate)
    assert decided(message(LATER), (first, second), own=frozenset({1})).of(LinkDuplicate) == (
        LinkDuplicate(2),
    )


def test_what_is_not_a_request_or_not_kept_is_neither_fingerprinted_nor_linked() -> None:
    candidates = (stored(EARLIER, 1),)
    for chat_message in (
        message("低保名单我已经报了"),  # speaks of the data, asks for nothing
        message(LATER, edit=True),
    ):
        assert decided(chat_message, candidates).effects == ()
    off = GroupPolicy(duplicates=False)
    assert decided(message(LATER), candidates, policy=off).effects == ()
    # Held at night: gone from the group, so neither stored nor replied to.
    held = decided(message(LATER, at=NIGHT), candidates)
    assert held.fate is Fate.HELD and not held.of(FingerprintRequest)


def test_an_advised_request_is_stored_but_gets_no_reply_at_night() -> None:
    advise = GroupPolicy(mode=Mode.ADVISE)
    decision = decided(message(LATER, at=NIGHT), (stored(EARLIER, 1),), policy=advise)
    assert decision.log is LogAction.ADVISED
    assert decision.of(FingerprintRequest) and not decision.of(LinkDuplicate)


def test_only_an_earlier_stored_request_is_a_match() -> None:
    later_one = stored(EARLIER, 5, WORK_TIME + timedelta(hours=1))
    assert decided(message(LATER), (later_one,)).of(LinkDuplicate) == ()
    rekeyed = stored(LATER, 3)
    assert RULES.earlier(rekeyed, [stored(EARLIER, 4)], frozenset()) is None
    assert RULES.earlier(rekeyed, [stored(EARLIER, 2)], frozenset()) is not None


def test_a_table_is_read_later_and_a_file_that_is_no_table_says_why() -> None:
    def document(name: str, size: int) -> Attachment:
        return Attachment(AttachmentKind.DOCUMENT, "file-1", "uq-1", name, file_size=size)

    def plan(attachment: Attachment) -> FingerprintRequest:
        (found,) = decided(message(LATER, attachment=attachment)).of(FingerprintRequest)
        return found

    table = plan(document("低保名单.xlsx", 40_000))
    assert table.read_header and table.unread == ""
    assert table.request.attachment is not None and table.request.attachment.unique_id == "uq-1"
    too_big = plan(document("低保名单.xlsx", 30 * 1024 * 1024))
    assert not too_big.read_header and "over the" in too_big.unread
    pdf = plan(document("通知.pdf", 1_000))
    assert not pdf.read_header and ".pdf" in pdf.unread
    photo = plan(Attachment(AttachmentKind.PHOTO, "photo-1", "uq-2"))
    assert (photo.read_header, photo.unread) == (False, "")


def test_a_reply_to_a_stored_request_is_an_answer_unless_it_is_its_own_or_an_ack() -> None:
    answered = AnsweredRequest(request_id=1, requester_id=7)
    file = Attachment(AttachmentKind.DOCUMENT, "file-1", "uq-1", "东山村.xlsx")
    with_file = decided(message("东山村的", reply_to=3, attachment=file), answers=answered)
    assert with_file.of(RecordAnswer) == (RecordAnswer(1, with_file=True),)
    in_words = decided(message("河口村没有新增", reply_to=3), answers=answered)
    assert in_words.of(RecordAnswer) == (RecordAnswer(1, with_file=False),)
    own = decided(message("谢谢", reply_to=3, sender=Person(7, "张敏")), answers=answered)
    assert own.of(RecordAnswer) == ()
    assert decided(message("收到", reply_to=3), answers=answered).of(RecordAnswer) == ()
    # A reply posted at night is held, and delivered in the morning: it answers too.
    at_night = decided(message("东山村的", at=NIGHT, reply_to=3), answers=answered)
    assert at_night.fate is Fate.HELD and at_night.of(RecordAnswer)


def test_the_message_is_read_in_the_groups_zone() -> None:
    # 00:30 on 1 December in Shanghai is still November in UTC: 本月 is December.
    late = SHANGHAI.localize(datetime(2026, 12, 1, 0, 30)).astimezone(UTC)
    request = as_request(
        message("请各村报送本月低保金发放表", at=late), "Asia/Shanghai", default_lexicon()
    )
    assert request.key.period is not None and request.key.period.start.month == 12
    assert is_request(situation(message("请各村报送本月低保金发放表")), request)
