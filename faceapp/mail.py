"""Whether the site sends e-mail. With FACEAPP_EMAIL_HOST set, settings.py picks Django's SMTP
backend; without it (the embedded default) attendance.mail.LogBackend writes each message to the
log and nothing leaves the machine. Attendance's digests and notices and the password reset ask
this one question."""

from django.conf import settings


def email_enabled() -> bool:
    """Whether mail is sent (an SMTP host is set) rather than written to the log."""
    return bool(settings.FACEAPP_EMAIL_HOST)
