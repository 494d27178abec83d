"""Charts for the newsletter: the 30-day paper count trend and the keyword cloud.

Both are PNGs drawn with Noto Sans SC from ``pylopdf_fonts_zh_cn``: matplotlib's
own fonts have no Chinese glyphs, and the system's CJK ``.ttc`` collections pick
Japanese glyph shapes. The same input gives a byte-identical file, so a re-run
of a day does not produce a "changed" image, and a file is only ever replaced
whole.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from hf_daily import warehouse as wh
from hf_daily.core.constants import TREND_DAYS
from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DataLayout
from hf_daily.core.parallel import map_days

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"

MEAN_DAYS = 7

TREND_TITLE = f"近{TREND_DAYS}天每日论文数"
TREND_XLABEL = "日期"
TREND_YLABEL = "论文数"
TREND_BARS_LABEL = "每日论文数"
TREND_MEAN_LABEL = "7日均值"
TREND_NO_DATA_LABEL = "无数据"
EMPTY_CLOUD_TEXT = "今日无关键词"

BAR_COLOR = "#9DB4CE"
HIGHLIGHT_COLOR = "#E4572E"
MEAN_COLOR = "#1F3A5F"

TREND_SIZE_IN = (8.0, 4.0)
TREND_DPI = 150  # 1200 x 600 px
CLOUD_SIZE_PX = (1000, 500)
EMPTY_CLOUD_SIZE_PX = (600, 150)
CLOUD_RANDOM_STATE = 20251226
CLOUD_MAX_WORDS = 120
CLOUD_MAX_FONT_PX = 160
# Dark enough to read on white (viridis' yellow is not), distinct from each other.
CLOUD_PALETTE = ("#1F3A5F", "#E4572E", "#2E86AB", "#3B8B5A", "#7B3F99", "#B03A48", "#C17C00", "#4A4E69")


class ChartFontError(RuntimeError):
    """The Chinese font that the charts need is not installed."""


def chinese_font_path() -> Path:
    """The Noto Sans SC OTF that ships with ``pylopdf-fonts-zh-cn``."""
    try:
        path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
    except ModuleNotFoundError as exc:
        raise ChartFontError(
            f"the charts need the Chinese font package {FONT_PACKAGE!r}; install it with "
            "'pip install pylopdf-fonts-zh-cn'"
        ) from exc
    if not path.is_file():
        raise ChartFontError(f"{FONT_FILE} is missing from {path.parent}; reinstall 'pylopdf-fonts-zh-cn'")
    return path


@lru_cache(maxsize=1)
def _font_properties():
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=str(chinese_font_path()))


def _write_png(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Render into memory, then publish with the one atomic write: a failed render leaves the old file."""
    buffer = io.BytesIO()
    write(buffer)
    return write_atomically(Path(path), buffer.getvalue())


def _daily_series(counts: pd.DataFrame, day: dt.date) -> pd.Series:
    """Papers per day over the 30 days ending at ``day``; NaN where there is no data."""
    missing = {"day", "papers"} - set(counts.columns)
    if missing:
        raise ValueError(f"counts needs the columns 'day' and 'papers'; missing {sorted(missing)}")
    window = [day - dt.timedelta(days=offset) for offset in range(TREND_DAYS - 1, -1, -1)]
    days = pd.to_datetime(counts["day"]).dt.date
    frame = pd.DataFrame({"day": days, "papers": pd.to_numeric(counts["papers"])})
    frame = frame[frame["day"].isin(set(window))]
    duplicated = frame["day"][frame["day"].duplicated()]
    if not duplicated.empty:
        raise ValueError(f"counts has more than one row for {sorted(set(duplicated))[0]}")
    return frame.set_index("day")["papers"].astype(float).reindex(window)


