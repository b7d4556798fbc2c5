"""ASGI entry point: Django for http, Channels consumers for websockets.

In front of both (faceapp/middleware.py): request bodies over FACEAPP_MAX_REQUEST_MB are
refused while they arrive (inside Daphne too), and websockets only open from this site's own
origin or CSRF_TRUSTED_ORIGINS.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceapp.settings")
# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from attendance.routing import websocket_urlpatterns as attendance_sockets  # noqa: E402
from faceapp.middleware import BodySizeLimit, WebsocketOriginCheck, daphne_body_cap_install  # noqa: E402
from identity.routing import websocket_urlpatterns as identity_sockets  # noqa: E402

websocket_urlpatterns = identity_sockets + attendance_sockets

daphne_body_cap_install()
application = BodySizeLimit(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": WebsocketOriginCheck(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
