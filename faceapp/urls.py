from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from faceapp.middleware import login_throttled
from identity.views.errors import not_found
from identity.views.health import healthz

# Both sign-in forms count failures per account and address, and refuse (429) past the limits.
admin.site.login = login_throttled(admin.site.login)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", login_throttled(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("attendance.api_urls")),
    path("api/", include("identity.api.urls")),
    path("integrations/", include("integrations.urls")),
    path("audit/", include("audit.urls")),
    path("people/import/", include("imports.urls")),
    path("", include("attendance.urls")),
    path("", include("identity.urls")),
]

handler404 = not_found  # JSON under /api/, the site's page elsewhere
