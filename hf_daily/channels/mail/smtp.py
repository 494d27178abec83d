"""The SMTP server: its settings, and one connection that sends mail after mail and reconnects when dropped.

The login (HF_DAILY_SMTP_USER, HF_DAILY_SMTP_PASSWORD) is read from the environment when the connection
opens, and only then: it is in no setting, no record and no log. A password is never sent over an
unencrypted connection, except to a server on this machine (a local relay or a test server).
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

from hf_daily.core.display import plain_text

SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
USER_VARIABLE = "HF_DAILY_SMTP_USER"
PASSWORD_VARIABLE = "HF_DAILY_SMTP_PASSWORD"


class MailConfigError(ValueError):
    """The mail settings cannot work as given."""


class MailServerError(RuntimeError):
    """The SMTP server could not be reached, or refused us as a whole (login, sender): no mail can go."""


class RecipientError(RuntimeError):
    """The server refused this one mail (a recipient, its size, its content): the others can still go."""


class ConnectionLost(RuntimeError):
    """The connection dropped while sending: this mail did not go; a new connection may work."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    mail_from: str
    port: int = 0  # 0: the standard port of the security
    security: str = "starttls"
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise MailConfigError(f"HF_DAILY_SMTP_SECURITY={self.security!r}: use one of {', '.join(SECURITIES)} "
                                  "(starttls on port 587, ssl on 465, none only for a server on this machine)")
        if not self.host.strip():
            raise MailConfigError("no SMTP server: set HF_DAILY_SMTP_HOST (e.g. smtp.example.org)")
        if not 0 <= int(self.port) < 65536:
            raise MailConfigError(f"HF_DAILY_SMTP_PORT={self.port}: a port is 1..65535 (0: the standard one)")
        self.sender  # checked now, not at the first mail

    @property
    def address(self) -> tuple[str, int]:
        return self.host.strip(), int(self.port) or DEFAULT_PORTS[self.security]

    @property
    def where(self) -> str:
        host, port = self.address
        return f"{host}:{port} ({self.security})"

    @property
    def sender(self) -> Address:
        """HF_DAILY_MAIL_FROM as an address: 'news@example.org' or '每日论文 <news@example.org>'."""
        text = plain_text(self.mail_from)
        if not text:
            raise MailConfigError("no sender address: set HF_DAILY_MAIL_FROM, e.g. 'Daily Papers <news@example.org>'")
        name, _, spec = text.rpartition("<")
        spec = spec.rstrip(">").strip() if "<" in text else text
        try:
            address = Address(display_name=name.strip().strip('"'), addr_spec=spec)
        except Exception as exc:  # email's parser raises several kinds
            raise MailConfigError(f"HF_DAILY_MAIL_FROM={self.mail_from!r} is not an address ({exc}): "
                                  "use 'news@example.org' or 'Name <news@example.org>'") from exc
        if not address.username or not address.domain:
            raise MailConfigError(f"HF_DAILY_MAIL_FROM={self.mail_from!r} lacks a user or domain: "
                                  "use 'news@example.org' or 'Name <news@example.org>'")
        return address


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Mailer:
    """One SMTP connection, opened at the first mail and again after a drop; a context manager."""

    def __init__(self, settings: SmtpSettings, environ: Mapping[str, str] = os.environ,
                 ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self._environ = environ
        self._ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        host, port = self.settings.address
        security, timeout = self.settings.security, self.settings.timeout_s
        # The system's trusted certificates, and the host name checked.
        context = self._ssl_context or (ssl.create_default_context() if security != "none" else None)
        try:
            if security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            try:
                smtp.ehlo()
                if security == "starttls":
                    smtp.starttls(context=context)
                    smtp.ehlo()
                self._login(smtp, host)
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise MailServerError(
                f"The SMTP server {self.settings.where} refused the login of {USER_VARIABLE} "
                f"({exc.smtp_code} {_text(exc.smtp_error)}): check {USER_VARIABLE} and {PASSWORD_VARIABLE}.") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailServerError(
                f"The SMTP server {self.settings.where} does not support what the settings ask ({exc}): "
                "set HF_DAILY_SMTP_SECURITY to what it offers (starttls, ssl or none), or unset the login "
                "if it takes none.") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailServerError(
                f"Cannot reach the SMTP server {self.settings.where}: {exc or type(exc).__name__}. "
                "Check that it runs and HF_DAILY_SMTP_HOST, HF_DAILY_SMTP_PORT and HF_DAILY_SMTP_SECURITY name it "
                "(ssl for port 465, starttls for 587; for a local test server: "
                "python -m aiosmtpd -n -l 127.0.0.1:8025 with HF_DAILY_SMTP_SECURITY=none).") from exc
        return smtp

    def _login(self, smtp: smtplib.SMTP, host: str) -> None:
        # Read here, at the connection, and kept nowhere.
        user = self._environ.get(USER_VARIABLE, "")
        if not user:
            return
        password = self._environ.get(PASSWORD_VARIABLE)
        if password is None:
            raise MailServerError(f"{USER_VARIABLE} is set but {PASSWORD_VARIABLE} is not: set both, or neither "
                                  "for a server that takes mail without a login.")
        if self.settings.security == "none" and not _is_loopback(host):
            raise MailServerError(f"Refusing to send the SMTP password unencrypted to {self.settings.where}: "
                                  "set HF_DAILY_SMTP_SECURITY=starttls or ssl.")
        smtp.login(user, password)

    def _alive(self) -> bool:
        """Whether the open connection still answers: a server drops idle connections, or hangs up after
        refusing a mail (421); checked before a mail, when nothing of it has gone yet, so a new connection
        can take it without any risk of sending it twice."""
        try:
            return self._smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def send(self, message: EmailMessage, to: str) -> None:
        """Send one mail to one address; RecipientError, ConnectionLost or MailServerError when it does not go."""
        if self._smtp is not None and not self._alive():
            self.close()
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = exc.recipients.get(to, (0, b"refused"))
            raise RecipientError(f"{code} {_text(reason)}") from exc
        except smtplib.SMTPSenderRefused as exc:
            # The sender goes in every mail: when it is refused, none of them can go.
            self.close()
            raise MailServerError(
                f"The SMTP server {self.settings.where} refused the sender {exc.sender} ({exc.smtp_code} "
                f"{_text(exc.smtp_error)}): set HF_DAILY_MAIL_FROM to an address the server lets this login send as."
            ) from exc
        except smtplib.SMTPDataError as exc:
            raise RecipientError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # Without the server's answer to the data the mail counts as not sent (RFC 5321: the client
            # must assume it was not delivered), so it is tried again: rarely, the reader gets it twice.
            self._smtp.close()
            self._smtp = None
            raise ConnectionLost(f"the connection to {self.settings.where} dropped: {exc or type(exc).__name__}") from exc
        except smtplib.SMTPResponseException as exc:
            raise RecipientError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        if refused:
            code, reason = refused.get(to, (0, b"refused"))
            raise RecipientError(f"{code} {_text(reason)}")


def _text(reply: bytes | str) -> str:
    return plain_text(reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)
