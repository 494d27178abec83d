"""The mail channel's readers and the record of every mail sent to them (the tables subscribers and mail_sends).

A subscriber is keyed by their address, lower-cased. Removing one keeps their row (inactive) and their send
history, so that adding them back never resends a day they already had; ``forget`` deletes both instead.

mail_sends holds one row per day and subscriber, claimed ('sending') before the mail goes to the server
and settled ('sent', 'failed') after: see hf_daily.channels.mail.send for why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address

import duckdb

from hf_daily.core.display import plain_text
from hf_daily.warehouse.store import Warehouse, WarehouseError

SENDING, SENT, FAILED, SKIPPED = "sending", "sent", "failed", "skipped"
STATUSES = (SENDING, SENT, FAILED, SKIPPED)


class SubscriberError(ValueError):
    """A subscriber's address or settings cannot be used."""


@dataclass(frozen=True)
class Subscriber:
    email: str
    name: str | None = None
    include_fields: tuple[str, ...] = ()
    exclude_fields: tuple[str, ...] = ()
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    active: bool = True
    added_at: dt.datetime | None = None

    @property
    def filtered(self) -> bool:
        return any((self.include_fields, self.exclude_fields, self.include_keywords, self.exclude_keywords))


@dataclass(frozen=True)
class MailSend:
    day: dt.date
    email: str
    status: str
    message_id: str | None = None
    papers: int = 0
    error: str | None = None
    attempts: int = 0
    sent_at: dt.datetime | None = None


_ASCII_ADDRESS = re.compile(r"^[\x21-\x7e]+@[A-Za-z0-9.-]+$")


def normalize_email(text: str) -> str:
    """The address as the key of its subscriber: trimmed, lower-cased, checked to be one plain address."""
    address = str(text or "").strip().lower()
    if not _ASCII_ADDRESS.match(address):
        raise SubscriberError(f"{text!r} is not an e-mail address like reader@example.org (ASCII, one '@', "
                              "no spaces or display name): give the bare address")
    try:
        parsed = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise SubscriberError(f"{text!r} is not a valid e-mail address ({exc}): give the bare address, "
                              "e.g. reader@example.org") from exc
    if not parsed.domain or not parsed.username:
        raise SubscriberError(f"{text!r} lacks a user or a domain: give the whole address, e.g. reader@example.org")
    return parsed.addr_spec


def _words(values: Iterable[str]) -> tuple[str, ...]:
    """Filter entries as typed, one per item or comma-separated (',' or '，'), blanks and repeats dropped."""
    out: list[str] = []
    for value in values:
        for word in re.split(r"[,，]", value):
            word = plain_text(word)
            if word and word not in out:
                out.append(word)
    return tuple(out)


def make_subscriber(email: str, name: str | None = None, *, include_fields: Sequence[str] = (),
                    exclude_fields: Sequence[str] = (), include_keywords: Sequence[str] = (),
                    exclude_keywords: Sequence[str] = ()) -> Subscriber:
    """A subscriber from what a person typed: the address checked, the lists split and cleaned."""
    return Subscriber(normalize_email(email), plain_text(name) or None, _words(include_fields),
                      _words(exclude_fields), _words(include_keywords), _words(exclude_keywords))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def add_subscriber(warehouse: Warehouse, subscriber: Subscriber, now: dt.datetime | None = None) -> bool:
    """Add a subscriber, or replace an existing one's name and filters and make them active again.
    True when the address is new."""
    now = now or _now()
    s = subscriber
    with warehouse.connect() as con, _transaction(con):
        row = con.execute("SELECT added_at FROM subscribers WHERE email = ?", [s.email]).fetchone()
        con.execute("DELETE FROM subscribers WHERE email = ?", [s.email])
        con.execute("INSERT INTO subscribers VALUES (?, ?, ?, ?, ?, ?, true, ?, ?)",
                    [s.email, s.name, list(s.include_fields), list(s.exclude_fields), list(s.include_keywords),
                     list(s.exclude_keywords), row[0] if row else now, now])
    return row is None


