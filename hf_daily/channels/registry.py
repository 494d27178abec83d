"""The delivery channels an issue links to."""

from __future__ import annotations

import datetime as dt


def delivery_links(day: dt.date) -> list[tuple[str, str]]:
    """The day's other formats, relative to the Markdown issue (written by the delivery assets)."""
    d = day.isoformat()
    return [("网页版", f"../site/{d}.html"), ("语音播报（MP3）", f"../audio/{d}.mp3"), ("文字稿", f"../audio/{d}.txt"),
            ("海报", f"../posters/{d}.png"), ("Atom 订阅", "../site/feed.xml")]