def render_trend_chart(counts: pd.DataFrame, day: dt.date, path: Path) -> Path:
    """Bar chart of papers per day over the 30 days ending at ``day``, with a 7-day mean.

    ``counts`` has columns ``day`` and ``papers``; rows outside the window are
    ignored and a day without a row has no data (no bar, and it is left out of the
    mean, which averages the days with data among the trailing seven). The date
    axis still runs over all 30 days. The bar of ``day`` is drawn in
    HIGHLIGHT_COLOR; the others in BAR_COLOR. Returns ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    if isinstance(day, dt.datetime):
        day = day.date()
    series = _daily_series(counts, day)
    mean = series.rolling(MEAN_DAYS, min_periods=1).mean()
    positions = list(range(TREND_DAYS))
    font = _font_properties()

    # A Figure with its own Agg canvas, not pyplot: nothing is registered globally,
    # so nothing accumulates over many days and no backend switch is needed.
    fig = Figure(figsize=TREND_SIZE_IN, dpi=TREND_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    present = [(x, v) for x, v in zip(positions, series) if pd.notna(v)]
    colors = [HIGHLIGHT_COLOR if x == TREND_DAYS - 1 else BAR_COLOR for x, _ in present]
    ax.bar([x for x, _ in present], [v for _, v in present], width=0.75, color=colors, zorder=2)
    ax.plot(positions, mean.to_list(), color=MEAN_COLOR, linewidth=2, zorder=3)

    target = series.iloc[-1]
    if pd.notna(target):
        ax.annotate(f"{int(target)}", (TREND_DAYS - 1, target), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", color=HIGHLIGHT_COLOR, fontproperties=font)
    else:
        ax.annotate(TREND_NO_DATA_LABEL, (TREND_DAYS - 1, 0), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", color=HIGHLIGHT_COLOR, fontproperties=font)

    # Ticks every week counting back from the day itself, so the day is always labelled.
    ticks = list(range(TREND_DAYS - 1, -1, -MEAN_DAYS))[::-1]
    ax.set_xticks(ticks, [series.index[t].strftime("%m-%d") for t in ticks])
    ax.set_xlim(-0.75, TREND_DAYS - 0.25)
    top = max([v for _, v in present] + [float(m) for m in mean if pd.notna(m)] + [1.0])
    ax.set_ylim(0, top * 1.25)  # headroom for the legend and the day's label
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontproperties(font)
    ax.grid(axis="y", color="#E5E5E5", zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    ax.set_title(f"{TREND_TITLE}（截至 {day:%Y-%m-%d}）", fontproperties=font, fontsize=13)
    ax.set_xlabel(TREND_XLABEL, fontproperties=font)
    ax.set_ylabel(TREND_YLABEL, fontproperties=font)
    # Legend in the upper left, away from the highlighted bar on the right.
    ax.legend(
        [Patch(color=BAR_COLOR), Line2D([], [], color=MEAN_COLOR, linewidth=2)],
        [TREND_BARS_LABEL, TREND_MEAN_LABEL],
        loc="upper left",
        prop=font,
        frameon=False,
        ncols=2,
    )
    fig.tight_layout()

    def write(handle: BinaryIO) -> None:
        # No "Software" entry (it names the matplotlib version) keeps the bytes stable.
        fig.savefig(handle, format="png", dpi=TREND_DPI, metadata={"Software": None})

    try:
        return _write_png(path, write)
    finally:
        fig.clear()


def render_word_cloud(frequencies: Mapping[str, int], path: Path) -> Path:
    """A Chinese word cloud of ``frequencies`` (word -> count), white background.

    Words with a count of zero or less are left out; with none left the image is a
    small placeholder saying EMPTY_CLOUD_TEXT, since wordcloud cannot draw nothing.
    The layout is seeded, so the same mapping always gives the same PNG, whatever
    its order. Returns ``path``.
    """
    words = {str(w): float(n) for w, n in frequencies.items() if n and n > 0 and str(w).strip()}
    if not words:
        image = _placeholder_image(EMPTY_CLOUD_TEXT)
    else:
        from wordcloud import WordCloud

        # wordcloud places words in the order of a stable sort by count; fixing the
        # order of equal counts makes the layout independent of the mapping's order.
        ordered = dict(sorted(words.items(), key=lambda item: (-item[1], item[0])))
        cloud = WordCloud(
            font_path=str(chinese_font_path()),
            width=CLOUD_SIZE_PX[0],
            height=CLOUD_SIZE_PX[1],
            background_color="white",
            random_state=CLOUD_RANDOM_STATE,
            max_words=CLOUD_MAX_WORDS,
            prefer_horizontal=1.0,  # sideways Chinese reads badly
            color_func=_rank_colors(ordered),
            margin=10,
            # Without a cap wordcloud first lays out a trial cloud to find one: twice the time.
            max_font_size=CLOUD_MAX_FONT_PX,
        )
        image = cloud.generate_from_frequencies(ordered).to_image()

    return _write_png(path, lambda handle: image.save(handle, format="PNG", optimize=False))


def _rank_colors(ordered: Mapping[str, float]) -> Callable[..., str]:
    # By rank, so the leading words (the big ones, which touch) all differ in colour.
    colors = {word: CLOUD_PALETTE[rank % len(CLOUD_PALETTE)] for rank, word in enumerate(ordered)}
    return lambda word, *args, **kwargs: colors.get(word, CLOUD_PALETTE[-1])


def _placeholder_image(text: str):
    from PIL import Image, ImageDraw, ImageFont

    width, height = EMPTY_CLOUD_SIZE_PX
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(chinese_font_path()), 40)
    draw.text((width / 2, height / 2), text, fill="#888888", font=font, anchor="mm")
    return image


# --- the daily step ------------------------------------------------------------------------------



def _known_day_counts(con, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Papers per day from ``first`` to ``last``; days never fetched are absent (unknown, not zero)."""
    return con.execute(
        """SELECT f.day, coalesce(p.papers, 0)::INTEGER AS papers
           FROM (SELECT DISTINCT day FROM raw_responses WHERE day BETWEEN ? AND ?
                 UNION SELECT DISTINCT day FROM papers WHERE day BETWEEN ? AND ?) f
           LEFT JOIN (SELECT day, count(*) AS papers FROM papers WHERE day BETWEEN ? AND ? GROUP BY day) p
           USING (day) ORDER BY f.day""",
        [first, last] * 3,
    ).df()


