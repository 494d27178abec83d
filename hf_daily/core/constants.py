"""Facts about Daily Papers and the newsletter that several layers rely on, each stated once."""

from __future__ import annotations

import datetime as dt

# Daily Papers opened on this day: asking for an earlier one is a mistake, not a quiet day.
# Days are UTC, like the API's `date` parameter.
FIRST_DAY = dt.date(2023, 5, 4)

# The API's default page size. The newsletter hf-daily replaces asked for one page and never paged,
# so an archive file holding exactly this many papers may have lost the rest.
PAGE_SIZE = 50

# The trend chart, and the section about it, cover this many days up to the issue's own.
TREND_DAYS = 30

# The weekly digest shows this many of the week's papers, by their latest upvotes.
WEEKLY_TOP_PAPERS = 10

# Upvotes keep growing for a week or so; the refresh schedule fetches each day again 7 days on, and a weekly
# digest whose days were all fetched at least this long after them is settled.
SETTLED_AFTER_DAYS = 7
