"""The refresh schedule: which days it re-fetches, with what config, and that Dagster accepts it."""

import datetime as dt

import dagster as dg

from hf_daily.defs import jobs
from hf_daily.defs.refresh import REFRESH_AFTER_DAYS, refresh_schedule
from hf_daily.definitions import defs

TICK = dt.datetime(2025, 12, 30, 22, 0, tzinfo=dt.timezone.utc)


def evaluate(when):
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        return list(refresh_schedule(context))


def test_it_refreshes_the_days_one_and_seven_days_back():
    requests = evaluate(TICK)
    assert REFRESH_AFTER_DAYS == (1, 7)
    assert [r.partition_key for r in requests] == ["2025-12-29", "2025-12-23"]
    assert [r.tags["hf_daily/refresh"] for r in requests] == ["day+1", "day+7"]
    for request in requests:
        assert request.run_config == {"ops": {"raw_responses": {"config": {"refresh": True}}}}


def test_a_tick_is_keyed_by_its_days_so_a_retried_tick_launches_nothing_new():
    assert [r.run_key for r in evaluate(TICK)] == [r.run_key for r in evaluate(TICK + dt.timedelta(minutes=5))]
    assert {r.run_key for r in evaluate(TICK)}.isdisjoint(r.run_key for r in evaluate(TICK + dt.timedelta(days=1)))


def test_the_tick_time_is_read_in_utc():
    # 07:00 on the 31st in Shanghai is still the 30th in UTC.
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert [r.partition_key for r in evaluate(dt.datetime(2025, 12, 31, 7, 0, tzinfo=shanghai))] == [
        "2025-12-29", "2025-12-23"]


def test_the_schedule_targets_the_daily_job_and_its_run_config_is_valid():
    assert refresh_schedule.job_name == jobs.daily_issue_job.name
    assert refresh_schedule.cron_schedule == "0 22 * * *"
    job = defs.resolve_job_def("daily_issue_job")
    [request] = evaluate(TICK)[:1]
    assert dg.validate_run_config(job, request.run_config)["ops"]["raw_responses"]["config"] == {"refresh": True}
    # With the schedule added, the definitions still load and resolve the partitioned job.
    with_refresh = dg.Definitions.merge(defs, dg.Definitions(schedules=[refresh_schedule]))
    assert with_refresh.resolve_schedule_def("refresh_schedule").job_name == "daily_issue_job"
    assert job.partitions_def is not None
    assert request.partition_key in job.partitions_def.get_partition_keys(
        current_time=TICK.replace(tzinfo=None))
