"""The delivery channels the Markdown issue links to: one line per channel.

A channel is a module of hf_daily/channels/ that renders a day's issue in one format and publishes it
under data/ (its path in DataLayout), and an asset in hf_daily/defs/delivery/ that runs it each day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hf_daily.core.layout import DataLayout


@dataclass(frozen=True)
class Channel:
    asset: str  # the asset that publishes it
    label: str  # how the issue names the link
    path: Callable[[DataLayout, dt.date], Path]


CHANNELS: tuple[Channel, ...] = (
    Channel("html_issue", "网页版", DataLayout.page),
    Channel("spoken_briefing", "语音播报（MP3）", DataLayout.audio),
    Channel("narration_script", "文字稿", DataLayout.transcript),
    Channel("poster", "海报", DataLayout.poster),
    Channel("html_issue", "Atom 订阅", lambda layout, day: layout.feed),
)


def delivery_links(layout: DataLayout, day: dt.date) -> list[tuple[str, str]]:
    """The day's other formats, relative to its Markdown issue (the delivery assets write them after it)."""
    return [(channel.label, layout.link(channel.path(layout, day), layout.issues)) for channel in CHANNELS]
