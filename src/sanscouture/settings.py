"""One settings module, driven by environment variables (see docs/environment.md)."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SANSCOUTURE_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("SANSCOUTURE_DEBUG", "") == "1"
PRODUCTION = os.environ.get("SANSCOUTURE_PRODUCTION", "") == "1"

_secret = os.environ.get("SECRET_KEY", "")
if not _secret:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY doit être défini en production (SANSCOUTURE_PRODUCTION=1).")
    # Local/embedded default: a per-installation key kept in the data folder, never in the repository.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        from django.core.management.utils import get_random_secret_key

        _key_file.write_text(get_random_secret_key())
        _key_file.chmod(0o600)
    _secret = _key_file.read_text().strip()
SECRET_KEY = _secret

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "widget_tweaks",
    "dsfr",
    "ninja",  # Swagger UI from our static files (no CDN, no inline script: CSP)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "sanscouture.territories",
    "sanscouture.bodies",
    "sanscouture.accounts",
    "sanscouture.notifications",
    "sanscouture.webhooks",
    "sanscouture.competences",
    "sanscouture.catalogue",
    "sanscouture.journeys",
    "sanscouture.cases",
    "sanscouture.impacts",
    "sanscouture.contracts",
    "sanscouture.network",
    "sanscouture.shadowing",
    "sanscouture.gatherings",
    "sanscouture.open311",
    "sanscouture.opendata",
    "sanscouture.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sanscouture.accounts.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "sanscouture.accounts.middleware.SessionLifetimeMiddleware",
    "sanscouture.web.middleware.EdgeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "sanscouture.urls"
WSGI_APPLICATION = "sanscouture.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sanscouture.web.context_processors.site",
            ],
            "builtins": ["sanscouture.french"],  # `|pluriel`: French plurals, in every template
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'sanscouture.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; synchronous=FULL: an acknowledged commit survives a
        # power cut too; IMMEDIATE avoids lock upgrades failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sanscouture.accounts.oidc.ProConnectBackend",
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "cases:tasks"  # agents land on their tasks
LOGOUT_REDIRECT_URL = "competences:qui"

LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Agents' sessions (docs/adr/007-agent-authentication.md): idle and absolute timeouts in seconds.
SANSCOUTURE_SESSION_IDLE = int(os.environ.get("SANSCOUTURE_SESSION_IDLE", str(30 * 60)))
SANSCOUTURE_SESSION_ABSOLUTE = int(os.environ.get("SANSCOUTURE_SESSION_ABSOLUTE", str(12 * 3600)))
SESSION_COOKIE_AGE = SANSCOUTURE_SESSION_ABSOLUTE
# Failed logins (password or code): lock after this many within the window, per identifier and per IP address.
SANSCOUTURE_LOGIN_MAX_FAILURES = int(os.environ.get("SANSCOUTURE_LOGIN_MAX_FAILURES", "5"))
SANSCOUTURE_LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("SANSCOUTURE_LOGIN_MAX_FAILURES_PER_IP", "5"))
SANSCOUTURE_LOGIN_WINDOW = int(os.environ.get("SANSCOUTURE_LOGIN_WINDOW", str(15 * 60)))
SANSCOUTURE_LOGIN_PENDING = 300  # seconds between the password and the code
OTP_TOTP_ISSUER = "Sans Couture"
# Staff never read an agent's TOTP secret or QR code in the admin (and a missing device is a 403, not a 500).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# ProConnect (OpenID Connect, mozilla-django-oidc): enabled when the issuer, client id and secret are set.
# The endpoints default to ProConnect's layout under the issuer (…/authorize, /token, /userinfo, /jwks).
OIDC_OP_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", f"{OIDC_OP_ISSUER}/authorize")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", f"{OIDC_OP_ISSUER}/token")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", f"{OIDC_OP_ISSUER}/userinfo")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_ENDPOINT", f"{OIDC_OP_ISSUER}/jwks")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email given_name usual_name siret")
OIDC_ACR_VALUES = os.environ.get("OIDC_ACR_VALUES", "")  # e.g. "eidas2": required `acr` of the ID token
OIDC_ENABLED = bool(OIDC_OP_ISSUER and OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET)
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
LOGIN_REDIRECT_URL_FAILURE = "web:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Application logs never carry personal data: only codes, counts and durations. Every record, tracebacks included,
# passes the masking filter on the one handler (docs/adr/014): Django's own loggers lose their default handlers
# (the console handler of DEBUG, and the error e-mails to ADMINS, whose tracebacks would go out unmasked).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact": {"()": "sanscouture.logsafe.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}

# Background tasks: django-tasks with its database backend (same database, no broker); `sanscouture serve`
# starts the worker (`sanscouture notifications travailler`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail through Django's e-mail layer (anymail-ready: only EMAIL_BACKEND changes). The default writes each
# message to a file under the data folder: never to the console, whose output ends in logs.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", DATA_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sans Couture <ne-pas-repondre@sanscouture.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails and printed by `demo`: the address agents use to reach this installation. Unset, it is the
# address `sanscouture serve` last served on (written to DATA_DIR/adresse-serveur), so links follow its real port.
SERVED_ADDRESS_FILE = DATA_DIR / "adresse-serveur"
SANSCOUTURE_BASE_URL = (
    os.environ.get("SANSCOUTURE_BASE_URL")
    or (SERVED_ADDRESS_FILE.read_text().strip() if SERVED_ADDRESS_FILE.is_file() else "")
    or "http://127.0.0.1:8000"
)
# A claimed e-mail whose worker died is sent again after this many seconds (keep it above EMAIL_TIMEOUT).
SANSCOUTURE_OUTBOX_LEASE = int(os.environ.get("SANSCOUTURE_OUTBOX_LEASE", "300"))
# The worker also sweeps the outbox this often (seconds), for enqueues lost in a crash.
SANSCOUTURE_OUTBOX_SWEEP = float(os.environ.get("SANSCOUTURE_OUTBOX_SWEEP", "30"))

# Retention (docs/adr/006-notifications-outbox.md, "Retention and periodic jobs"), in days, run daily by the
# worker and by `sanscouture purger`. Defaults: démarches-simplifiées's 12 months; the CNIL's 6 to 12 months for
# access logs; 90 days for notifications and sent e-mails (addresses and bodies of messages already delivered).
SANSCOUTURE_RETENTION_CLOSED_CASES_DAYS = int(os.environ.get("SANSCOUTURE_RETENTION_CLOSED_CASES_DAYS", "365"))
SANSCOUTURE_RETENTION_ACCESS_LOG_DAYS = int(os.environ.get("SANSCOUTURE_RETENTION_ACCESS_LOG_DAYS", "365"))
SANSCOUTURE_RETENTION_NOTIFICATIONS_DAYS = int(os.environ.get("SANSCOUTURE_RETENTION_NOTIFICATIONS_DAYS", "90"))
# What a person does (declaration, messages) e-mails each body of the case at most once within this window (seconds);
# the in-app notifications say everything (docs/adr/012).
SANSCOUTURE_PERSON_EMAIL_WINDOW = int(os.environ.get("SANSCOUTURE_PERSON_EMAIL_WINDOW", "3600"))
# Agents are told of open tasks due within this many days (`sanscouture echeances`, daily).
SANSCOUTURE_DUE_SOON_DAYS = int(os.environ.get("SANSCOUTURE_DUE_SOON_DAYS", "3"))
# Periodic jobs run by the worker (`sanscouture notifications travailler`): dotted path → seconds between runs.
# Imported by name when they run, so the notifications layer never imports the layers above it.
SANSCOUTURE_PERIODIC_JOBS = {
    "sanscouture.cases.jobs.purge": 24 * 3600,
    "sanscouture.cases.jobs.due_soon": 24 * 3600,
    "sanscouture.network.jobs.ledger_sync": 3600,  # the network's ledger (also read before every figure)
    "sanscouture.cases.jobs.handovers": 3600,
    "sanscouture.impacts.jobs.remind": 24 * 3600,
    "sanscouture.gatherings.jobs.remind": 3600,
    "sanscouture.webhooks.jobs.deliver": 60,  # retries fall due between two wake-ups (docs/adr/024)
    "sanscouture.webhooks.jobs.purge": 24 * 3600,
}
# Responsabilité collective: days an affected body has to answer a notice (DT-DICT's 9 days, Code de
# l'environnement R554-22) and days before that deadline when it is reminded.
SANSCOUTURE_IMPACTS_ANSWER_DAYS = int(os.environ.get("SANSCOUTURE_IMPACTS_ANSWER_DAYS", "9"))
SANSCOUTURE_IMPACTS_REMIND_DAYS = int(os.environ.get("SANSCOUTURE_IMPACTS_REMIND_DAYS", "2"))
# A hand-over still unanswered after this many days reminds the receiving body (once); after the second number it
# expires and the task stays with the body that sent it (issue 8).
SANSCOUTURE_HANDOVER_REMIND_DAYS = int(os.environ.get("SANSCOUTURE_HANDOVER_REMIND_DAYS", "3"))
SANSCOUTURE_HANDOVER_EXPIRE_DAYS = int(os.environ.get("SANSCOUTURE_HANDOVER_EXPIRE_DAYS", "10"))

# Gatherings (issue 13): the invited agents are reminded this many days before (once).
SANSCOUTURE_GATHERINGS_REMIND_DAYS = int(os.environ.get("SANSCOUTURE_GATHERINGS_REMIND_DAYS", "2"))

# Largest request body accepted (bytes): bigger payloads get a 413 (error envelope under /api/) and change nothing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
# Multipart uploads (files) may be larger: their whole body is limited to this many bytes.
SANSCOUTURE_UPLOAD_MAX_SIZE = int(os.environ.get("SANSCOUTURE_UPLOAD_MAX_SIZE", str(50_000_000)))
# A file shared on an action sheet (IFC models included), kept in the database: at most this many bytes.
SANSCOUTURE_SHARED_FILE_MAX_SIZE = int(os.environ.get("SANSCOUTURE_SHARED_FILE_MAX_SIZE", str(20_000_000)))

# Anonymous writes (unsafe requests without an agent session or API token: declarations, the person's messages,
# login steps…) are throttled per client address and for all addresses together, within a sliding window (seconds):
# beyond, 429 with Retry-After. Defaults: a person declares once and writes a few messages; a counter shared by
# several people stays far below; a flood from one address stops at 30, from many at 1,000 per 10 minutes.
SANSCOUTURE_ANON_WRITE_WINDOW = int(os.environ.get("SANSCOUTURE_ANON_WRITE_WINDOW", "600"))
SANSCOUTURE_ANON_WRITES_PER_ADDRESS = int(os.environ.get("SANSCOUTURE_ANON_WRITES_PER_ADDRESS", "30"))
SANSCOUTURE_ANON_WRITES_GLOBAL = int(os.environ.get("SANSCOUTURE_ANON_WRITES_GLOBAL", "1000"))

# Open data (issue 15, ADR 020): who publishes the datasets in the DCAT catalogue (the instance's operator).
SANSCOUTURE_OPENDATA_PUBLISHER = os.environ.get("SANSCOUTURE_OPENDATA_PUBLISHER", "Sans Couture")

# Webhooks (issue 15, docs/adr/024-webhooks.md). Deliveries go to public HTTPS addresses only; tests and a private
# network may allow private and loopback addresses (never in production unless you mean it).
SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE = os.environ.get("SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE", "") == "1"
# Extra certificate authorities trusted for receivers (a PEM file), beside the system's.
SANSCOUTURE_WEBHOOKS_CA_FILE = os.environ.get("SANSCOUTURE_WEBHOOKS_CA_FILE") or None
SANSCOUTURE_WEBHOOKS_TIMEOUT = float(os.environ.get("SANSCOUTURE_WEBHOOKS_TIMEOUT", "10"))  # seconds per request
SANSCOUTURE_WEBHOOKS_CONCURRENCY = int(os.environ.get("SANSCOUTURE_WEBHOOKS_CONCURRENCY", "10"))  # receivers at once
SANSCOUTURE_WEBHOOKS_LEASE = int(os.environ.get("SANSCOUTURE_WEBHOOKS_LEASE", "300"))  # above 10 × the timeout
SANSCOUTURE_WEBHOOKS_BACKOFF = int(os.environ.get("SANSCOUTURE_WEBHOOKS_BACKOFF", "30"))  # first retry, doubling
SANSCOUTURE_WEBHOOKS_MAX_BACKOFF = int(os.environ.get("SANSCOUTURE_WEBHOOKS_MAX_BACKOFF", "3600"))
SANSCOUTURE_WEBHOOKS_DISABLE_AFTER = int(os.environ.get("SANSCOUTURE_WEBHOOKS_DISABLE_AFTER", str(24 * 3600)))
SANSCOUTURE_WEBHOOKS_ROTATION_GRACE = int(os.environ.get("SANSCOUTURE_WEBHOOKS_ROTATION_GRACE", str(24 * 3600)))
