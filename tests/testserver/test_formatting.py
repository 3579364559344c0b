"""HTML parse mode: entities in UTF-16 offsets, and Telegram's refusals."""

from __future__ import annotations

import pytest

from testserver.formatting import HtmlEntityError, parse_html


def test_entities_are_counted_in_utf16_units() -> None:
    text, entities = parse_html("👍 <b>收到</b> <a href='https://gov.cn'>通知</a>")
    assert text == "👍 收到 通知"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "text_link", "url": "https://gov.cn", "offset": 6, "length": 2},
    ]


def test_character_references_become_text() -> None:
    assert parse_html("&lt;名单&gt; &amp; &#20320;") == ("<名单> & 你", [])


def test_pre_with_a_language() -> None:
    text, entities = parse_html('<pre><code class="language-csv">a,b</code></pre>')
    assert (text, entities) == (
        "a,b",
        [{"type": "pre", "offset": 0, "language": "csv", "length": 3}],
    )


@pytest.mark.parametrize(
    "markup", ["1 < 2", "<b>开会", "x</b>", "<i>a</b></i>", "<br>", "<!-- note -->"]
)
def test_malformed_markup_is_refused(markup: str) -> None:
    with pytest.raises(HtmlEntityError):
        parse_html(markup)
