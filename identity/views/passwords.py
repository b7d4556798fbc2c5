"""A user's own password, with Django's password views in the site's layout: changed from the old
one (forced at the first sign-in after an admin set it: faceapp.middleware sends them here), or
reset from a link e-mailed where e-mail is configured; where it is not, the reset page says to ask
an admin (Users → "Give a new password"). Each is throttled like sign-in, on the same counts (a
wrong current password, a reset asked for, a reset link that does not work are failures), and
each change or link sent is audited (identity.services.accounts)."""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy

from faceapp.mail import email_enabled
from faceapp.middleware import throttled_like_sign_in
from identity.roles import VIEWER, role_required
from identity.services import accounts


def _own_username(request) -> str:
    return request.user.get_username()


def _posted_email(request) -> str:
    return request.POST.get("email", "")


def _no_account(request) -> None:
    return None  # a reset link names its account only once its token is checked: the address alone counts


def _form_field_refused(field: str):
    def refused(response) -> bool:
        form = (getattr(response, "context_data", None) or {}).get("form")
        return form is not None and field in form.errors

    return refused


def _every_request(response) -> bool:
    return True  # each one may send a mail


def _link_refused(response) -> bool:
    return (getattr(response, "context_data", None) or {}).get("validlink") is False


class _PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("password-change-done")

    def form_valid(self, form):
        accounts.own_password_change(user=form.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)  # this session goes on; the user's others end
        return HttpResponseRedirect(self.get_success_url())


class _PasswordReset(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-sent")

    def form_valid(self, form):
        response = super().form_valid(form)  # a link to each active account with that address
        for user in form.get_users(form.cleaned_data["email"]):
            accounts.password_reset_sent(user=user, email=user.email)
        return response


class _PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form):
        accounts.own_password_reset(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]  # the link works once
        return HttpResponseRedirect(self.get_success_url())


@role_required(VIEWER)
@throttled_like_sign_in(account=_own_username, failed=_form_field_refused("old_password"))
def password_change(request):
    forced = accounts.password_change_due(request.user)
    return _PasswordChange.as_view(extra_context={"forced": forced})(request)


@role_required(VIEWER)
def password_change_done(request):
    return render(request, "accounts/password_change_done.html")


_password_reset_mail = throttled_like_sign_in(account=_posted_email, failed=_every_request)(_PasswordReset.as_view())


def password_reset(request):
    if not email_enabled():
        return render(request, "accounts/password_reset_off.html")
    return _password_reset_mail(request)


def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html")


password_reset_confirm = throttled_like_sign_in(account=_no_account, failed=_link_refused, methods=("GET", "POST"))(
    _PasswordResetConfirm.as_view()
)


def password_reset_complete(request):
    return render(request, "accounts/password_reset_complete.html")
