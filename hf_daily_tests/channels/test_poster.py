import datetime as dt
import io

import pytest
from PIL import Image

from hf_daily.channels import poster
from hf_daily.steps.issue import Issue
from hf_daily_tests.factories import issue_paper, make_issue

DAY = dt.date(2025, 12, 26)


def paper(n, **kw):
    """Long titles and abstracts: the card's text must wrap and be cut."""
    return issue_paper(n, **dict(title=f"Scaling Latent Reasoning for Vision-Language Models, Part {n}",
                                 title_zh=f"视觉语言模型的潜在推理扩展（第{n}部分）",
                                 abstract_zh="我们提出了一种在潜在空间中进行视觉推理的方法，无需显式的中间图像。" * 4,
                                 upvotes=10 + n) | kw)


def issue(papers=3, fields=(("多模态", 3), ("智能体", 1))):
    return make_issue(*[paper(n) for n in range(1, papers + 1)], hot_fields=list(fields), word_cloud=None,
                      trend_chart=None)


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def three() -> bytes:
    return poster.render_poster(issue(3))


def test_poster_is_a_tall_png_with_a_card_per_paper(three):
    image = open_png(three).convert("RGB")
    assert image.width == poster.WIDTH and image.height > image.width
    # The numbered badges sit in one column, one per card: count the runs of badge colour down it.
    x = poster.MARGIN + poster.PAD + 8  # left of the digit drawn inside each badge
    column = [image.getpixel((x, y)) for y in range(image.height)]
    header_end = next(y for y, c in enumerate(column) if c == poster.ACCENT)
    runs, inside = 0, False
    for colour in column[header_end + 8:]:
        if colour == poster.HEADER and not inside:
            runs += 1
        inside = colour == poster.HEADER
    assert runs == 3


def test_more_papers_make_a_taller_poster(three):
    assert open_png(poster.render_poster(issue(6))).height > open_png(three).height + 3 * 200


def test_same_issue_same_bytes(three):
    assert poster.render_poster(issue(3)) == three


def test_chinese_is_drawn_with_real_glyphs():
    font = poster._font(38)
    assert poster.font_path().name == "NotoSansSC-Regular.otf"
    masks = {char: bytes(font.getmask(char)) for char in "论文视觉"}
    # Missing glyphs would all be the same empty box.
    assert len(set(masks.values())) == 4 and all(any(m) for m in masks.values())


def test_an_empty_day_still_makes_a_poster():
    image = open_png(poster.render_poster(Issue(DAY, [], [])))
    assert image.width == poster.WIDTH and image.height > 400


def test_hostile_text_is_only_drawn():
    # Control characters and markup are just text here; nothing should crash or be dropped silently.
    nasty = paper(1, title_zh="<script>alert(1)</script>\u202e标题\x00", organization="\u200bOrg")
    assert open_png(poster.render_poster(Issue(DAY, [nasty], [("<b>", 1)]))).height > 0


def test_wrap_fits_the_width_and_keeps_words_and_punctuation():
    font = poster._font(28)
    text = "我们提出了一种在潜在空间中进行视觉推理的方法，名为 LatentReasoner，无需显式的中间图像。" * 3
    lines = poster.wrap(text, font, 400)
    assert len(lines) > 3
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # A closing mark may hang one character past the edge rather than start a line.
    assert all(font.getlength(line) <= 400 + font.getlength("，") for line in lines)
    assert not any(line[0] in "，。、" for line in lines)
    assert all("LatentReasoner" in line for line in lines if "Latent" in line)


def test_wrap_cuts_with_an_ellipsis():
    font = poster._font(28)
    lines = poster.wrap("很长的摘要。" * 50, font, 300, max_lines=2)
    assert len(lines) == 2 and lines[-1].endswith("…") and font.getlength(lines[-1]) <= 300


def test_wrap_breaks_a_word_longer_than_the_line():
    font = poster._font(28)
    lines = poster.wrap("a" * 200, font, 200)
    assert len(lines) > 1 and "".join(lines) == "a" * 200


def test_thumbnail_is_small(tmp_path, three):
    path = tmp_path / "p.png"
    path.write_bytes(three)
    small = open_png(poster.thumbnail(path))
    assert small.width == 360 and len(poster.thumbnail(path)) < len(three)
