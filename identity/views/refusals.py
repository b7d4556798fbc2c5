"""A service's refusal (a ValidationError), said to the user: one wording for every page."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def refusal_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def refused(request, error: ValidationError) -> None:
    """The refusal, shown on the next page as an error message."""
    messages.error(request, refusal_text(error))
