"""Where things live under data/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def chart_dir(data_dir: Path, day: dt.date) -> Path:
    """Each day keeps its own charts: a later day never overwrites them."""
    return Path(data_dir) / "charts" / day.isoformat()


def issue_path(data_dir: Path, day: dt.date) -> Path:
    return Path(data_dir) / "issues" / f"{day.isoformat()}.md"


def page_name(day: dt.date) -> str:
    return f"{day.isoformat()}.html"
