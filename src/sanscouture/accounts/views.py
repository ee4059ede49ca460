"""Agent login (password, then TOTP code or enrolment), logout, invitations, a body's agents and API tokens."""

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanscouture.bodies.models import Body
from sanscouture.errors import DomainError

from . import selectors, services
from .access import PENDING, agent_required, is_agent_verified
from .errors import AccountError
from .forms import AcceptInvitationForm, ApiTokenForm, CodeForm, InviteForm, LoginForm, RoleForm
from .models import ApiToken, Membership

LOGIN_TITLE = "Connexion à l'espace agent"
INVALID_LOGIN = "Identifiant ou mot de passe incorrect. Les deux champs respectent les majuscules."
INVALID_CODE = "Code incorrect ou expiré. Saisissez le code affiché en ce moment par votre application."
LOCKED = (
    "Trop de tentatives de connexion échouées. Par sécurité, la connexion est bloquée pendant 15 minutes : "
    "réessayez plus tard ou contactez l'administrateur de votre structure."
)
PENDING_EXPIRED = "Votre connexion a expiré avant la saisie du code. Recommencez."
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _ip(request: HttpRequest) -> str | None:
    """The client address as seen by the server (behind a proxy, set it to pass the client address)."""
    return request.META.get("REMOTE_ADDR") or None


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _login_page(request: HttpRequest, form: LoginForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {"form": form, "title": LOGIN_TITLE, "oidc": settings.OIDC_ENABLED, **extra}
    context.setdefault("next", _safe_next(request, request.POST.get("next") or request.GET.get("next")))
    return render(request, "accounts/login.html", context, status=status)


def _locked(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {**context, "locked": LOCKED}, status=429)


def _start_pending(request: HttpRequest, user: AbstractBaseUser, *, next_url: str, backend: str) -> HttpResponse:
    """Password checked: remember who, for 5 minutes, and ask for the code (or the enrolment)."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "at": timezone.now().timestamp(),
        "next": next_url,
        "backend": backend,
    }
    if selectors.totp_device_confirmed(user) is None:
        return redirect("accounts:enrol")
    return redirect("accounts:code")


def _pending_user(request: HttpRequest) -> AbstractBaseUser | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if timezone.now().timestamp() - pending.get("at", 0) > settings.SANSCOUTURE_LOGIN_PENDING:
        del request.session[PENDING]
        return None
    return get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()


def _complete_login(request: HttpRequest, user: AbstractBaseUser, device: TOTPDevice) -> HttpResponse:
    pending = request.session.pop(PENDING)
    services.login_failures_clear(username=user.get_username())
    auth_login(request, user, backend=pending.get("backend") or MODEL_BACKEND)  # new session id
    otp_login(request, device)
    return redirect(pending.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL))


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """First step: identifier and password. Rate-limited per identifier and per IP address."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if is_agent_verified(request):
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request, data=request.POST or None)
    if request.method != "POST":
        return _login_page(request, form)
    username = str(request.POST.get("username", ""))[:150]
    if selectors.login_is_locked(username=username, ip=_ip(request)):
        return _locked(request, "accounts/login.html", {"form": form, "title": LOGIN_TITLE, "next": next_url})
    if not form.is_valid():
        return _login_page(request, form, status=400)
    user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
    if user is None or getattr(user, "api_token", None) is not None:
        services.login_failure_record(username=username, ip=_ip(request))
        if selectors.login_is_locked(username=username, ip=_ip(request)):
            return _locked(request, "accounts/login.html", {"form": form, "title": LOGIN_TITLE, "next": next_url})
        form.add_error(None, INVALID_LOGIN)
        return _login_page(request, form)
    return _start_pending(request, user, next_url=next_url, backend=user.backend)


