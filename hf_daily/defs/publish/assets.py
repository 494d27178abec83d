from collections.abc import Callable

import dagster as dg

from hf_daily.channels import git_repo
from hf_daily.defs.metadata import days_label
from hf_daily.defs.partitions import daily_asset, partition_days
from hf_daily.defs.resources import GitPublishResource, StorageResource

NOT_CONFIGURED = "not configured: set HF_DAILY_PUBLISH_REPO (or the publish resource's repo) to publish"


def branch_metadata(prefix: str, report: git_repo.BranchReport) -> dict:
    return {
        f"{prefix}branch": report.branch,
        f"{prefix}commit": report.head or "",
        f"{prefix}commits_made": len(report.commits),
        f"{prefix}day_commits": dg.MetadataValue.json({day.isoformat(): sha for day, sha in report.commits.items()}),
        f"{prefix}pushed": report.pushed > 0,
        f"{prefix}commits_pushed": report.pushed,
        f"{prefix}working_copy": dg.MetadataValue.path(str(report.working_copy)),
    }


def published(publish: GitPublishResource, run: Callable[[git_repo.GitTarget], git_repo.PublishReport]) -> dict:
    """A publishing asset's metadata: not configured (nothing run), or what ``run`` committed and pushed to the
    resource's target; its failure as the asset's, with the remote's answer and the fix."""
    target = publish.target()
    if target is None:
        return {"status": NOT_CONFIGURED, "pushed": False}
    try:
        report = run(target)
    except git_repo.PublishError as error:
        raise dg.Failure(description=str(error)) from None
    metadata = {"status": "published", "remote": report.remote, **branch_metadata("", report.issues)}
    if report.site is not None:
        metadata |= branch_metadata("site_", report.site)
    return metadata


@daily_asset(
    group_name="publish",
    deps=["newsletter_issue", "narration_script", "spoken_briefing", "poster", "html_issue"], kinds={"git"},
    description="The day's issue, charts, audio, poster and site page committed (one commit a day) to a git "
                "repository with a README index, and pushed; the site to its own branch when one is set.",
)
def git_publish(context: dg.AssetExecutionContext, storage: StorageResource,
                publish: GitPublishResource) -> dg.MaterializeResult:
    days = partition_days(context)
    return dg.MaterializeResult(metadata={"days": days_label(days), **published(
        publish, lambda target: git_repo.publish_days(storage.warehouse(), days, storage.layout, target))})
