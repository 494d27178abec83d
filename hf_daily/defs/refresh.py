"""Re-fetching days while their upvotes and Hugging Face's ai_* fields still change.

Upvotes keep growing for a week or two after a paper's day, and HF fills in ai_summary,
ai_keywords and links late. Each evening this schedule re-runs the daily job with
``refresh: true`` for the day before (day+1) and the day a week before (day+7): each
re-fetch that differs is kept as a new snapshot beside the earlier ones (nothing is
overwritten, see ``warehouse.store_fetch``), and the papers, the issue and the analytics
views move to the latest values.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from hf_daily.core.constants import SETTLED_AFTER_DAYS
from hf_daily.defs import jobs

# Days after a paper's day on which it is fetched again.
REFRESH_AFTER_DAYS = (1, SETTLED_AFTER_DAYS)
# Late in the UTC day: day+1's refresh then sees most of a day of votes after the morning issue (06:30).
REFRESH_CRON = "0 22 * * *"


def refresh_run_config() -> dict:
    return {"ops": {"raw_responses": {"config": {"refresh": True}}}}


def refresh_requests(today: dt.date) -> list[dg.RunRequest]:
    """One run per day to refresh on ``today``, keyed so that a re-evaluated tick launches nothing twice."""
    requests = []
    for offset in REFRESH_AFTER_DAYS:
        day = (today - dt.timedelta(days=offset)).isoformat()
        requests.append(dg.RunRequest(
            run_key=f"refresh-{day}-day+{offset}",
            partition_key=day,
            run_config=refresh_run_config(),
            tags={"hf_daily/refresh": f"day+{offset}"},
        ))
    return requests


@dg.schedule(
    name="refresh_schedule",
    cron_schedule=REFRESH_CRON,
    execution_timezone="UTC",
    job=jobs.daily_issue_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Each evening, fetch again the days of 1 and 7 days ago (refresh: true), keeping every snapshot.",
)
def refresh_schedule(context: dg.ScheduleEvaluationContext):
    # The tick's own time, not the clock: a late or re-run tick still refreshes the days it was for.
    when = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
    return refresh_requests(when.astimezone(dt.timezone.utc).date())
