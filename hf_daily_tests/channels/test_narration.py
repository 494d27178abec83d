import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_daily.channels.narration import (
    CLOSING,
    cardinal,
    count_words,
    decimal,
    digits,
    narration_script,
    short_summary,
    speakable,
    spoken_date,
)
from hf_daily.steps.issue import Issue
from hf_daily_tests.factories import issue_paper


@pytest.mark.parametrize("n, words", [
    (0, "零"), (1, "一"), (2, "二"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"), (100, "一百"),
    (101, "一百零一"), (110, "一百一十"), (1005, "一千零五"), (1010, "一千零一十"), (2025, "二千零二十五"),
    (10005, "一万零五"), (12345, "一万二千三百四十五"), (100000, "十万"), (110000, "十一万"), (1000000, "一百万"),
    (10010000, "一千零一万"), (100000000, "一亿"), (100010000, "一亿零一万"), (120000000, "一亿二千万"),
    (-3, "负三"),
])
def test_cardinal(n, words):
    assert cardinal(n) == words


@given(st.integers(min_value=0, max_value=10**12 - 1))
@settings(max_examples=300)
def test_cardinal_is_well_formed(n):
    words = cardinal(n)
    assert re.fullmatch("[零一二三四五六七八九十百千万亿]+", words)
    assert "零零" not in words
    assert n == 0 or not words.endswith("零")
    assert not words.startswith("一十")
    # Each digit of the number is spoken (zeros inside may merge into one 零; a leading 一十 is said 十).
    assert [c for c in ("一" + words if words.startswith("十") else words) if c in "一二三四五六七八九"] == [
        "零一二三四五六七八九"[int(c)] for c in str(n) if c != "0"]


def test_counts_read_two_as_liang():
    assert count_words(2) == "两"
    assert count_words(12) == "十二"


def test_digits_and_decimals():
    assert digits("2025") == "二零二五"
    assert decimal("3.5") == "三点五"
    assert decimal("0.05") == "零点零五"
    assert decimal("100,000") == "十万"
    assert decimal("1.2.3") == "一点二点三"
    assert decimal("007") == "零零七"


@pytest.mark.parametrize("text, spoken", [
    ("2025年12月26日", "二零二五年十二月二十六日"),
    ("2023-2025年", "二零二三年到二零二五年"),
    ("发布于 2025-01-07", "发布于 二零二五年一月七日"),
    ("准确率提升3.5%", "准确率提升百分之三点五"),
    ("提升 5-10% 的效果", "提升 百分之五到百分之十 的效果"),
    ("共19篇", "共十九篇"),
    ("Qwen2.5 与 GPT-4o", "Qwen二点五 与 GPT 四o"),
    ("v1.2.3 版本", "v一点二点三 版本"),
    ("十万 个样本：100,000", "十万 个样本：十万"),
    ("其中 1/3 来自", "其中 三分之一 来自"),
    ("提速 2.5x", "提速 二点五倍"),
    ("温度 -3 度", "温度 负三 度"),
    ("第1到第3", "第一到第三"),
    ("1-3 个", "一到三 个"),
    ("代码见 https://github.com/a/b。", "代码见。"),
    ("代码（https://x.org/y）开源", "代码开源"),
    ("**粗体** 与 `代码`", "粗体 与 代码"),
])
def test_speakable(text, spoken):
    assert speakable(text) == spoken


@given(st.lists(st.sampled_from(list("0123456789.,%-/x年 abcGPTv论文，。:") + ["https://a.b/c ", "www.x.cn/1"]),
                max_size=40).map("".join))
@settings(max_examples=300)
def test_speakable_leaves_no_digits_or_urls(text):
    spoken = speakable(text)
    assert not re.search(r"\d", spoken), spoken
    assert "http" not in spoken


def test_spoken_date():
    assert spoken_date(dt.date(2025, 12, 26)) == "二零二五年十二月二十六日，星期五"
    assert spoken_date(dt.date(2024, 1, 7)) == "二零二四年一月七日，星期日"


def test_short_summary_keeps_one_breath():
    assert short_summary("我们提出一种方法。它很好。") == "我们提出一种方法。"
    long = ("我们提出了一种新的训练方法，它在数学推理、代码生成、多模态理解和长文本问答等十余个基准上"
            "都取得了显著的提升，同时降低成本。")
    summary = short_summary(long, limit=40)
    assert len(summary) <= 41 and summary.endswith("。") and long.startswith(summary[:-1])
    assert short_summary("") == ""
    assert short_summary("没有句号的摘要") == "没有句号的摘要。"


def paper(n, **kw):
    """Numbers, a percentage and a URL in the abstract: what the script must write out or drop."""
    return issue_paper(n, **dict(title=f"Paper {n}", title_zh=f"论文{n}的标题",
                                 abstract_zh="我们在2025年提出了方法，准确率提升3.5%。详见 https://example.org/x 。",
                                 upvotes=19) | kw)


def test_script_has_an_opening_a_paragraph_per_paper_and_a_closing():
    issue = Issue(dt.date(2025, 12, 26), [paper(1), paper(2, upvotes=0, title_zh="", title="LLM Agents at Scale")],
                  [("多模态", 2), ("智能体", 1)])
    lines = narration_script(issue).splitlines()
    assert len(lines) == 4
    assert "二零二五年十二月二十六日" in lines[0] and "共有两篇论文" in lines[0]
    assert "热门领域是多模态、智能体" in lines[0]
    assert lines[1].startswith("第一篇，论文一的标题。")
    assert "二零二五年" in lines[1] and "百分之三点五" in lines[1] and "十九个点赞" in lines[1]
    assert lines[2].startswith("第二篇，LLM Agents at Scale。") and "点赞" not in lines[2]
    assert lines[3] == CLOSING
    script = "\n".join(lines)
    assert not re.search(r"\d|https?:|example\.org", script)


def test_script_of_an_empty_day():
    lines = narration_script(Issue(dt.date(2025, 12, 27), [], [])).splitlines()
    assert "共有零篇论文" in lines[0] and "没有新论文" in lines[1] and lines[-1] == CLOSING


def test_script_numbers_many_papers_in_words():
    issue = Issue(dt.date(2025, 12, 26), [paper(n) for n in range(1, 22)], [])
    lines = narration_script(issue).splitlines()
    assert "共有二十一篇论文" in lines[0]
    assert lines[11].startswith("第十一篇") and lines[21].startswith("第二十一篇")
