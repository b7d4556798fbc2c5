"""Secrets shown once (a new password, an API key, a webhook secret): kept in the server-side
session for the next page of their owner, then gone. Not in a message: message cookies are
signed, not encrypted."""


def secret_keep(request, key: str, *, owner: int, secret: str) -> None:
    request.session[key] = {"id": owner, "secret": secret}


def secret_take(request, key: str, *, owner: int) -> str | None:
    """The secret kept for `owner` (its page), once; None when there is none or it was for another."""
    shown = request.session.get(key)
    if not shown or shown.get("id") != owner:
        return None
    del request.session[key]
    return shown["secret"]
