"""/healthz: liveness for everyone, the checks of every part for admins.

Anonymous callers (a load balancer, a container probe) learn only that this server answers:
nothing is checked and nothing named, so the answer is immediate and says nothing about the
install. An admin, by session or API token, gets the database, the broker, the workers that
answered a ping (by name) and the model files, with 503 when one fails.
"""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings

from identity.roles import ADMIN, has_role
from identity.services.health_checks import health_report, liveness_report


def _token_user(request):
    """The user of the request's API token (the API's own authentication classes), else None."""
    for authentication in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authentication, SessionAuthentication):
            continue  # the session is request.user already
        try:
            found = authentication().authenticate(request)
        except AuthenticationFailed:
            return None  # a bad token is an anonymous caller here: liveness only
        if found is not None:
            return found[0]
    return None


def _caller_is_admin(request) -> bool:
    return has_role(request.user, ADMIN) or has_role(_token_user(request), ADMIN)


@never_cache
@require_GET
def healthz(request):
    if not _caller_is_admin(request):
        return JsonResponse(liveness_report())
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
