"""Login throttling: failed sign-ins are counted per account and per client address in Redis
(the fixed-window limiter of identity/services/ratelimit.py, shared by every web process).
Past either limit a sign-in is refused until the window ends, before any password is checked:
a flood then costs a Redis round trip, not a password hash, and does not starve other pages.

The password change and reset pages share these counts (faceapp.middleware.throttled_like_sign_in):
a wrong current password, a reset asked for, a reset link that does not work count as failures.

Every failure and refusal is an audit line on the `faceapp.audit` logger (never the password);
a lockout is also an entry of the audit log that admins read in the app (one per lockout, not
one per failure: a flood writes no rows).
"""

import logging

from django.conf import settings

from audit.models import AuditEntry
from audit.services import audit_record
from identity.services.ratelimit import login_account_key, login_address_key, rate_limit_hit, rate_limit_peek

# Security events on one logger of their own, so that they can be routed apart.
audit = logging.getLogger("faceapp.audit")


def _limits(*, username: str | None, address: str) -> list[tuple[str, str, int]]:
    """(what, key, most failures in a window) for the account (unless None: no account named)
    and for the address."""
    limits = [("address", login_address_key(address=address), settings.FACEAPP_LOGIN_FAILURES_PER_ADDRESS)]
    if username is not None:
        limits.insert(0, ("account", login_account_key(username=username), settings.FACEAPP_LOGIN_FAILURES_PER_ACCOUNT))
    return limits


def login_retry_after(*, username: str | None, address: str) -> int:
    """Seconds before this account, from this address, may try to sign in again; 0: now."""
    waits = {what: rate_limit_peek(key=key, limit=limit).retry_after for what, key, limit in _limits(
        username=username, address=address)}  # fmt: skip
    wait = max(waits.values())
    if wait:
        locked = ", ".join(what for what, seconds in waits.items() if seconds)
        audit.warning("sign-in refused for %r from %s: too many failures (%s), %d s left",
                      username, address, locked, wait)  # fmt: skip
    return wait


def login_failure_record(*, username: str | None, address: str) -> None:
    """Count one failed sign-in against the account and the address."""
    window = settings.FACEAPP_LOGIN_LOCKOUT_MINUTES * 60
    for what, key, limit in _limits(username=username, address=address):
        decision = rate_limit_hit(key=key, limit=limit, window_seconds=window)
        if decision.count == limit:
            audit.warning("sign-in locked by %s for %r from %s: %d failures", what, username, address, limit)
            target = f"account {username}" if what == "account" else f"address {address}"
            detail = f"{limit} failed sign-ins in {window // 60} min; the last for {username!r} from {address}"
            audit_record(actor=None, action=AuditEntry.SIGN_IN_LOCKED, target=target, detail=detail)
    audit.info("sign-in failed for %r from %s", username, address)
