"""Settings for MHA Portal, read from the environment.

With nothing set the portal runs on a SQLite file with Celery tasks executed in-process, so that
`make run` works on a bare machine. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and DJANGO_ENV=production.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def redis_url_for_test_worker(url: str, worker: str) -> str:
    """The same Redis server, database number shifted by the xdist worker's index ("gw1" -> +2)."""
    base, _, database = url.rpartition("/")
    index = int(worker.removeprefix("gw") or 0)
    number = int(database) if database.isdigit() else 0
    return f"{base}/{(number + index + 1) % 16}"


PRODUCTION = os.environ.get("DJANGO_ENV", "development").lower() == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

# A fixed development key is fine on a laptop; production refuses to start without a real one.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-9f3c1a7e2b6d4c8a0e5f1b3d7c9a2e4f6b8d0c1e3a5f7b9d"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "djmoney",
    "simple_history",
    "axes",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "mha_portal",
    "privacy",
    "communities",
    "households",
    "associations",
    "remittances",
    "projects",
    "training",
    "reports",
    "offline",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and JSON compressed (static files come pre-compressed from WhiteNoise). BREACH stays
    # mitigated: Django masks the CSRF token on every response and GZipMiddleware pads its output
    # with random bytes ("Heal The Breach").
    "django.middleware.gzip.GZipMiddleware",
    "mha_portal.middleware.RejectNulBytesMiddleware",
    "mha_portal.middleware.DatabaseBusyMiddleware",
    "mha_portal.middleware.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Officers and administrators give their second factor before any page, admin or API call.
    "privacy.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "mha_portal.idempotency.IdempotencyMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mha_portal.urls"
WSGI_APPLICATION = "mha_portal.wsgi.application"
ASGI_APPLICATION = "mha_portal.asgi.application"

# Widgets render with the project's templates, so that templates/django/forms/ can replace one
# (the select, whose per-option include was slow on national lists).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
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
                "mha_portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must survive a centre's few simultaneous users: writers take the lock
    # when their transaction starts (no deadlock-prone upgrade from a read lock), wait up to 20 s
    # for each other instead of failing at once, and WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# An optional streaming read replica. Only code that names it reads from it
# (`mha_portal.replica.reading_from_replica`: report jobs, dashboards, exports).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
    # In tests the replica reads the primary's test database as the real replica has copied it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# PostgreSQL's JIT compiler costs 20–40 ms a statement on the indicators' grouped reads (issue
# 16, national data set) and pays back only on analytical scans far longer than a page's.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASE_ROUTERS = ["mha_portal.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Users who see the same dashboard share one computation of its figures for this long (the page
# says when they were computed); 0 computes them on every request.
DASHBOARD_FIGURES_SECONDS = int(os.environ.get("DASHBOARD_FIGURES_SECONDS", "60"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Languages of the programme: Tajik first, then Russian and English.
LANGUAGE_CODE = "en"
LANGUAGES = [("tg", _("Tajik")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mha_portal.formats"]
TIME_ZONE = "Asia/Dushanbe"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# In production static files get hashed names and pre-compressed .gz/.br copies
# (CompressedManifestStaticFilesStorage); WhiteNoise serves hashed names "immutable" for 10 years.
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

# Money: the programme's four currencies, set explicitly so Babel upgrades create no migrations.
CURRENCIES = ("TJS", "RUB", "USD", "EUR")
CURRENCY_CHOICES = [("TJS", "TJS"), ("RUB", "RUB"), ("USD", "USD"), ("EUR", "EUR")]
DEFAULT_CURRENCY = "TJS"
SERIALIZATION_MODULES = {"json": "djmoney.serializers"}

# Celery: with no REDIS_URL tasks run in-process, which is what `make run` uses.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get("MHA_REDIS_PER_WORKER"):
    # Parallel test workers each get their own Redis database, so that one worker's Celery
    # worker never takes another's tasks. Exported, so subprocesses the tests start agree.
    REDIS_URL = redis_url_for_test_worker(REDIS_URL, os.environ["PYTEST_XDIST_WORKER"])
    os.environ.update(REDIS_URL=REDIS_URL, MHA_REDIS_PER_WORKER="1")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must fail fast when Redis is down: the job waits in the database (mha_portal.outbox).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600, "socket_connect_timeout": 2,
                                   "socket_timeout": 5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = TIME_ZONE
# Report jobs have their own queue, so a national report never waits in front of short tasks.
# A worker started without -Q consumes both (tests, `make run`); production runs one worker per
# queue (docker-compose.yml: worker and worker-reports).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (__import__("kombu").Queue("celery"), __import__("kombu").Queue("reports"))
CELERY_TASK_ROUTES = {
    "reports.build_report": {"queue": "reports"},
    "reports.monthly_programme_report": {"queue": "reports"},
}
# Limits: a short task gets 5 minutes; a report 30 (soft limit first, so the job records a readable
# failure). A worker process is replaced after it has grown past 1 GiB.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_ANNOTATIONS = {"reports.build_report": {"soft_time_limit": 1740, "time_limit": 1800}}
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 1_048_576  # KiB
# A report that met a temporary problem (a dropped connection) is tried again after this many
# seconds, twice as long after each further failure, never more than 10 minutes.
REPORT_RETRY_SECONDS = int(os.environ.get("REPORT_RETRY_SECONDS", "10"))
CELERY_BEAT_SCHEDULE: dict = {
    # The donor's monthly programme report, on the 1st at 06:00; and the sweeper that hands
    # report jobs of dead workers to live ones.
    "reports-monthly-programme-report": {"task": "reports.monthly_programme_report",
                                         "schedule": __import__("celery.schedules").schedules.crontab(
                                             minute=0, hour=6, day_of_month=1)},
    "reports-requeue-stale-jobs": {"task": "reports.requeue_stale_jobs", "schedule": 300.0},
    "purge-idempotency-records": {"task": "mha_portal.purge_idempotency_records", "schedule": 24 * 3600.0},
}

CACHES = {
    "default": (
        {"BACKEND": "mha_portal.cache.ResilientRedisCache", "LOCATION": REDIS_URL,
         "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "mha_portal.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mha_portal.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MHA Portal API",
    "DESCRIPTION": "Households, migrant household associations, remittances and programme results "
    "of the Jamoat Resource Centres.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint and field: signed-in users only (docs and redoc too).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Field names shared by different choice sets ("status", "kind"...) need a name per set.
    "ENUM_NAME_OVERRIDES": {
        "ProjectCategoryEnum": "projects.models.Category",
        "BudgetCurrencyEnum": "projects.models.BUDGET_CURRENCIES",
        "AttachmentKindEnum": "projects.models.Attachment.Kind",
        "GrantStatusEnum": "projects.models.Grant.Status",
        "RelationEnum": "households.models.Member.Relation",
    },
}

# Request keys (Idempotency-Key / the forms' hidden key) are one namespace per user and kept 30 days:
# a phone that queued a submission offline for a week still gets the first answer on replay.
IDEMPOTENCY_KEY_TTL_DAYS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_DAYS", "30"))
# Added to the offline service worker's version (offline/worker.py): a new value makes every phone
# install a new worker, with new cache names, even when no precached file changed.
OFFLINE_APP_VERSION = os.environ.get("OFFLINE_APP_VERSION", "")

# Lock a username from one address only: a whole centre shares one NAT address.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

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
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Uploads: photos and documents of projects and training materials.
MAX_UPLOAD_SIZE = int(os.environ.get("MAX_UPLOAD_SIZE", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_SIZE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Second factor (privacy/mfa.py): allauth's authenticator model, used without its login views;
# our adapter encrypts the TOTP secrets with the field keys below.
MFA_ADAPTER = "privacy.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "MHA Portal"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"

# Field encryption of migrants' sensitive data (privacy/crypto.py). FIELD_ENCRYPTION_KEYS: Fernet
# keys, comma-separated, the first encrypts and all decrypt (rotation: README). FIELD_HASH_KEY keys
# the phone-number lookup digests. The development defaults must never be used in production.
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW1oYS1wb3J0YWwtMDE="
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "" if PRODUCTION else DEV_FIELD_ENCRYPTION_KEY)
FIELD_HASH_KEY = os.environ.get("FIELD_HASH_KEY", "" if PRODUCTION else "dev-only-field-hash-key-4c1d9e")
if PRODUCTION and (not FIELD_ENCRYPTION_KEYS or not FIELD_HASH_KEY):
    raise RuntimeError("FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set when DJANGO_ENV=production")

# Retention (privacy/retention.py): years after which a record kind is pseudonymised or deleted.
RETENTION_YEARS = {
    "household": int(os.environ.get("RETENTION_HOUSEHOLD_YEARS", "5")),
    "access_event": int(os.environ.get("RETENTION_ACCESS_EVENT_YEARS", "3")),
}
