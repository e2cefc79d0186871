"""kehu settings, driven by environment variables.

KEHU_ENV=production switches on the hardened settings (HTTPS-only cookies, HSTS, no DEBUG) and
makes start-up refuse a default secret key or demo users (see core.startup).
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from core.clientaddr import parse_trusted_proxies
from kehu.mail_settings import mail_settings

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KEHU_DATA_DIR", BASE_DIR / "data"))

KEHU_ENV = os.environ.get("KEHU_ENV", "development")
PRODUCTION = KEHU_ENV == "production"

# The development key is public on purpose; production start-up refuses it.
DEFAULT_SECRET_KEY = "kehu-development-key-not-for-production"
SECRET_KEY = os.environ.get("KEHU_SECRET_KEY", DEFAULT_SECRET_KEY)
# Off unless asked for (`make dev` does): Django's debug pages list every URL and show settings and
# local variables to whoever reaches an error.
DEBUG = os.environ.get("KEHU_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("KEHU_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("KEHU_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "core",
    "accounts",
    "audit",
    "customers",
    "work",
    "commerce",
    "interactions",
    "dataio",
    "governance",
    "segmentation",
    "insights",
    "wealth",
    "service",
    "retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "core.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.HtmxVaryMiddleware",
]

# Plain widgets are built without templates (core/forms.py): same HTML, a fraction of the time.
FORM_RENDERER = "core.forms.FastFormRenderer"

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
                "work.context_processors.notifications",
            ],
        },
    }
]

# SQLite (WAL) in the data folder unless DATABASE_URL names another database.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'kehu.sqlite3'}",
        conn_max_age=int(os.environ.get("KEHU_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections persist (KEHU_DB_CONN_MAX_AGE) as on PostgreSQL: a new SQLite connection re-reads
    # the whole schema on its first query, about 1.5 ms of every request (docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    )
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KEHU_TEST_DB_NAME") or None}
# Compiled SQL (core/compiled.py) is checked on every call against the ORM's own compilation of the
# call's query: for tests (core/testing.py turns it on for every test), never in production.
KEHU_COMPILED_VERIFY = os.environ.get("KEHU_COMPILED_VERIFY", "0") == "1"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: this many failures for one username within the window lock that account; the
# higher per-address limit locks an address (many users behind one office NAT share one address).
KEHU_LOGIN_MAX_FAILURES = int(os.environ.get("KEHU_LOGIN_MAX_FAILURES", "5"))
KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS", "50"))
KEHU_LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("KEHU_LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Addresses or networks of the reverse proxies in front of kehu (empty: clients connect directly).
# X-Forwarded-For is read only from them; login throttling and the audit trail use the client
# address this gives (core/clientaddr.py). The old hop count ("1") is refused at start-up.
KEHU_TRUSTED_PROXIES = parse_trusted_proxies(os.environ.get("KEHU_TRUSTED_PROXIES", ""))
# A customer card not verified for this many days is stale and shows on its owner's home page.
KEHU_STALE_AFTER_DAYS = int(os.environ.get("KEHU_STALE_AFTER_DAYS", "180"))
# Customer documents: size limit and accepted types.
KEHU_DOCUMENT_MAX_BYTES = int(os.environ.get("KEHU_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
KEHU_DOCUMENT_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv", "png", "jpg", "jpeg"]
KEHU_DEFAULT_CURRENCY = "CNY"
# Imports (dataio): the largest file accepted, and up to which size a file is checked and imported
# inside the request instead of by the background worker (`kehu db_worker`).
KEHU_IMPORT_MAX_BYTES = int(os.environ.get("KEHU_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
KEHU_IMPORT_INLINE_BYTES = int(os.environ.get("KEHU_IMPORT_INLINE_BYTES", str(256 * 1024)))
# Untrusted workbooks: a file may hold at most this many data rows; an XLSX (a zip) may unpack to at
# most this many bytes (a 238 KB "decompression bomb" can hold 800,000 rows). Inside a request only
# files of up to KEHU_IMPORT_INLINE_ROWS rows are checked; longer ones go to the background worker.
KEHU_IMPORT_MAX_ROWS = int(os.environ.get("KEHU_IMPORT_MAX_ROWS", "1000000"))
KEHU_IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("KEHU_IMPORT_MAX_UNPACKED_BYTES", str(2 * 1024 ** 3)))
KEHU_IMPORT_INLINE_ROWS = int(os.environ.get("KEHU_IMPORT_INLINE_ROWS", "10000"))
# A running check or import whose process has not shown a sign of life (a heartbeat, written every
# few seconds) for this long is taken as dead — killed or crashed — and shown as not imported.
KEHU_IMPORT_LEASE_SECONDS = int(os.environ.get("KEHU_IMPORT_LEASE_SECONDS", "120"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
# zh-hans groups thousands with commas like English (kehu/formats/zh_Hans/formats.py says why).
FORMAT_MODULE_PATH = ["kehu.formats"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("KEHU_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"  # never served directly: documents go through a permission-checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production whitenoise serves the static files straight from their source folders, so that
# `make run` (DEBUG off) needs no collectstatic; production serves the collected, hashed copies.
WHITENOISE_USE_FINDERS = not PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = KEHU_DOCUMENT_MAX_BYTES + 1024 * 1024

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail: SMTP from KEHU_SMTP_* (kehu/mail_settings.py), else files in data/mail/. The outbox worker
# retries a message KEHU_MAIL_MAX_ATTEMPTS times, waiting KEHU_MAIL_RETRY_SECONDS × 2^(n−1) between.
globals().update(mail_settings(os.environ, DATA_DIR))
KEHU_MAIL_MAX_ATTEMPTS = int(os.environ.get("KEHU_MAIL_MAX_ATTEMPTS", "5"))
KEHU_MAIL_RETRY_SECONDS = int(os.environ.get("KEHU_MAIL_RETRY_SECONDS", "60"))
KEHU_MAIL_LEASE_SECONDS = int(os.environ.get("KEHU_MAIL_LEASE_SECONDS", "600"))
# The address users reach kehu at (https://crm.example.com): links in e-mails are absolute only with it.
KEHU_SITE_URL = os.environ.get("KEHU_SITE_URL", "").rstrip("/")

# Security: strict CSP (no inline script or style), secure cookies in production.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("KEHU_SESSION_SECONDS", str(8 * 3600)))
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("KEHU_SSL_REDIRECT", "1") == "1"
    # Load balancers probe the app servers over plain HTTP: the health check answers, not redirects.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("KEHU_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEHU_LOG_LEVEL", "WARNING")},
}
