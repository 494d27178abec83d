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
