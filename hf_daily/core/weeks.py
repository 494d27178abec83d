"""Weeks as every layer names them: Monday to Sunday, named by the Monday, and by the ISO week in files."""

from __future__ import annotations

import datetime as dt
import re

# week_name's shape, for files named by a week (2025-W52.json, 2025-W52.html).
WEEK_NAME = re.compile(r"\d{4}-W\d{2}")


def week_name(monday: dt.date) -> str:
    """A week's name in file names and headings, the ISO week: 2025-W52."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weeks_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays of every week that holds a day of start..end."""
    weeks, monday = [], monday_of(start)
    while monday <= end:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks
