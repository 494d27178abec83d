"""The daily step: each day's mail to each active subscriber, sent at most once and every send recorded.

How a send is claimed, and why. Before a mail goes to the server its mail_sends row is written as
'sending' (with its Message-ID) in a committed transaction; after the server's answer it becomes 'sent'
or 'failed'. A run sends only rows that are absent, 'failed' or 'skipped':

- 'sent' is never sent again, so a re-run (or a backfill over the same days) mails no one twice.
- 'failed' (the server refused the recipient or the data, or the connection dropped before the server
  answered) is sent again by the next run, with the same Message-ID.
- 'sending' found by a run means an earlier run stopped (crashed, was killed) between handing the mail
  to the server and recording its answer: whether it went is unknown. It is not sent again on its own,
  since the alternative, resending, would mail the reader twice whenever the first one did go. The run
  reports it ('uncertain', with the day and the Message-ID to look for in the server's log), and
  `hf-daily subscribers resend EMAIL DAY` lets the next run send it. Choosing at most once over at least
  once: a newsletter missed once is a smaller harm than a reader mailed twice by an automated job.

The run holds one warehouse connection while it sends (opening one per mail costs more than the
mail), and DuckDB lets one process write at a time, so two runs cannot both claim the same row; the
claim and the outcome are each committed before the next step, so a crash loses at most that one answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address

from hf_daily.channels.mail.audience import papers_for
from hf_daily.channels.mail.render import build_message, chart_images, message_id
from hf_daily.channels.mail.smtp import ConnectionLost, Mailer, MailServerError, RecipientError, SmtpSettings
from hf_daily.core.display import plain_text
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import build_issues
from hf_daily.steps.selection import read_topics
from hf_daily.warehouse import Warehouse
from hf_daily.warehouse import subscribers as subs


@dataclass
class MailReport:
    """What a run did, counted (no addresses: they are the readers' own)."""
    subscribers: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    already_sent: int = 0
    uncertain: list[tuple[dt.date, str]] = field(default_factory=list)  # (day, Message-ID) of stale claims
    errors: list[str] = field(default_factory=list)  # the distinct reasons of this run's failures

    def count(self) -> dict[str, int]:
        return {"subscribers": self.subscribers, "sent": self.sent, "skipped": self.skipped, "failed": self.failed,
                "already_sent": self.already_sent, "uncertain": len(self.uncertain)}


_ADDRESS = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")


def mask_addresses(text: str) -> str:
    """Server answers quote the recipient ('550 <bob@example.org>: no such user'): b***@example.org in reports."""
    return _ADDRESS.sub(r"\1***@\2", text)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def mail_days(warehouse: Warehouse, days: Sequence[dt.date], layout: DataLayout, settings: SmtpSettings, *,
              web_url: Callable[[dt.date], str | None] = lambda day: None, unsubscribe: str | None = None,
              environ: Mapping[str, str] = os.environ, now: Callable[[], dt.datetime] = _now,
              log: Callable[[str], None] = lambda line: None, mailer: Mailer | None = None) -> MailReport:
    """Mail each day's issue to every active subscriber it has papers for, once.

    One refused recipient or dropped connection fails that mail only (recorded, retried next run). A
    server that cannot be reached, or refuses the login or sender, fails the rest of the run's mails
    (each recorded as failed) and then raises MailServerError naming the server and the fix.
    """
    sender = settings.sender
    issues = build_issues(warehouse, days, layout)
    report = MailReport()
    down: MailServerError | None = None

    def fail(day, email, mid, papers, attempts, reason):
        subs.record_send(con, subs.MailSend(day, email, subs.FAILED, mid, papers, reason, attempts),
                         _naive(now()))
        report.failed += 1
        if mask_addresses(reason) not in report.errors:
            report.errors.append(mask_addresses(reason))

    with warehouse.connect() as con, mailer or Mailer(settings, environ) as connection:
        readers = subs.read_subscribers(con)
        report.subscribers = len(readers)
        if not readers:
            log("no active subscribers: add one with `hf-daily subscribers add EMAIL`")
            return report
        topics = read_topics(con, days)
        recorded = subs.mail_sends(con, days)
        for day in days:
            issue = issues[day]
            images = chart_images(layout, day, sender.domain)
            for reader in readers:
                previous = recorded.get((day, reader.email))
                if previous and previous.status == subs.SENT:
                    report.already_sent += 1
                    continue
                if previous and previous.status == subs.SENDING:
                    report.uncertain.append((day, previous.message_id or ""))
                    log(f"{day}: a mail ({previous.message_id}) was handed to the server by a run that stopped "
                        "before recording the answer; not sent again (see the server's log; "
                        "`hf-daily subscribers resend EMAIL DAY` sends it on the next run)")
                    continue
                chosen = papers_for(reader, issue.papers, topics[day])
                if not chosen:
                    if not previous or previous.status != subs.SKIPPED:
                        subs.record_send(con, subs.MailSend(day, reader.email, subs.SKIPPED),
                                         _naive(now()))
                    report.skipped += 1
                    continue
                # A retry keeps the first attempt's Message-ID (claim_send keeps it too).
                mid = (previous.message_id if previous else None) or message_id(day, reader.email, sender.domain)
                if down is not None:
                    fail(day, reader.email, mid, len(chosen), (previous.attempts if previous else 0) + 1, str(down))
                    continue
                # Built before the claim: a mail that cannot be built leaves no 'sending' row behind.
                message = build_message(
                    dataclasses.replace(issue, papers=chosen), sender=sender,
                    to=Address(display_name=plain_text(reader.name), addr_spec=reader.email),
                    message_id=mid, date=now(), images=images, total=len(issue.papers),
                    web_url=web_url(day), unsubscribe=unsubscribe)
                claim = subs.claim_send(con, day, reader.email, mid, len(chosen), _naive(now()))
                if claim is None:  # claimed since we read the records: another run has it
                    report.already_sent += 1
                    continue
                try:
                    connection.send(message, reader.email)
                except (RecipientError, ConnectionLost) as exc:
                    fail(day, reader.email, claim.message_id, len(chosen), claim.attempts, str(exc))
                    continue
                except MailServerError as exc:
                    down = exc
                    fail(day, reader.email, claim.message_id, len(chosen), claim.attempts, str(exc))
                    continue
                subs.record_send(con, dataclasses.replace(claim, status=subs.SENT, sent_at=_naive(now())),
                                 _naive(now()))
                report.sent += 1
    log(f"mail: {report.sent} sent, {report.skipped} skipped, {report.failed} failed, "
        f"{report.already_sent} sent before, {len(report.uncertain)} uncertain")
    if down is not None:
        raise MailServerError(f"{down} The {report.failed} mail(s) not sent are recorded as failed and go out "
                              "on the next run.") from down
    return report
