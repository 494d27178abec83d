"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd, collecting what it receives.

    with SmtpServer(refuse={"bob@example.org"}) as server:   # or the ``smtp_server`` fixture
        ...send to 127.0.0.1:server.port...
        [message] = server.messages                          # email.message.EmailMessage, policy default

``refuse`` answers 550 to RCPT TO of those addresses, ``drop`` aborts the connection when a mail to one
of those addresses has been sent, before answering it; ``logins`` makes the server offer AUTH (LOGIN,
PLAIN) over the plain connection (loopback only) and accept those user/password pairs. The port is
bound before the server starts (no free-port race).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    data: bytes
    login: str | None  # who authenticated, when the session did


@dataclass
class _Collector:
    refuse: set[str]
    drop: set[str]
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's names)
        if address.lower() in self.refuse:
            with self.lock:
                self.refused.append(address)
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.drop.intersection(a.lower() for a in envelope.rcpt_tos):
            # The connection dies before the server answers the data: the mail is lost.
            with self.lock:
                self.dropped.extend(envelope.rcpt_tos)
            server.transport.abort()
            return "421 4.3.0 gone"
        data = envelope.original_content or envelope.content
        message = email.message_from_bytes(data, policy=email.policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self.arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, data, login))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class _BoundController(Controller):
    """aiosmtpd's controller on a socket bound beforehand to an ephemeral port of 127.0.0.1."""

    def __init__(self, handler, **kwargs):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        super().__init__(handler, hostname="127.0.0.1", port=self._socket.getsockname()[1], **kwargs)

    def factory(self):
        # aiosmtpd warns at every connection that AUTH without TLS is unsafe: here it is loopback on purpose.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._socket, ssl=self.ssl_context)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), valid for a day, for TLS tests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def client_context(cert_path: Path) -> ssl.SSLContext:
    """A client's TLS context that trusts only the test certificate (and checks the host name)."""
    return ssl.create_default_context(cafile=str(cert_path))


class SmtpServer:
    def __init__(self, *, refuse: set[str] = frozenset(), drop: set[str] = frozenset(),
                 logins: dict[str, str] | None = None, tls: tuple[Path, Path] | None = None,
                 implicit_tls: bool = False):
        """``tls`` (certificate, key): offer STARTTLS and require it before anything else, or with
        ``implicit_tls`` speak TLS from the first byte (port 465 style)."""
        self._collector = _Collector({a.lower() for a in refuse}, {a.lower() for a in drop})
        self.logins = logins
        kwargs = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*map(str, tls))
            kwargs = {"ssl_context": context} if implicit_tls else {"tls_context": context, "require_starttls": True}
        if logins is not None:
            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = (isinstance(auth_data, LoginPassword)
                      and logins.get(auth_data.login.decode()) == auth_data.password.decode())
                return AuthResult(success=ok, handled=False, auth_data=auth_data)

            # AUTH only inside STARTTLS when it is offered; without TLS (loopback) it must be allowed in the clear,
            # and aiosmtpd's check does not count implicit TLS (which is encrypted from the first byte anyway).
            kwargs |= {"authenticator": authenticate, "auth_require_tls": tls is not None and not implicit_tls,
                       "auth_required": True}
        self._controller = _BoundController(self._collector, **kwargs)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def refuse(self) -> set[str]:
        """The addresses answered 550; change it between runs."""
        return self._collector.refuse

    @property
    def drop(self) -> set[str]:
        """The addresses whose mail the server loses by dropping the connection at the data; change it between runs."""
        return self._collector.drop

    @property
    def received(self) -> list[Received]:
        with self._collector.lock:
            return list(self._collector.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]

    @property
    def refused(self) -> list[str]:
        with self._collector.lock:
            return list(self._collector.refused)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` mails, waiting for them to arrive (an SMTP client returns after the server's 250,
        which aiosmtpd sends after handle_DATA: this only guards against mistakes)."""
        with self._collector.arrived:
            if not self._collector.arrived.wait_for(lambda: len(self._collector.received) >= count, timeout):
                raise AssertionError(f"expected {count} mails, got {len(self._collector.received)}")
            return list(self._collector.received[:count])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 that accepts every recipient, stopped after the test."""
    with SmtpServer() as server:
        yield server
