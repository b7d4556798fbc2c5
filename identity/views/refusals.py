"""A service's refusal (a ValidationError), or a worker's silence, said to the user: one wording for
every page."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError

from identity.services.worker_jobs import JobRefused

NO_WORKER_ANSWER = "No worker answered in time: try again in a moment."


def refusal_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def refused(request, error: ValidationError) -> None:
    """The refusal, shown on the next page as an error message."""
    messages.error(request, refusal_text(error))


def worker_answer(form, ask: Callable[[], dict | None]) -> dict | None:
    """The answer of `ask()` (a worker job submitted and waited for), or None with the reason
    there is none on the form: refused (rate, broker) or no answer in time."""
    try:
        answer = ask()
    except JobRefused as refused:
        form.add_error(None, str(refused))
        return None
    if answer is None:
        form.add_error(None, NO_WORKER_ANSWER)
    return answer
