from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import include, path

from faceapp.middleware import login_throttled
from identity.views.errors import not_found
from identity.views import passwords
from identity.views.health import healthz
from identity.views.metrics import metrics

# Both sign-in forms count failures per account and address, and refuse (429) past the limits.
admin.site.login = login_throttled(admin.site.login)
# The admin's "Change password" is the site's own page (throttled, audited, ends a forced change).
admin.site.password_change = lambda request, extra_context=None: redirect("password-change")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),  # Prometheus, with FACEAPP_METRICS_TOKEN
    path("accounts/login/", login_throttled(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # One's own password: changed when signed in; reset (anyone: the e-mailed link is the permission).
    path("accounts/password_change/", passwords.password_change, name="password-change"),
    path("accounts/password_change/done/", passwords.password_change_done, name="password-change-done"),
    path("accounts/password_reset/", passwords.password_reset, name="password-reset"),
    path("accounts/password_reset/done/", passwords.password_reset_sent, name="password-reset-sent"),
    path("accounts/reset/<uidb64>/<token>/", passwords.password_reset_confirm, name="password-reset-confirm"),
    path("accounts/reset/done/", passwords.password_reset_complete, name="password-reset-complete"),
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
