"""No text crashes the classifier, and what it returns is always well formed."""

from __future__ import annotations

from datetime import datetime

import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.classifier import DEFAULT_CONFIG, ClassifierConfig, classify
from policies.labels import STANDALONE_LABELS
from policies.normalize import normalize
from policies.rollcall import merge_repost, parse_rollcall

NOW = pytz.timezone("Asia/Shanghai").localize(datetime(2026, 11, 18, 10, 0))

INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
EMOJI = "👍🫡👌🙏✅🎉😂🙋\u200d♀️🌶️👨\u200d👩\u200d👧🏻"
RTL = "שלום مرحبا ؟،"
WORK = "收到请回复紧急通知【】#接龙1.2、报送名单本周五前今晚8点秒回已阅好的OK謝謝急诊\n "

texts = st.one_of(
    st.text(max_size=4096),
    st.text(alphabet=INVISIBLE + EMOJI + RTL + WORK, max_size=400),
    st.text(alphabet=EMOJI, min_size=1, max_size=20),
    st.lists(st.sampled_from([*WORK.split("、"), "\n1. 王芳", "\n2. 李强"]), max_size=40).map(
        "".join
    ),
)


def check(text: str, config: ClassifierConfig = DEFAULT_CONFIG) -> None:
    result = classify(text, NOW, config)
    assert result.labels
    if result.labels & STANDALONE_LABELS:
        assert len(result.labels) == 1
    assert {w.split(":")[0] for w in result.why} == {str(label) for label in result.labels}
    if result.deadline is not None:
        assert result.deadline.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(texts)
def test_any_text_classifies(text: str) -> None:
    check(text)


@settings(max_examples=100, deadline=None)
@given(texts, st.lists(st.text(max_size=8), max_size=3), st.lists(st.text(max_size=8), max_size=3))
def test_any_group_vocabulary_classifies(text: str, markers: list[str], words: list[str]) -> None:
    check(text, ClassifierConfig(tuple(markers), tuple(words)))


@settings(max_examples=200, deadline=None)
@given(texts)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(texts)
def test_a_chain_reposted_unchanged_adds_and_drops_nothing(text: str) -> None:
    chain = parse_rollcall(text)
    if chain is not None:
        diff = merge_repost(chain.entries, chain)
        assert diff.added == () and diff.dropped == ()


def test_edge_cases_classify() -> None:
    for text in ["", " ", "\n\n", INVISIBLE, EMOJI, RTL, "急" * 4096, "1.\n" * 1000, "【" * 2000]:
        check(text)