def _code_step(
    request: HttpRequest, template: str, context: dict[str, Any], user: AbstractBaseUser, check: Any
) -> HttpResponse:
    """POST of a code (login or enrolment): locked, wrong (counted as a failure) or right (logged in)."""
    form = CodeForm(request.POST or None)
    context = {**context, "form": form}
    if request.method != "POST":
        return render(request, template, context)
    if selectors.login_is_locked(username=user.get_username(), ip=_ip(request)):
        return _locked(request, template, context)
    device = check(form.cleaned_data["code"]) if form.is_valid() else None
    if device is not None:
        return _complete_login(request, user, device)
    services.login_failure_record(username=user.get_username(), ip=_ip(request))
    if selectors.login_is_locked(username=user.get_username(), ip=_ip(request)):
        return _locked(request, template, context)
    if form.is_valid():
        form.add_error("code", INVALID_CODE)
    return render(request, template, context, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Second step: the TOTP code of the enrolled device."""
    user = _pending_user(request)
    if user is None:
        messages.warning(request, PENDING_EXPIRED)
        return redirect("web:login")
    device = selectors.totp_device_confirmed(user)
    if device is None:
        return redirect("accounts:enrol")
    return _code_step(
        request,
        "accounts/code.html",
        {"title": "Code de vérification"},
        user,
        lambda code: device if device.verify_token(code) else None,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First login: pair an authenticator app (QR code and secret), then confirm with a code."""
    user = _pending_user(request)
    if user is None:
        messages.warning(request, PENDING_EXPIRED)
        return redirect("web:login")
    if selectors.totp_device_confirmed(user) is not None:
        return redirect("accounts:code")
    device = services.totp_enrolment_device(user=user)
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    context = {
        "title": "Activer la double authentification",
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#161616", light="#ffffff"),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return _code_step(
        request,
        "accounts/enrol.html",
        context,
        user,
        lambda code: device if services.totp_enrolment_confirm(device=device, code=code) else None,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """Ends the session on the server (the session row is deleted) and in the browser. Only a POST logs out (a
    link or a prefetch must not): a GET shows the button, not a blank 405."""
    if request.method == "GET":
        return render(request, "accounts/logout.html", {"title": "Se déconnecter"})
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: choose an identifier and a password, then enrol the second factor."""
    invite = selectors.invitation_from_token(token)
    if invite is None:
        return render(
            request,
            "404.html",
            {
                "title": "Invitation introuvable",
                "message": "Ce lien d'invitation est inconnu, déjà utilisé ou expiré. "
                "Demandez une nouvelle invitation à l'administrateur de votre structure.",
            },
            status=404,
        )
    form = AcceptInvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    invitation=invite,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                )
            except AccountError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if request.user.is_authenticated:
                    auth_logout(request)
                return _start_pending(request, user, next_url="", backend=MODEL_BACKEND)
    return render(
        request,
        "accounts/invitation.html",
        {"form": form, "invitation": invite, "title": f"Rejoindre {invite.body.name}"},
        status=status,
    )


# --- A body's administration: its agents and its API tokens ------------------------------------------------


def _administered(request: HttpRequest, body_id: int) -> Body:
    """The body, when the agent administers it; 404 otherwise (another body's page does not exist for them)."""
    return get_object_or_404(Body, pk=body_id, active=True, memberships__user=request.user, memberships__role="admin")


@agent_required
@require_http_methods(["GET", "POST"])
def body_agents(request: HttpRequest, body_id: int) -> HttpResponse:
    """List the body's agents, invite someone (POST)."""
    body = _administered(request, body_id)
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.invitation_create(
                    body=body, email=form.cleaned_data["email"], role=form.cleaned_data["role"], invited_by=request.user
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Invitation envoyée : le lien est valable 7 jours et ne sert qu'une fois.")
                return redirect("accounts:body_agents", body_id=body.pk)
    members = [(m, RoleForm(initial={"role": m.role}, prefix=f"m{m.pk}")) for m in selectors.members_of(body)]
    return render(
        request,
        "accounts/body_agents.html",
        {
            "body": body,
            "form": form,
            "members": members,
            "invitations": selectors.invitations_pending(body),
            "title": f"Agents de {body.name}",
        },
        status=status,
    )


def _membership(body: Body, membership_id: int) -> Membership:
    return get_object_or_404(selectors.members_of(body), pk=membership_id)


@agent_required
@require_POST
def member_role(request: HttpRequest, body_id: int, membership_id: int) -> HttpResponse:
    body = _administered(request, body_id)
    membership = _membership(body, membership_id)
    form = RoleForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, "Rôle inconnu.")
    else:
        try:
            services.membership_role_change(membership=membership, role=form.cleaned_data["role"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Rôle de {membership.user.get_username()} : {membership.get_role_display()}.")
    return redirect("accounts:body_agents", body_id=body.pk)


@agent_required
@require_POST
def body_validation(request: HttpRequest, body_id: int) -> HttpResponse:
    """Turn on or off the validation of the agents' declared actions (administrators only)."""
    body = _administered(request, body_id)
    required = request.POST.get("validation") != "non"
    services.body_actions_validation_set(body=body, required=required, actor=request.user)
    messages.success(
        request,
        "Les actions des agents attendent votre validation."
        if required
        else "Les agents publient leurs actions sans attendre de validation.",
    )
    return redirect("accounts:body_agents", body_id=body.pk)


@agent_required
@require_POST
def member_deactivate(request: HttpRequest, body_id: int, membership_id: int) -> HttpResponse:
    body = _administered(request, body_id)
    membership = _membership(body, membership_id)
    name = membership.user.get_username()
    try:
        services.membership_deactivate(membership=membership, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{name} ne fait plus partie de {body.name} ; ses sessions sont terminées.")
    return redirect("accounts:body_agents", body_id=body.pk)


@agent_required
@require_http_methods(["GET", "POST"])
def body_tokens(request: HttpRequest, body_id: int) -> HttpResponse:
    """The body's API tokens; POST creates one and shows its value once."""
    body = _administered(request, body_id)
    form = ApiTokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            token, created = services.api_token_create(
                body=body, name=form.cleaned_data["name"], role=form.cleaned_data["role"], created_by=request.user
            )
            status = 201
            form = ApiTokenForm()
    return render(
        request,
        "accounts/body_tokens.html",
        {
            "body": body,
            "form": form,
            "created": created,
            "tokens": selectors.api_tokens_of(body),
            "title": f"Jetons d'API de {body.name}",
        },
        status=status,
    )


@agent_required
@require_POST
def body_token_revoke(request: HttpRequest, body_id: int, token_id: int) -> HttpResponse:
    body = _administered(request, body_id)
    token = get_object_or_404(ApiToken, pk=token_id, body=body)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Jeton « {token.name} » révoqué : il ne donne plus accès à l'API.")
    return redirect("accounts:body_tokens", body_id=body.pk)
