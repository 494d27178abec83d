"""Every path under data/, in one place.

Each day keeps its own files (a later day never overwrites an earlier one's), named by the day:
``issues/2025-12-26.md``, ``charts/2025-12-26/trend.png``, ``site/2025-12-26.html``, ...
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from hf_daily.core.weeks import week_name

DEFAULT_DATA_DIR = "data"
# A name that becomes a file name hf-daily makes (a field's slug, a feed filter's name): ASCII, stable, no
# separators or dots, so it can never leave its folder.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FIELD_FEED_PREFIX = "field-"


def _slug(name: str) -> str:
    if not isinstance(name, str) or not SLUG.fullmatch(name):
        raise ValueError(f"{name!r} is not a file name hf-daily makes: lower-case ASCII letters and digits joined by '-'")
    return name


@dataclass(frozen=True)
class DataLayout:
    """The data folder: the warehouse, the published files of each day, the models and Dagster's run history."""

    root: Path

    def __init__(self, root: str | os.PathLike = DEFAULT_DATA_DIR) -> None:
        object.__setattr__(self, "root", Path(root))

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def models(self) -> Path:
        """The assembled offline model and prepared (converted) models: hf_daily.translate keeps them here."""
        return self.root / "models"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def issues(self) -> Path:
        return self.root / "issues"

    def issue(self, day: dt.date) -> Path:
        return self.issues / f"{day.isoformat()}.md"

    def charts(self, day: dt.date) -> Path:
        return self.root / "charts" / day.isoformat()

    def trend_chart(self, day: dt.date) -> Path:
        return self.charts(day) / "trend.png"

    def word_cloud(self, day: dt.date) -> Path:
        return self.charts(day) / "wordcloud.png"

    @property
    def site(self) -> Path:
        """The static site: publish data/ without warehouse.duckdb and models/, and the pages' links hold."""
        return self.root / "site"

    def page(self, day: dt.date) -> Path:
        return self.site / f"{day.isoformat()}.html"

    @property
    def index(self) -> Path:
        return self.site / "index.html"

    @property
    def feed(self) -> Path:
        return self.site / "feed.xml"

    @property
    def site_feeds(self) -> Path:
        """The topic feeds: one per research field and one per configured keyword filter; hf-daily's own folder."""
        return self.site / "feeds"

    def field_feed(self, slug: str) -> Path:
        return self.site_feeds / f"{FIELD_FEED_PREFIX}{_slug(slug)}.xml"

    def filter_feed(self, name: str) -> Path:
        """A filter's feed; no filter name starts with field- (hf_daily.channels.topic_feeds checks)."""
        return self.site_feeds / f"{_slug(name)}.xml"

    @property
    def weekly(self) -> Path:
        return self.root / "weekly"

    def weekly_issue(self, monday: dt.date) -> Path:
        """The weekly digest in Markdown, named by its ISO week: weekly/2025-W52.md."""
        return self.weekly / f"{week_name(monday)}.md"

    def weekly_page(self, monday: dt.date) -> Path:
        """Beside the daily pages (site/2025-W52.html), so the site's relative links hold alike."""
        return self.site / f"{week_name(monday)}.html"

    @property
    def weekly_feed(self) -> Path:
        return self.site / "weekly.xml"

    def audio(self, day: dt.date) -> Path:
        return self.root / "audio" / f"{day.isoformat()}.mp3"

    def transcript(self, day: dt.date) -> Path:
        """Beside the MP3, so the transcript is published with the audio."""
        return self.root / "audio" / f"{day.isoformat()}.txt"

    def poster(self, day: dt.date) -> Path:
        return self.root / "posters" / f"{day.isoformat()}.png"

    def link(self, path: Path, start: Path) -> str:
        """``path`` relative to the folder ``start``, with / separators: how published files link each other."""
        return os.path.relpath(path, start).replace(os.sep, "/")

    @property
    def publish(self) -> Path:
        """The git channel's working copies, one per branch it publishes: hf-daily's own, never edited by hand."""
        return self.root / "publish"

    @property
    def publish_issues(self) -> Path:
        """The working copy of the issues' branch: the README, issues/, charts/, audio/, posters/ and site/."""
        return self.publish / "issues"

    @property
    def publish_site(self) -> Path:
        """The working copy of the static site's branch, for pages hosting."""
        return self.publish / "site"
