"""A real SMTP server on 127.0.0.1 (aiosmtpd, a free port) that keeps every message it accepts,
or refuses them while `refusing` is set; `smtp_settings` points Django's SMTP backend at it as
FACEAPP_EMAIL_HOST and FACEAPP_EMAIL_PORT would."""

import email
import email.policy
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.streams import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part and part.get_content_type() == "text/html" else None


class SmtpServer:
    def __init__(self):
        self.received: list[Received] = []
        self.refusing = False
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusing:
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[Received]:
        return [message for message in list(self.received) if address in message.recipients]


def smtp_settings(settings, server: SmtpServer) -> None:
    settings.FACEAPP_EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "register@school.example"
