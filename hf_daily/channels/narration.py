"""The spoken briefing's script: short Chinese sentences written the way they are to be read aloud.

A speech engine reads digits by its own rules (eSpeak says 2025 as 二千零二十五, and reads 3.5% and
GPT-4o oddly), so every number is written out here in Chinese words, URLs are dropped, and each paper
gets a title and one short sentence. The script is plain text, one paragraph per line: the speech step
pauses between lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from hf_daily.core.display import weekday
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import Issue, build_issues

_DIGITS = "零一二三四五六七八九"
# Longer integers are codes or ids rather than amounts, and sound right digit by digit.
_MAX_CARDINAL_DIGITS = 12


def digits(text: str) -> str:
    """Digit by digit, as years and codes are read: '2025' -> '二零二五'."""
    return "".join(_DIGITS[int(c)] for c in text if c.isdecimal())


def _section(n: int) -> str:
    """0 < n < 10000, with the zeros inside it read out: 1005 -> 一千零五."""
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = zero or bool(out)
        else:
            out += ("零" if zero else "") + _DIGITS[d] + unit
            zero = False
    return out


def cardinal(n: int) -> str:
    """An integer as an amount: 19 -> 十九, 105 -> 一百零五, 100000 -> 十万, -3 -> 负三."""
    if n < 0:
        return "负" + cardinal(-n)
    if n == 0:
        return "零"
    if len(str(n)) > _MAX_CARDINAL_DIGITS:
        return digits(str(n))
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = pending_zero or bool(out)
            continue
        # A gap inside the number is read as one 零: 10005 -> 一万零五, 100010000 -> 一亿零一万.
        if out and (pending_zero or group < 1000):
            out += "零"
        out += _section(group) + ("", "万", "亿")[index]
        pending_zero = False
    # 10..19 at the head are read 十, 十九, 十万 rather than 一十...
    return out[1:] if out.startswith("一十") else out


def count_words(n: int) -> str:
    """A count before a measure word: 两 for 2 (两篇论文), otherwise the cardinal."""
    return "两" if n == 2 else cardinal(n)


def decimal(text: str) -> str:
    """'3.5' -> 三点五, '1,000' -> 一千, '0.05' -> 零点零五, '1.2.3' (a version) -> 一点二点三."""
    parts = text.replace(",", "").split(".")
    if len(parts) > 2:
        return "点".join(cardinal(int(p)) if p else "" for p in parts)
    whole, fraction = parts[0], (parts[1] if len(parts) == 2 else "")
    # A leading zero marks a code or a zero-padded id: read it digit by digit.
    head = digits(whole) if len(whole) > 1 and whole.startswith("0") else cardinal(int(whole or 0))
    return head + ("点" + digits(fraction) if fraction else "")


# A URL ends at a space, a bracket or Chinese punctuation, and a sentence's final mark is not part of it.
_URL = re.compile(r"(?:https?://|www\.)[^\s()（）<>\[\]{}，。、；！？“”‘’《》\"']+(?<![.,;:!?])", re.IGNORECASE)
_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)*"
_PERCENT_RANGE = re.compile(rf"(?<![\d.,])({_NUMBER})\s*[%％]?\s*[-–~到至]\s*({_NUMBER})\s*[%％]")
_PERCENT = re.compile(rf"(?<![\d.,])([-−]?)({_NUMBER})\s*[%％]")
_ISO_DATE = re.compile(r"(?<![\d.,-])((?:19|20)\d\d)-(\d\d?)-(\d\d?)(?![\d-])")
_YEAR = re.compile(r"(?<![\d.,])(1[5-9]\d\d|20\d\d)(?=\s*年)")
_YEAR_RANGE = re.compile(r"(?<![\d.,])(1[5-9]\d\d|20\d\d)\s*[-–~至到]\s*(1[5-9]\d\d|20\d\d)(?=\s*年)")
_FRACTION = re.compile(r"(?<![\d/.,])(\d+)/(\d+)(?![\d/])")
_TIMES = re.compile(rf"(?<![A-Za-z\d.,])({_NUMBER})\s*[x×](?![A-Za-z0-9])")
_RANGE = re.compile(rf"(?<![A-Za-z\d.,-])({_NUMBER})\s*[-–~]\s*(?=\d)")
# A minus sign stands after a space, an opening bracket or the start; after a letter it is a hyphen (GPT-4o).
_NEGATIVE = re.compile(rf"(?<![A-Za-z\d.,)\]])[-−](?={_NUMBER})")
_LETTER_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=\d)")
_PLAIN = re.compile(_NUMBER)
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
# Symbols a speech engine would skip or spell out; Markdown escapes and brackets carry no sound.
_SILENT = re.compile(r"[\\*_`#|<>\[\]{}^~$@]")
# What dropping a URL leaves behind: "（见 ）", "见 。".
_EMPTY_BRACKETS = re.compile(r"[（(]\s*[)）]")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+(?=[，。、；：！？）》」,.;:!?)])")


def speakable(text: str | None) -> str:
    """Text with URLs dropped and every number written in Chinese words, ready for a Chinese voice."""
    if not text:
        return ""
    text = _URL.sub("", text)
    text = _SILENT.sub(" ", text)
    text = _ISO_DATE.sub(lambda m: f"{digits(m[1])}年{cardinal(int(m[2]))}月{cardinal(int(m[3]))}日", text)
    text = _YEAR_RANGE.sub(lambda m: f"{digits(m[1])}年到{digits(m[2])}", text)
    text = _YEAR.sub(lambda m: digits(m[1]), text)
    text = _PERCENT_RANGE.sub(lambda m: f"百分之{decimal(m[1])}到百分之{decimal(m[2])}", text)
    text = _PERCENT.sub(lambda m: ("负" if m[1] else "") + "百分之" + decimal(m[2]), text)
    text = _FRACTION.sub(lambda m: f"{cardinal(int(m[2]))}分之{cardinal(int(m[1]))}", text)
    text = _TIMES.sub(lambda m: decimal(m[1]) + "倍", text)
    text = _RANGE.sub(lambda m: decimal(m[1]) + "到", text)
    text = _NEGATIVE.sub("负", text)
    text = _LETTER_HYPHEN.sub(" ", text)
    text = _PLAIN.sub(lambda m: decimal(m[0]), text)
    text = _EMPTY_BRACKETS.sub("", text)
    return _SPACE_BEFORE_PUNCT.sub("", _SPACES.sub(" ", text)).strip()


def spoken_date(day: dt.date) -> str:
    return f"{digits(str(day.year))}年{cardinal(day.month)}月{cardinal(day.day)}日，{weekday(day)}"


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def short_summary(abstract: str, limit: int = 60) -> str:
    """The abstract's first sentence, cut at a clause boundary when it is long: one breath of speech."""
    text = " ".join(abstract.split())
    if not text:
        return ""
    first = next((s for s in _SENTENCE_END.split(text) if s.strip()), text).strip()
    if len(first) <= limit:
        return first if first[-1] in "。！？!?" else first.rstrip("；;，,、 ") + "。"
    cut = max(first.rfind(mark, 0, limit) for mark in "，,、；;：:")
    head = first[:cut] if cut >= limit // 3 else first[:limit]
    return head.rstrip("，,、；;：: ") + "。"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in "。！？!?" else text + "。"


