"""The app's users (admins): the list with a form to add one; each user's page to set their role,
deactivate them, give them a new password and manage their API tokens (a new password or key
is shown once). Everyone's own profile: the time zone their pages use."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from faceapp.shown_once import secret_keep, secret_take
from identity.forms import ApiTokenForm, ProfileForm, UserCreateForm, UserRoleForm, posted
from identity.models import ApiToken
from identity.roles import ADMIN, VIEWER, role_of, role_required
from identity.selectors import users_with_roles
from identity.services import accounts
from identity.views.refusals import refused

PASSWORD_KEY, TOKEN_KEY = "users-new-password", "users-new-token"


def _get_user(user_id: int):
    return get_object_or_404(get_user_model(), pk=user_id)


@role_required(ADMIN)
def user_list(request):
    form = UserCreateForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = accounts.user_create(
                actor=request.user, username=data["username"], email=data["email"], role=data["role"],
                password=data["password"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not data["password"]:
                secret_keep(request, PASSWORD_KEY, owner=user.pk, secret=password)
            messages.success(request, f"User {user.username} created ({data['role']}).")
            return redirect("user-detail", user.pk)
    return render(request, "identity/user_list.html", {"users": users_with_roles(), "form": form})


@role_required(ADMIN)
def user_detail(request, user_id: int):
    user = _get_user(user_id)
    role = role_of(user)  # None for a deactivated user
    context = {
        "account": user,
        "role": role,
        "role_form": UserRoleForm(initial={"role": role or VIEWER}),
        "token_form": ApiTokenForm(),
        "tokens": ApiToken.objects.filter(user=user),
        "password": secret_take(request, PASSWORD_KEY, owner=user.pk),
        "token_key": secret_take(request, TOKEN_KEY, owner=user.pk),
        "password_change_due": accounts.password_change_due(user),
    }
    return render(request, "identity/user_detail.html", context)


@role_required(ADMIN)
@require_POST
def user_role(request, user_id: int):
    user = _get_user(user_id)
    form = UserRoleForm(request.POST)
    if form.is_valid():
        try:
            accounts.user_role_set(actor=request.user, user=user, role=form.cleaned_data["role"])
        except ValidationError as error:
            refused(request, error)
        else:
            messages.success(request, f"{user.username} is now {form.cleaned_data['role']}.")
    return redirect("user-detail", user.pk)


@role_required(ADMIN)
@require_POST
def user_active(request, user_id: int):
    user = _get_user(user_id)
    active = request.POST.get("active") == "1"
    try:
        accounts.user_active_set(actor=request.user, user=user, active=active)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{user.username} {'activated' if active else 'deactivated'}.")
    return redirect("user-detail", user.pk)


@role_required(ADMIN)
@require_POST
def user_password(request, user_id: int):
    user = _get_user(user_id)
    secret_keep(request, PASSWORD_KEY, owner=user.pk, secret=accounts.user_password_reset(actor=request.user, user=user))
    messages.success(request, f"{user.username} has a new password: give it to them now.")
    return redirect("user-detail", user.pk)


@role_required(ADMIN)
@require_POST
def user_token_create(request, user_id: int):
    user = _get_user(user_id)
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        token, key = accounts.api_token_create(user=user, name=form.cleaned_data["name"], actor=request.user)
        secret_keep(request, TOKEN_KEY, owner=user.pk, secret=key)
        messages.success(request, f"API token {token.name} created.")
    else:
        messages.error(request, "A token needs a name.")
    return redirect("user-detail", user.pk)


@role_required(ADMIN)
@require_POST
def user_token_revoke(request, user_id: int, token_id: int):
    token = get_object_or_404(_get_user(user_id).api_tokens, pk=token_id)  # the user first: see people.sample_delete
    accounts.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"API token {token.name} revoked: it stops working now.")
    return redirect("user-detail", user_id)


@role_required(VIEWER)
def profile(request):
    form = ProfileForm(posted(request)[0], site_zone=settings.TIME_ZONE,
                       initial={"time_zone": accounts.user_time_zone(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            accounts.user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved: your pages now show times in "
                             f"{form.cleaned_data['time_zone'] or 'the site zone'}.")
            return redirect("profile")
    context = {"form": form, "role": role_of(request.user), "site_zone": settings.TIME_ZONE}
    return render(request, "identity/profile.html", context)
