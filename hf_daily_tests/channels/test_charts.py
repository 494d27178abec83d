from __future__ import annotations

import datetime as dt
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from hf_daily.channels import charts
from hf_daily.channels.charts import chinese_font_path, render_trend_chart, render_word_cloud

DAY = dt.date(2025, 12, 26)
MISSING_OFFSETS = (5, 6, 12)  # days before DAY without data (a weekend and one more)
TREND_PX = (1200, 600)

WORDS = {"大语言模型": 12, "强化学习": 9, "扩散模型": 7, "智能体": 7, "视觉语言模型": 5, "LLM": 5, "GPT-4": 3, "思维链": 4}


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))


def _counts(day: dt.date = DAY, missing=MISSING_OFFSETS, papers: int = 10) -> pd.DataFrame:
    days = [day - dt.timedelta(days=offset) for offset in range(30) if offset not in missing]
    return pd.DataFrame({"day": days, "papers": [papers] * len(days)})


def _array(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _where(path: Path, color: str) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs) of the pixels of exactly ``color``: bar interiors, not anti-aliased edges."""
    return np.nonzero(np.all(_array(path) == _rgb(color), axis=-1))


def _glyph_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)]


@pytest.fixture(scope="module")
def trend_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("trend") / "trend.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_trend_chart(_counts(), DAY, path)
    assert _glyph_warnings(caught) == []
    return path


# --- the font ----------------------------------------------------------------


def test_font_is_the_single_face_noto_sans_sc_otf():
    path = chinese_font_path()
    assert path.is_file()
    assert path.name == "NotoSansSC-Regular.otf"
    assert path.read_bytes()[:4] == b"OTTO"  # an OpenType/CFF file, not a .ttc collection


def test_font_has_glyphs_for_every_label():
    cmap = TTFont(chinese_font_path(), lazy=True).getBestCmap()
    labels = [
        charts.TREND_TITLE,
        "（截至 2025-12-26）",
        charts.TREND_XLABEL,
        charts.TREND_YLABEL,
        charts.TREND_BARS_LABEL,
        charts.TREND_MEAN_LABEL,
        charts.TREND_NO_DATA_LABEL,
        charts.EMPTY_CLOUD_TEXT,
        "0123456789-",
        *WORDS,
    ]
    missing = sorted({c for label in labels for c in label if c != " " and ord(c) not in cmap})
    assert missing == []


def test_missing_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(charts, "FONT_PACKAGE", "no_such_font_package")
    with pytest.raises(charts.ChartFontError, match="pylopdf-fonts-zh-cn"):
        chinese_font_path()


def test_the_glyph_warning_check_would_catch_a_missing_glyph():
    # Control: matplotlib's default font has no Chinese, and the check above sees that.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    fig.add_subplot().set_title("近30天")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert _glyph_warnings(caught)


# --- the trend chart -----------------------------------------------------------


def test_trend_chart_is_a_png_of_the_expected_size(trend_png):
    assert trend_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(trend_png) as image:
        assert image.size == TREND_PX


def test_trend_chart_is_byte_identical_on_re_render(trend_png, tmp_path):
    again = render_trend_chart(_counts(), DAY, tmp_path / "again.png")
    assert again == tmp_path / "again.png"
    assert again.read_bytes() == trend_png.read_bytes()


def test_trend_chart_ignores_rows_outside_the_window(trend_png, tmp_path):
    counts = pd.concat(
        [_counts(), pd.DataFrame({"day": [DAY - dt.timedelta(days=40), DAY + dt.timedelta(days=1)], "papers": [99, 99]})]
    )
    assert render_trend_chart(counts, DAY, tmp_path / "t.png").read_bytes() == trend_png.read_bytes()


def test_trend_chart_highlights_the_day_and_leaves_gaps_for_missing_days(trend_png):
    hy, hx = _where(trend_png, charts.HIGHLIGHT_COLOR)
    by, bx = _where(trend_png, charts.BAR_COLOR)
    assert len(hx) > 200 and len(bx) > 200
    # The highlighted bar is the rightmost one (the legend swatch is at the upper left).
    assert hx.min() > bx.max()

    # Just above the x axis, count the separate bars: 30 days less 3 missing, less the highlighted one.
    row = _array(trend_png)[hy.max() - 2]
    is_bar = np.all(row == _rgb(charts.BAR_COLOR), axis=-1).astype(int)
    runs = int(np.sum(np.diff(np.concatenate([[0], is_bar])) == 1))
    assert runs == 30 - len(MISSING_OFFSETS) - 1
    is_highlight = np.all(row == _rgb(charts.HIGHLIGHT_COLOR), axis=-1)
    assert is_highlight.sum() > 20


def test_trend_chart_without_data_for_the_day_has_no_highlighted_bar(tmp_path):
    path = render_trend_chart(_counts(missing=(0,)), DAY, tmp_path / "t.png")
    with Image.open(path) as image:
        assert image.size == TREND_PX
    hy, hx = _where(path, charts.HIGHLIGHT_COLOR)
    by, bx = _where(path, charts.BAR_COLOR)
    # Only the small "无数据" note is drawn in the highlight colour, no bar.
    assert hy.max() - hy.min() < 40
    assert len(bx) > 200


def test_trend_chart_with_a_single_day_and_datetime_input(tmp_path):
    counts = pd.DataFrame({"day": [pd.Timestamp(DAY)], "papers": [7]})
    path = render_trend_chart(counts, dt.datetime(2025, 12, 26, 8, 0), tmp_path / "t.png")
    with Image.open(path) as image:
        assert image.size == TREND_PX
    hy, hx = _where(path, charts.HIGHLIGHT_COLOR)
    by, bx = _where(path, charts.BAR_COLOR)
    assert len(hx) > 200
    # The axis still spans 30 days: the one bar sits at the right edge.
    assert hx.min() > 0.85 * TREND_PX[0]
    # The bar colour is left only in the legend swatch at the top left.
    assert by.max() < 0.25 * TREND_PX[1] and bx.max() < 0.3 * TREND_PX[0]


def test_trend_chart_rejects_duplicate_days_and_missing_columns(tmp_path):
    with pytest.raises(ValueError, match="more than one row"):
        render_trend_chart(pd.DataFrame({"day": [DAY, DAY], "papers": [1, 2]}), DAY, tmp_path / "t.png")
    with pytest.raises(ValueError, match="papers"):
        render_trend_chart(pd.DataFrame({"day": [DAY]}), DAY, tmp_path / "t.png")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_render_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, trend_png):
    from matplotlib.figure import Figure

    path = tmp_path / "trend.png"
    path.write_bytes(trend_png.read_bytes())

    def half_written(self, handle, **kwargs):
        handle.write(b"\x89PNG\r\n\x1a\n half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", half_written)
    with pytest.raises(RuntimeError, match="disk full"):
        render_trend_chart(_counts(papers=3), DAY, path)
    assert path.read_bytes() == trend_png.read_bytes()
    assert list(tmp_path.iterdir()) == [path]


# --- the word cloud ------------------------------------------------------------


def test_word_cloud_is_deterministic_and_independent_of_mapping_order(tmp_path):
    first = render_word_cloud(WORDS, tmp_path / "a.png")
    second = render_word_cloud(dict(reversed(list(WORDS.items()))), tmp_path / "b.png")
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()
    with Image.open(first) as image:
        assert image.size == charts.CLOUD_SIZE_PX
        colors = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (255, 255, 255) in colors and len(colors) > 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]


@pytest.mark.parametrize("frequencies", [{}, {"强化学习": 0}, {" ": 3}])
def test_empty_word_cloud_is_a_placeholder(tmp_path, frequencies):
    path = render_word_cloud(frequencies, tmp_path / "cloud" / "empty.png")
    with Image.open(path) as image:
        assert image.size == charts.EMPTY_CLOUD_SIZE_PX
        gray = image.convert("L")
        assert gray.getextrema()[0] < 200  # some text was drawn on the white
    assert path.read_bytes() == render_word_cloud({}, tmp_path / "again.png").read_bytes()


def test_word_cloud_with_one_word(tmp_path):
    path = render_word_cloud({"智能体": 1}, tmp_path / "one.png")
    with Image.open(path) as image:
        assert image.size == charts.CLOUD_SIZE_PX