OPENING = "大家好，欢迎收听 Hugging Face 每日论文速递。"
CLOSING = "以上就是今天的全部内容。感谢收听，我们明天再见。"


def narration_script(issue: Issue, summary_chars: int = 60) -> str:
    """The briefing as plain text: an opening line, one short paragraph per paper, a closing line."""
    count = len(issue.papers)
    lines = [OPENING + f"今天是{spoken_date(issue.day)}，共有{count_words(count)}篇论文。"]
    if issue.hot_fields:
        lines[0] += "热门领域是" + "、".join(speakable(name) for name, _ in issue.hot_fields) + "。"
    if not count:
        lines.append("今天没有新论文，周末和节假日通常如此。")
    for number, paper in enumerate(issue.papers, start=1):
        title = speakable(paper.title_zh) or speakable(paper.title)
        parts = [f"第{cardinal(number)}篇，{_sentence(title)}"]
        summary = speakable(short_summary(paper.abstract_zh, summary_chars))
        if summary:
            parts.append(summary)
        if paper.upvotes:
            parts.append(f"获得{count_words(int(paper.upvotes))}个点赞。")
        lines.append("".join(parts))
    lines.append(CLOSING)
    return "\n".join(lines) + "\n"


def narration_days(warehouse, days: Sequence[dt.date], layout: DataLayout) -> dict[dt.date, tuple[Path, str]]:
    out = {}
    for day, issue in build_issues(warehouse, days, layout).items():
        script = narration_script(issue)
        out[day] = (write_atomically(layout.transcript(day), script), script)
    return out