def _word_cloud_frequencies(rows: list[tuple[str, str, int]]) -> dict[str, int]:
    """The day's Chinese keyword counts, or its English ones when nothing was translated."""
    chinese = {k: n for lang, k, n in rows if lang == "zh"}
    return chinese or {k: n for lang, k, n in rows if lang == "en"}


def chart_days(warehouse: wh.Warehouse, days: Sequence[dt.date], layout: DataLayout) -> dict[dt.date, dict[str, Path]]:
    with warehouse.connect() as con:
        counts = _known_day_counts(con, min(days) - dt.timedelta(days=TREND_DAYS - 1), max(days))
        keywords = con.execute(
            """SELECT day, lang, keyword, papers FROM daily_keyword_counts WHERE day IN (SELECT unnest(?))
               ORDER BY day, papers DESC, keyword""", [list(days)]).fetchall()
    keywords_of: dict[dt.date, list[tuple[str, str, int]]] = {day: [] for day in days}
    for day, lang, keyword, papers in keywords:
        keywords_of[day].append((lang, keyword, papers))
    known = pd.to_datetime(counts["day"]).dt.date
    jobs = [(day, counts[(known > day - dt.timedelta(days=TREND_DAYS)) & (known <= day)].reset_index(drop=True),
             _word_cloud_frequencies(keywords_of[day]), layout.trend_chart(day), layout.word_cloud(day))
            for day in days]
    return dict(zip(days, map_days(_chart_job, jobs)))


def _chart_job(job: tuple[dt.date, pd.DataFrame, dict[str, int], Path, Path]) -> dict[str, Path]:
    day, window, frequencies, trend_chart, word_cloud = job
    return {"trend_chart": render_trend_chart(window, day, trend_chart),
            "word_cloud": render_word_cloud(frequencies, word_cloud)}
