"""The match rule, the index, what a store keeps, what confirmations teach, and the scores."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytz

from policies.datakey import default_lexicon
from policies.duplicates import (
    Attachment,
    DataRequest,
    DuplicateIndex,
    data_request,
    duplicate_of,
    fingerprinted,
    from_stored,
    header_cells,
    is_duplicate,
    lookup_keys,
    query_keys,
    rejection,
    stored_form,
    taught_aliases,
)
from tests.corpus import VENDORED_CORPUS
from tests.duplicate_scores import score_file

SHANGHAI = pytz.timezone("Asia/Shanghai")
NOW = SHANGHAI.localize(datetime(2026, 11, 18, 10, 0))
WINDOW = timedelta(days=90)
HELD_OUT = Path(__file__).resolve().parent.parent / "data" / "duplicate_pairs_heldout.jsonl"


def request(
    text: str, at: datetime = NOW, attachment: Attachment | None = None, title: str = ""
) -> DataRequest:
    return data_request(text, text, at, attachment=attachment, attachment_title=title)


def same(first: str, second: str, later: datetime = NOW) -> bool:
    return is_duplicate(request(second, later), request(first), WINDOW)


def test_other_words_for_the_same_data_match() -> None:
    assert same("一季度低保户名单请各村报送", "请各村报送一季度最低生活保障对象花名册")
    assert same("请各社区报送独居老人名单", "请各楼栋长把本楼栋独居老人的姓名、电话报给我")


def test_the_same_form_for_other_data_does_not_match() -> None:
    assert not same("请各村报送低保户名单", "请各村报送特困供养人员名单")
    assert not same("请各村统计生猪存栏数", "请各村统计生猪出栏数")


def test_different_periods_never_match() -> None:
    assert not same("请各村报送2025年度低保户名单", "请各村报送2026年一季度低保户名单")
    assert not same("【转发】请各村报送2025年度低保户名单", "【转发】请各村报送2026年度低保户名单")
    march = SHANGHAI.localize(datetime(2026, 3, 5, 9, 0))
    april = SHANGHAI.localize(datetime(2026, 4, 3, 9, 0))
    assert not is_duplicate(
        request("请各村报送本月低保金发放表", april),
        request("请各村报送本月低保金发放表", march),
        WINDOW,
    )
    assert is_duplicate(
        request("各村把3月份低保金发放明细报来", april),
        request("请各村报送本月低保金发放表", march),
        WINDOW,
    )


def test_an_unstated_period_is_compatible_with_any() -> None:
    assert same("请各村报送低保户名单", "请各村报送2026年度低保对象花名册")


def test_other_named_units_do_not_match() -> None:
    assert not same("东山村：请各组报独居老人名单", "河口村：请各组报独居老人名单")
    assert same("东山村：请各组报独居老人名单", "请东山村报送独居老人名单")


def test_photos_of_something_are_not_its_list() -> None:
    assert not same("请各村报送危房改造户名单", "请各村报送危房改造户的照片")
    assert same("请各村报送撂荒地亩数", "请各村报送撂荒地面积，附现场照片")


def test_no_recognisable_object_claims_no_match_unless_reposted() -> None:
    assert not same("请各村报送秋收进度", "请各村报送春耕进度")
    assert same("请各村于周五前报送秋收进度表", "【转发】请各村于周五前报送秋收进度表!!")


def test_a_request_outside_the_window_does_not_match() -> None:
    assert not same("请各村报送低保户名单", "请各村报送低保户名单", NOW + timedelta(days=91))
    assert same("请各村报送低保户名单", "请各村报送低保户名单", NOW + timedelta(days=89))


def test_the_same_attachment_is_the_same_request_and_templates_agree_by_header() -> None:
    table = Attachment("AgADxyz", header_cells(["序号", "姓名", "身份证号", "保障人数*"]))
    assert is_duplicate(
        request("请各村填报附件", attachment=table),
        request("各位按表填写", attachment=table),
        WINDOW,
    )
    edited = Attachment("AgADother", header_cells(["序号", "姓名", "身份证号", "保障人数(必填)"]))
    assert is_duplicate(
        request("请各村填报附件", attachment=edited),
        request("各位按表填写", attachment=table),
        WINDOW,
    )
    other = Attachment("AgADthird", header_cells(["序号", "村名", "面积", "地块位置"]))
    assert not is_duplicate(
        request("请各村填报附件", attachment=other),
        request("各位按表填写", attachment=table),
        WINDOW,
    )


def test_a_template_title_names_the_object() -> None:
    titled = request("请各村按附件填报", title="2026年低保对象花名册")
    assert titled.key.objects == {"低保对象"}
    assert is_duplicate(titled, request("请各村报送低保户名单"), WINDOW)


def test_duplicate_of_gives_the_earliest_match_and_never_a_rejected_pair() -> None:
    first = request("请各村报送低保户名单", NOW - timedelta(days=10))
    second = request("麻烦各村把低保对象花名册发我", NOW - timedelta(days=5))
    unrelated = request("请各村报送特困人员名单", NOW - timedelta(days=7))
    new = request("请各村报送最低生活保障对象名单")
    assert duplicate_of(new, [second, unrelated, first]) is first
    assert duplicate_of(new, [second, unrelated, first], {rejection(new, first)}) is second
    assert duplicate_of(new, [unrelated]) is None


def test_the_index_finds_what_duplicate_of_finds_among_all() -> None:
    index = DuplicateIndex(WINDOW)
    stored = [
        request(text, NOW - timedelta(days=days))
        for days, text in [
            (100, "请各村报送低保户名单"),
            (30, "请各村报送特困人员名单"),
            (20, "麻烦各村把低保对象花名册发我"),
            (10, "请各村于周五前报送秋收进度表"),
        ]
    ]
    for earlier in stored:
        index.add(earlier)
    for text in [
        "请各村报送最低生活保障对象名单",
        "【转发】请各村于周五前报送秋收进度表",
        "请报残疾人",
    ]:
        new = request(text)
        assert index.find(new) is duplicate_of(new, stored)
    assert index.find(request("请各村报送最低生活保障对象名单")) is stored[2]


def test_lookup_keys_are_short_and_shared_by_candidates() -> None:
    first, second = request("请各村报送低保户名单"), request("麻烦各村把低保对象花名册发我")
    assert first.lookup == lookup_keys(first, "请各村报送低保户名单")
    assert first.lookup & second.lookup
    assert all(len(key) <= 64 for key in first.lookup | second.lookup)


def test_objects_are_looked_for_in_a_compatible_period_only() -> None:
    monthly = request("请各村报送本月低保金发放表")
    same_month = request("各村把11月份低保金发放明细报来")
    other_month = request("各村把10月份低保金发放明细报来")
    undated = request("请各村报送低保金发放表")
    assert query_keys(monthly) & same_month.lookup
    assert query_keys(monthly) & undated.lookup
    assert not query_keys(monthly) & other_month.lookup
    assert query_keys(undated) & monthly.lookup and query_keys(undated) & other_month.lookup


def test_a_season_of_other_months_does_not_hide_this_months_request() -> None:
    index = DuplicateIndex(WINDOW, per_key=20)
    for day in range(18, 80):  # a request each day of the months before
        index.add(request("请各村报送本月低保金发放表", NOW - timedelta(days=day)))
    this_month = request("请各村报送本月低保金发放表", NOW - timedelta(days=10))
    index.add(this_month)
    assert index.find(request("各村把本月的低保金发放明细报来")) is this_month


def test_requests_sent_at_once_are_found_in_the_order_they_were_added() -> None:
    index = DuplicateIndex(WINDOW)
    undated, dated = (
        request("请各村报送特困供养人员名单"),
        request("请各村报送2026年度特困人员名单"),
    )
    index.add(undated)
    index.add(dated)
    assert list(index.candidates(request("请各村报送2026年度五保户名单"))) == [undated, dated]


def test_the_stored_form_round_trips() -> None:
    table = Attachment("AgADxyz", ("姓名", "电话"))
    original = request("请各村报送2026年第三季度低保金发放表", attachment=table)
    restored = from_stored(original.id, original.sent_at, stored_form(original))
    assert restored == original and restored.lookup == original.lookup


def test_only_data_requests_are_fingerprinted() -> None:
    text = "各村把享受高龄补贴的80岁以上老人名单核对后报来"
    asking = request(text)
    assert fingerprinted({"data_request"}, asking, text)
    assert fingerprinted({"chat"}, asking, text)  # the labels missed it; the words ask
    assert not fingerprinted({"rollcall", "data_request"}, asking, text)
    said = "低保名单我已经报了"
    assert not fingerprinted({"chat"}, request(said), said)


def test_a_confirmation_teaches_the_other_wording_as_an_alias() -> None:
    lexicon = default_lexicon()
    texts = ["请各校统计本校留守儿童名单", "请各村报送父母都在外地打拼的小朋友名单"]
    taught = taught_aliases(texts, lexicon, NOW)
    assert taught == {"父母都在外地打拼的小朋友": ("儿童", "留守儿童")}
    learned = lexicon.with_aliases(taught)
    assert is_duplicate(
        data_request(2, texts[1], NOW, learned), data_request(1, texts[0], NOW, learned), WINDOW
    )
    assert taught_aliases(["请报送低保户名单", "请报送低保对象花名册"], lexicon, NOW) == {}


def test_pair_scores_on_the_held_out_set_and_the_dev_corpus() -> None:
    held_out = score_file(HELD_OUT, NOW)
    dev = score_file(VENDORED_CORPUS, NOW)
    print("\n" + held_out.line("held-out") + "\n" + dev.line("dev corpus"))
    assert held_out.f1 >= 0.93 and held_out.near_misses_matched == 0
    assert dev.f1 >= 0.93
