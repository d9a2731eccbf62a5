"""E-mail delivery over SMTP: implicit TLS, STARTTLS or (only if configured so) plaintext.

TLS, once asked for, is never given up: if STARTTLS is configured and the server does not offer
it, nothing is sent, not even the credentials, and the error is permanent. Certificates are
checked against the host name with the system's trust store (or ``ssl_context``).

Each alert is one multipart/alternative message (text, then HTML with all text escaped). Its
Message-ID is derived from the alert id, so a resend after a crash carries the same Message-ID
and a follow-up ("story.updated") refers to its first alert with In-Reply-To and References.

smtplib is blocking and runs in a worker thread; ``timeout`` bounds each network operation.
SMTP 4xx answers and network failures are temporary; 5xx answers, refused credentials and a
missing STARTTLS are permanent. The password is never logged nor put in an error.
This module must not store, schedule or retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import smtplib
import ssl
from datetime import UTC
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from typing import Literal, get_args

from ..errors import AlertError
from . import Alert
from .render import html_body, one_line, shorten, subject, text_body

log = logging.getLogger(__name__)

TLSMode = Literal["implicit", "starttls", "none"]
FALLBACK_DOMAIN = "feed-ingester.invalid"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def message_id(alert_id: str, domain: str) -> str:
    """The Message-ID of an alert: the same for the same alert id, whoever computes it."""
    digest = hashlib.sha256(alert_id.encode()).hexdigest()[:32]
    return f"<{digest}.alert@{domain}>"


def sender_domain(sender: str) -> str:
    """The domain of the From address, the usual right-hand side of a Message-ID."""
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    return domain if at and _DOMAIN.fullmatch(domain) else FALLBACK_DOMAIN


class EmailNotifier:
    """Sends alerts by mail to fixed recipients. ``password`` is the value, not a variable name."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        tls: TLSMode = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str,
        recipients: tuple[str, ...] | list[str],
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        message_id_domain: str | None = None,
    ) -> None:
        if tls not in get_args(TLSMode):
            raise AlertError(name, f"unknown tls mode {tls!r}", permanent=True)
        if not recipients:
            raise AlertError(name, "no recipients", permanent=True)
        self.name = name
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self._password = password
        self.sender = sender
        self.recipients = tuple(recipients)
        self.timeout = timeout
        self.domain = message_id_domain or sender_domain(sender)
        self._context = ssl_context or ssl.create_default_context()
        self.where = f"{host}:{port}"

    def __repr__(self) -> str:
        return f"<EmailNotifier {self.name!r} {self.tls} {self.where}>"

    async def aclose(self) -> None:
        """Nothing to release: each alert has its own SMTP session."""

    def message(self, alert: Alert) -> EmailMessage:
        """The message for ``alert``: the same alert gets the same headers and text each time."""
        msg = EmailMessage(policy=SMTP_POLICY)
        try:
            msg["Subject"] = subject(alert)
            msg["From"] = self.sender
            msg["To"] = ", ".join(self.recipients)
            msg["Date"] = format_datetime(alert.created.astimezone(UTC))
            msg["Message-ID"] = message_id(alert.id, self.domain)
            if alert.thread_of:
                first = self._reference(alert.thread_of)
                msg["In-Reply-To"] = first
                msg["References"] = first
            msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        except ValueError as exc:  # a line break or bad address that came in through the config
            problem = f"cannot build the message: {exc}"
            raise AlertError(self.name, problem, permanent=True) from None
        msg.set_content(text_body(alert))
        msg.add_alternative(html_body(alert), subtype="html")
        return msg

    def _reference(self, thread_of: str) -> str:
        """A Message-ID as given (``<...>``), or the Message-ID of the alert with that id."""
        thread_of = one_line(thread_of)
        if thread_of.startswith("<") and thread_of.endswith(">") and " " not in thread_of:
            return thread_of
        return message_id(thread_of, self.domain)

    async def send(self, alert: Alert) -> None:
        """Deliver ``alert`` or raise ``AlertError`` (``permanent`` when a retry cannot help)."""
        message = self.message(alert)
        await asyncio.to_thread(self._deliver, message)
        log.debug("email %s: alert %s delivered via %s", self.name, alert.id, self.where)

    def _deliver(self, message: EmailMessage) -> None:
        try:
            smtp = self._connect()
        except smtplib.SMTPResponseException as exc:  # a greeting other than 220
            raise self._answer_error(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._network_error(exc) from None
        try:
            self._secure(smtp)
            if self.username:
                smtp.login(self.username, self._password or "")
            refused = smtp.send_message(message, self.sender, list(self.recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._refused(exc.recipients) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise self._answer_error(exc.smtp_code, exc.smtp_error, "login refused: ") from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. AUTH not offered
            raise AlertError(self.name, f"{self.where}: {exc}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            raise self._answer_error(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            smtp.close()  # broken or timed out: a QUIT would only wait again
            raise self._network_error(exc) from None
        finally:
            _close(smtp)
        if refused:
            raise self._refused(refused)

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "implicit":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _secure(self, smtp: smtplib.SMTP) -> None:
        if self.tls != "starttls":
            return
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise AlertError(
                self.name,
                f"{self.where} does not offer STARTTLS; nothing was sent in plaintext",
                permanent=True,
            )
        smtp.starttls(context=self._context)
        smtp.ehlo()

    def _answer_error(self, code: int, text: bytes | str, prefix: str = "") -> AlertError:
        problem = f"{prefix}{self.where} answered {code} {_text(text)}".rstrip()
        return AlertError(self.name, problem, permanent=code >= 500)

    def _network_error(self, exc: BaseException) -> AlertError:
        reason = str(exc) or type(exc).__name__
        return AlertError(self.name, f"cannot deliver via {self.where}: {reason}")

    def _refused(self, refused: dict[str, tuple[int, bytes]]) -> AlertError:
        """Some or all recipients refused; permanent only if every refusal is."""
        shown = "; ".join(f"{to} ({code} {_text(text)})" for to, (code, text) in refused.items())
        total = len(self.recipients)
        problem = f"{self.where} refused {shown}; delivered to {total - len(refused)} of {total}"
        permanent = all(code >= 500 for code, _ in refused.values())
        return AlertError(self.name, problem, permanent=permanent)


def _text(answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return shorten(one_line(text), 200)


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely, but a QUIT that fails after delivery must not turn it into a failure."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
