import os

import dagster as dg

from hf_daily.channels.mail import send
from hf_daily.defs.metadata import days_label
from hf_daily.defs.partitions import daily_asset, partition_days
from hf_daily.defs.resources import MailResource, StorageResource


@daily_asset(
    group_name="delivery",
    deps=["newsletter_issue", "charts"], kinds={"email"},
    description="The day's issue mailed to each subscriber (hf-daily subscribers), once; every send in mail_sends.",
)
def mail_issue(context: dg.AssetExecutionContext, storage: StorageResource, mail: MailResource) -> dg.MaterializeResult:
    days = partition_days(context)
    if not mail.configured:
        context.log.info("mail is not configured, nothing sent: set HF_DAILY_SMTP_HOST and HF_DAILY_MAIL_FROM "
                         "(see the README's Mail section)")
        return dg.MaterializeResult(metadata={"days": days_label(days), "configured": False})
    settings = mail.settings()
    site_url = os.environ.get("HF_DAILY_SITE_URL", "")
    report = send.mail_days(
        storage.warehouse(), days, storage.layout, settings, log=context.log.info,
        web_url=lambda day: site_url and site_url.rstrip("/") + "/" + storage.layout.page(day).name,
        unsubscribe=mail.unsubscribe or None)
    for day, mid in report.uncertain:
        context.log.warning(f"{day}: uncertain whether {mid} went (a run stopped mid-send); not sent again")
    # Counts only: the subscribers' addresses are theirs, not the run log's.
    return dg.MaterializeResult(metadata={
        "days": days_label(days), "configured": True, "server": settings.where, **report.count(),
        **({"errors": "\n".join(report.errors)} if report.errors else {}),
    })
