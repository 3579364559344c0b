"""An urgent marker's reason must say something: "【紧急】请大家看群" declares no reason.

The sentences were written for these tests, before the rule, as people post them; none is from
the shared corpus.
"""

from __future__ import annotations

import pytest

from policies.normalize import normalize
from policies.urgency import find_urgent_marker

SAYS_NOTHING = [
    "【紧急】请大家看群",
    "【紧急】请大家看一下",
    "【紧急】速看",
    "【紧急】注意",
    "【紧急】注意！！！",
    "紧急通知：请各位速看群消息",
    "【加急】大家看下群",
    "【紧急】@所有人 请及时查看",
    "【紧急】请注意查收",
    "【紧急】请大家务必看一下上面的通知",
    "【紧急】重要！",
    "【紧急】非常重要，请大家看一下",
    "【特急】看群看群",
    "【紧急】各位领导请看一下",
    "急急急 看群！",
    "【紧急】收到请回复",
    "【紧急】在吗？",
    "【緊急】請大家看群組訊息",
    "【緊急】請各位盡快查看",
    "#urgent please read",
    "URGENT: see above",
    "#urgent check the group now",
    "【紧急】👀👀",
]

SAYS_SOMETHING = [
    ("【紧急】今晚暴雨预警", "今晚暴雨预警"),
    ("【紧急】请大家看群里的防汛转移通知", "请大家看群里的防汛转移通知"),
    ("【紧急】注意防火", "注意防火"),
    ("【紧急】请注意：今晚十点停电", "请注意:今晚十点停电"),
    ("【紧急】请大家注意安全，台风马上登陆", "请大家注意安全,台风马上登陆"),
    ("【紧急】看一下附件里的名单，今天必须报", "看一下附件里的名单,今天必须报"),
    ("急！谁有镇长的电话？", "谁有镇长的电话"),
    ("【紧急】速看：县道塌方", "速看:县道塌方"),
    ("【紧急】请查看邮件，县里要求今天报送", "请查看邮件,县里要求今天报送"),
    ("【紧急】请大家马上到会议室", "请大家马上到会议室"),
    ("【紧急】书记找大家", "书记找大家"),
    ("#urgent the server room is flooding", "the server room is flooding"),
    ("【緊急】今晚颱風過境，請通知居民", "今晚台风过境,请通知居民"),
    # the reason may come first, before the marker
    ("县道塌方【紧急】请大家看群", "县道塌方"),
]


def reason_of(text: str) -> str | None:
    marker = find_urgent_marker(normalize(text))
    assert marker is not None, f"no marker found in {text!r}"
    return marker.reason


@pytest.mark.parametrize("text", SAYS_NOTHING)
def test_a_call_to_look_is_no_reason(text: str) -> None:
    assert reason_of(text) is None


@pytest.mark.parametrize(("text", "reason"), SAYS_SOMETHING)
def test_a_reason_that_says_something_is_kept(text: str, reason: str) -> None:
    assert reason_of(text) == reason
