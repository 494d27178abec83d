"""The day's poster: one tall PNG with a header (date, count, hot fields) and a card per paper.

Made for sharing in chat apps, where a long image reads well on a phone. The layout is measured
first and drawn second, so the image is exactly as tall as its content. The same inputs always give
the same bytes: Pillow's basic text layout (not libraqm, which may or may not be installed) and no
timestamps in the PNG.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from hf_daily.channels.charts import chinese_font_path
from hf_daily.core.display import MACHINE_TRANSLATED, NO_PAPERS, SITE_TITLE, long_date, plain_text
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DataLayout
from hf_daily.core.parallel import map_days
from hf_daily.steps.issue import Issue, build_issues

WIDTH = 1080
MARGIN = 48
PAD = 36
GAP = 28
BACKGROUND = (244, 246, 250)
HEADER = (31, 58, 147)
HEADER_TEXT = (255, 255, 255)
HEADER_MUTED = (200, 212, 245)
PILL = (62, 92, 190)
CARD = (255, 255, 255)
CARD_EDGE = (224, 229, 240)
TEXT = (28, 32, 42)
MUTED = (110, 118, 135)
ACCENT = (255, 153, 0)
# A Latin word (with its trailing punctuation) moves to the next line whole; CJK breaks between characters.
_TOKENS = re.compile(r"[A-Za-z0-9][\w.'’+\-/]*[,.;:!?)\]]*|\s+|.", re.DOTALL)
# These never start a line (the rule Chinese typesetting calls 避头).
_NO_LINE_START = set("，。、；：！？）》」』”’,.;:!?)]%…")


def font_path() -> Path:
    """The project's Chinese font, shared with the charts and the HTML font stack's Noto Sans SC."""
    return chinese_font_path()


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size, layout_engine=ImageFont.Layout.BASIC)


@functools.lru_cache(maxsize=65536)
def _advance(font: ImageFont.FreeTypeFont, char: str) -> float:
    return font.getlength(char)


def _length(font: ImageFont.FreeTypeFont, text: str) -> float:
    """The width of ``text``: the basic layout does not kern this font, so it is the sum of its characters'.

    Measured a character at a time (and remembered), because wrapping measures every line
    again as it grows: Pillow's own measuring of whole lines was most of a poster's time.
    """
    return sum(_advance(font, char) for char in text)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int | None = None) -> list[str]:
    """Lines of at most `width` pixels; the last kept line ends with … when text is cut."""
    lines, line, line_w = [], "", 0.0
    for token in _TOKENS.findall(plain_text(text)):
        if not line and token.isspace():
            continue
        token_w = _length(font, token)
        if line_w + token_w <= width or (token[0] in _NO_LINE_START and len(token) == 1):
            line, line_w = line + token, line_w + token_w
            continue
        if token_w > width:  # a word wider than the line: break it anywhere
            for char in token:
                if line_w + _advance(font, char) > width and line:
                    lines.append(line)
                    line, line_w = "", 0.0
                line, line_w = line + char, line_w + _advance(font, char)
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
        line_w = _length(font, line)
    if line.strip():
        lines.append(line.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _length(font, last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip("，,、；;：: ") + "…"
    return lines


@dataclass(frozen=True)
class _Text:
    lines: list[str]
    size: int
    color: tuple[int, int, int]
    bold: bool = False
    spacing: float = 1.45

    @property
    def height(self) -> int:
        return round(len(self.lines) * self.size * self.spacing)


def _draw_text(draw: ImageDraw.ImageDraw, x: int, y: int, block: _Text) -> int:
    font = _font(block.size)
    step = round(block.size * block.spacing)
    for index, line in enumerate(block.lines):
        # Only a Regular face ships: a thin stroke of the same colour makes the titles bold.
        draw.text((x, y + index * step), line, font=font, fill=block.color,
                  stroke_width=1 if block.bold else 0, stroke_fill=block.color)
    return y + block.height


def _card_blocks(number: int, paper, inner: int) -> list[_Text]:
    title = paper.title_zh or paper.title
    blocks = [_Text(wrap(title, _font(38), inner, max_lines=3), 38, TEXT, bold=True)]
    if paper.title_zh and paper.title:
        blocks.append(_Text(wrap(paper.title, _font(24), inner, max_lines=2), 24, MUTED))
    if paper.abstract_zh:
        blocks.append(_Text(wrap(paper.abstract_zh, _font(28), inner, max_lines=4), 28, TEXT, spacing=1.6))
    meta = f"第 {number} 篇 · 赞 {int(paper.upvotes)}"
    if paper.organization:
        meta += f" · {plain_text(paper.organization)}"
    blocks.append(_Text(wrap(meta, _font(24), inner, max_lines=1), 24, MUTED))
    return blocks


def render_poster(issue: Issue, width: int = WIDTH) -> bytes:
    """The poster as PNG bytes."""
    day = issue.day
    card_x, card_w = MARGIN, width - 2 * MARGIN
    badge = 64
    inner = card_w - 2 * PAD - badge - 24
    header = [
        _Text([SITE_TITLE], 54, HEADER_TEXT, bold=True, spacing=1.3),
        _Text([long_date(day)], 34, HEADER_MUTED),
        _Text([f"今日共 {len(issue.papers)} 篇论文"], 40, HEADER_TEXT, bold=True, spacing=1.5),
    ]
    pills = [f"{plain_text(name)} {n}" for name, n in issue.hot_fields]
    pill_font, pill_h = _font(28), 52
    pill_rows, row, row_w = [], [], 0
    for text in pills:
        w = round(pill_font.getlength(text)) + 40
        if row and row_w + w > width - 2 * MARGIN:
            pill_rows.append(row)
            row, row_w = [], 0
        row.append((text, w))
        row_w += w + 16
    if row:
        pill_rows.append(row)
    header_h = MARGIN + sum(b.height for b in header) + (24 + 36 if pills else 0) \
        + len(pill_rows) * (pill_h + 14) + MARGIN

    cards = [_card_blocks(n, p, inner) for n, p in enumerate(issue.papers, start=1)]
    if not cards:
        cards = [[_Text(wrap(NO_PAPERS, _font(32), card_w - 2 * PAD), 32, TEXT)]]
    card_heights = [max(badge, sum(b.height for b in blocks) + 10 * (len(blocks) - 1)) + 2 * PAD for blocks in cards]
    footer_h = 110
    height = header_h + GAP + sum(h + GAP for h in card_heights) + footer_h

    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, header_h), fill=HEADER)
    draw.rectangle((0, header_h - 8, width, header_h), fill=ACCENT)
    y = MARGIN
    for block in header:
        y = _draw_text(draw, MARGIN, y, block)
    if pills:
        y = _draw_text(draw, MARGIN, y + 24, _Text(["热门领域"], 26, HEADER_MUTED, spacing=1.4))
        for row in pill_rows:
            x = MARGIN
            for text, w in row:
                draw.rounded_rectangle((x, y, x + w, y + pill_h), radius=pill_h // 2, fill=PILL)
                draw.text((x + 20, y + pill_h / 2), text, font=pill_font, fill=HEADER_TEXT, anchor="lm")
                x += w + 16
            y += pill_h + 14

    y = header_h + GAP
    for number, (blocks, card_h) in enumerate(zip(cards, card_heights, strict=True), start=1):
        draw.rounded_rectangle((card_x, y, card_x + card_w, y + card_h), radius=24, fill=CARD,
                               outline=CARD_EDGE, width=2)
        text_x = card_x + PAD
        if issue.papers:
            cx, cy = card_x + PAD + badge // 2, y + PAD + badge // 2
            draw.ellipse((cx - badge // 2, cy - badge // 2, cx + badge // 2, cy + badge // 2), fill=HEADER)
            draw.text((cx, cy), str(number), font=_font(30), fill=HEADER_TEXT, anchor="mm")
            text_x += badge + 24
        block_y = y + PAD
        for block in blocks:
            block_y = _draw_text(draw, text_x, block_y, block) + 10
        y += card_h + GAP
    draw.text((width / 2, height - footer_h / 2), MACHINE_TRANSLATED,
              font=_font(24), fill=MUTED, anchor="mm")

    out = io.BytesIO()
    # Level 1: two thirds of level 6's time, and no larger for flat colours and text.
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def thumbnail(path: Path, width: int = 360, max_height: int = 1600) -> bytes:
    """A small copy of the poster's top, light enough to keep in run metadata."""
    with Image.open(path) as image:
        scale = width / image.width
        small = image.resize((width, max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
    small = small.crop((0, 0, width, min(small.height, max_height)))
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _poster_job(job: tuple[Issue, Path]) -> Path:
    issue, path = job
    return write_atomically(path, render_poster(issue))


def poster_days(warehouse, days: Sequence[dt.date], layout: DataLayout) -> dict[dt.date, Path]:
    issues = build_issues(warehouse, days, layout)
    return dict(zip(issues, map_days(_poster_job, [(issue, layout.poster(day))
                                                   for day, issue in issues.items()])))
