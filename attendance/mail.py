"""Attendance's e-mail (daily digests, absence notices to contacts) through Django's mail API.

With FACEAPP_EMAIL_HOST set, settings.py picks Django's SMTP backend; without it (the embedded
default) `LogBackend`: nothing leaves the machine and each message is written to the log
(faceapp.mail.email_enabled says which).
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class LogBackend(BaseEmailBackend):
    """E-mail off: each message goes to the log (logger attendance.mail), none to a server."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            logger.info("e-mail is off (FACEAPP_EMAIL_HOST is not set): this message went to the log, not to "
                        "%s\nSubject: %s\n\n%s", ", ".join(message.recipients()), message.subject, message.body)
        return len(email_messages)


def mail_send(*, subject: str, body: str, to: list[str], html: str | None = None) -> None:
    """One message from FACEAPP_EMAIL_FROM; raises when the server refuses it or cannot be reached."""
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
