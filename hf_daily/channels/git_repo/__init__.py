"""The git channel: each day's issue, charts, audio, poster and site page committed to a git repository and
pushed, the way the newsletter hf-daily replaces is read (see "Publishing to git" in the README).

``git`` runs the git command line without prompts or leaked credentials, ``readme`` writes the repository's
README (the latest issue and the index of all), ``publish`` commits and pushes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hf_daily import warehouse as wh
from hf_daily.channels.git_repo.publish import (
    BranchReport,
    GitTarget,
    PublishError,
    PublishReport,
    publish,
    publish_weeks,
)
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import read_issue_summaries
from hf_daily.steps.weekly import read_weekly_summaries

__all__ = ["BranchReport", "GitTarget", "PublishError", "PublishReport", "publish", "publish_days",
           "publish_weekly_digests"]


def publish_days(warehouse: wh.Warehouse, days: Sequence[dt.date], layout: DataLayout, target: GitTarget,
                 ) -> PublishReport:
    """Publish the days' files of data/ to the target, the paper counts read from newsletter_issues."""
    summaries = {summary.day: summary for summary in read_issue_summaries(warehouse, layout)}
    return publish(days, layout, target, summaries)


def publish_weekly_digests(warehouse: wh.Warehouse, weeks: Sequence[dt.date], layout: DataLayout,
                           target: GitTarget) -> PublishReport:
    """Publish the weeks' digests (Markdown, page) and the site's shared files, one commit a week."""
    digests = [w for w in read_weekly_summaries(warehouse) if w.week in set(weeks)]
    missing = sorted(set(weeks) - {w.week for w in digests})
    if missing:
        raise PublishError(f"no weekly digest of {', '.join(d.isoformat() for d in missing)} in weekly_digests: "
                           "materialize weekly_digest first")
    summaries = {summary.day: summary for summary in read_issue_summaries(warehouse, layout)}
    return publish_weeks(digests, layout, target, summaries)