def remove_subscriber(warehouse: Warehouse, email: str, *, forget: bool = False,
                      now: dt.datetime | None = None) -> bool:
    """Stop mailing a subscriber (their row kept, inactive), or with ``forget`` delete them and their send
    history. False when there was no such subscriber."""
    email = normalize_email(email)
    with warehouse.connect() as con, _transaction(con):
        found = con.execute("SELECT count(*) FROM subscribers WHERE email = ?", [email]).fetchone()[0] > 0
        if forget:
            con.execute("DELETE FROM mail_sends WHERE email = ?", [email])
            con.execute("DELETE FROM subscribers WHERE email = ?", [email])
        else:
            con.execute("UPDATE subscribers SET active = false, updated_at = ? WHERE email = ?",
                        [now or _now(), email])
    return found


def list_subscribers(warehouse: Warehouse, *, active_only: bool = True) -> list[Subscriber]:
    """The subscribers in the order they were added."""
    with warehouse.connect() as con:
        return read_subscribers(con, active_only=active_only)


def read_subscribers(con: duckdb.DuckDBPyConnection, *, active_only: bool = True) -> list[Subscriber]:
    """list_subscribers on an open connection."""
    rows = con.execute(
        "SELECT email, name, include_fields, exclude_fields, include_keywords, exclude_keywords, active, added_at "
        f"FROM subscribers {'WHERE active' if active_only else ''} ORDER BY added_at, email").fetchall()
    return [Subscriber(email, name, tuple(inf or ()), tuple(exf or ()), tuple(ink or ()), tuple(exk or ()),
                       active, added)
            for email, name, inf, exf, ink, exk, active, added in rows]


# --- the record of sends -------------------------------------------------------------------------

_SEND_COLUMNS = "day, email, status, message_id, papers, error, attempts, sent_at"


def mail_sends(con: duckdb.DuckDBPyConnection, days: Sequence[dt.date]) -> dict[tuple[dt.date, str], MailSend]:
    """The recorded sends of the days, by (day, address)."""
    rows = con.execute(f"SELECT {_SEND_COLUMNS} FROM mail_sends WHERE day IN (SELECT unnest(?))",
                       [list(days)]).fetchall()
    return {(row[0], row[1]): MailSend(*row) for row in rows}


def _write(con, send: MailSend, now: dt.datetime) -> None:
    con.execute("DELETE FROM mail_sends WHERE day = ? AND email = ?", [send.day, send.email])
    con.execute(f"INSERT INTO mail_sends ({_SEND_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [send.day, send.email, send.status, send.message_id, send.papers, send.error, send.attempts,
                 send.sent_at, now])


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection):
    con.begin()
    try:
        yield
        con.commit()
    except BaseException:
        con.rollback()
        raise


def claim_send(con: duckdb.DuckDBPyConnection, day: dt.date, email: str, message_id: str, papers: int,
               now: dt.datetime | None = None) -> MailSend | None:
    """Mark the day's mail to ``email`` as being sent, committed, unless it was sent or is being sent (None
    then). The claim keeps the Message-ID of an earlier failed attempt, so a retry is the same mail."""
    with _transaction(con):
        row = con.execute("SELECT status, message_id, attempts FROM mail_sends WHERE day = ? AND email = ?",
                          [day, email]).fetchone()
        if row and row[0] in (SENT, SENDING):
            return None
        claim = MailSend(day, email, SENDING, (row[1] if row else None) or message_id, papers,
                         None, (row[2] if row else 0) + 1)
        _write(con, claim, now or _now())
    return claim


def record_send(con: duckdb.DuckDBPyConnection, send: MailSend, now: dt.datetime | None = None) -> None:
    """Store the outcome of a send (or a skip), committed, replacing the day's row for that subscriber."""
    if send.status not in STATUSES:
        raise WarehouseError(f"mail_sends: unknown status {send.status!r}; one of {STATUSES}")
    with _transaction(con):
        _write(con, send, now or _now())


def release_send(warehouse: Warehouse, day: dt.date, email: str, now: dt.datetime | None = None) -> str | None:
    """Let the next run send the day's mail to ``email`` again, whatever its status (it becomes 'failed').
    Returns the status it had, None when there was no row."""
    email = normalize_email(email)
    with warehouse.connect() as con:
        row = con.execute("SELECT status FROM mail_sends WHERE day = ? AND email = ?", [day, email]).fetchone()
        if row:
            con.execute("UPDATE mail_sends SET status = ?, error = ?, updated_at = ? WHERE day = ? AND email = ?",
                        [FAILED, f"released by hand (was {row[0]})", now or _now(), day, email])
    return row[0] if row else None
