"""Configuration defaults: embedded SQLite, Simplified Chinese UI.

Every value that differs between machines comes from an environment variable
(DATABASE_URL, SECRET_KEY, UPLOAD_FOLDER, SMTP_*, ...). Nothing here needs editing
to deploy; see README.md.
"""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, else a key generated once into instance/.

    A key generated per process would log every user out on restart and break
    sessions between several workers, so it is persisted (mode 0600).
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        # written whole to a private temp file, then linked into place: of several
        # processes starting together one key wins and nobody reads a half-written file
        temp = instance_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(temp, key_file)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return key_file.read_text().strip()


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    APP_NAME = "注协业务管理系统"
    # --- the institute this deployment serves (app/workflows/core/institute.py) -----------
    # the Beijing values are the defaults and the demo's; another province sets its own
    INSTITUTE_NAME = os.environ.get("INSTITUTE_NAME", "北京注册会计师协会")
    INSTITUTE_SHORT_NAME = os.environ.get("INSTITUTE_SHORT_NAME", "北京注协")  # 短信签名 【…】
    INSTITUTE_ABBREVIATION = os.environ.get("INSTITUTE_ABBREVIATION", "北注协")  # 请等待…审核
    INSTITUTE_ADDRESS = os.environ.get("INSTITUTE_ADDRESS", "北京市海淀区西四环中路16号院7号楼602室")
    # where cases are handled on site (预约办理, 领取证书)
    INSTITUTE_SERVICE_DESK = os.environ.get("INSTITUTE_SERVICE_DESK", "北京注协会员服务部602")
    INSTITUTE_PHONE = os.environ.get("INSTITUTE_PHONE", "010-88221092")
    INSTITUTE_CONTACT = os.environ.get("INSTITUTE_CONTACT", "周老师")
    APP_THEME = ""
    INSTANCE_DIR = INSTANCE_DIR
    SECRET_KEY = None  # filled by create_app via load_secret_key
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'app.db'}")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 50 * 1024 * 1024))
    # static files (scripts, styles, fonts, ECharts) are kept by the browser for an hour
    # instead of being asked again (a 304) by every page: about 15 requests fewer per page;
    # a deployment's new scripts reach every browser within the hour. Pages, exports and
    # downloads stay no-store (app/views/core/hardening.py).
    SEND_FILE_MAX_AGE_DEFAULT = int(os.environ.get("STATIC_MAX_AGE", 3600))

    # --- Flask-AppBuilder -------------------------------------------------
    FAB_SECURITY_MANAGER_CLASS = "app.security.SecurityManager"
    FAB_CREATE_DB = True  # our SecurityManager never runs create_all: Alembic owns the schema
    FAB_UPDATE_PERMS = True
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = True
    FAB_BASE_TEMPLATE = "layout.html"  # FAB's layout plus the app's icon (app/templates)
    FAB_API_MAX_PAGE_SIZE = 1000
    LIST_PAGE_SIZE = 20  # rows per page of the lists the app draws itself (app.views.core.args)
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")

    # Login rate limiting: FAB's switch does nothing unless Flask-Limiter is enabled too.
    AUTH_RATE_LIMITED = True
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    # per account (the login name typed), and separately per address: an office behind
    # one address does not share ten attempts (app/views/hardening.py)
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")
    AUTH_IP_RATE_LIMIT = os.environ.get("AUTH_IP_RATE_LIMIT", "100 per minute")
    # 找回密码: per IP, for each of its two forms (send a code / enter the code)
    PASSWORD_RECOVERY_RATE_LIMIT = os.environ.get("PASSWORD_RECOVERY_RATE_LIMIT", "5 per minute")
    # 学时证明验证 (public): per IP (app/views/hours/certificates.py)
    HOUR_VERIFY_RATE_LIMIT = os.environ.get("HOUR_VERIFY_RATE_LIMIT", "20 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")

    # --- Chinese UI -------------------------------------------------------
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
    LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}}
    TIMEZONE = "Asia/Shanghai"

    # --- Sessions and CSRF --------------------------------------------------
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a wall-clock hour
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies need HTTPS; the embedded default serves plain HTTP on loopback.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    # --- Phones (issue 27) ----------------------------------------------------
    # the address the login page's and printed notices' QR codes open (empty: the request's)
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    # 微信绑定 and template messages: without all of these the entry is hidden
    WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "")
    WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "")
    WECHAT_TOKEN = os.environ.get("WECHAT_TOKEN", "")  # the push URL's signature token
    WECHAT_TEMPLATE_PROGRESS = os.environ.get("WECHAT_TEMPLATE_PROGRESS", "")  # 进度提醒
    WECHAT_TEMPLATE_NOTICE = os.environ.get("WECHAT_TEMPLATE_NOTICE", "")  # 协会通知
    WECHAT_TEMPLATE_CONSULTATION = os.environ.get("WECHAT_TEMPLATE_CONSULTATION", "")  # 咨询消息
    WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com")
    WECHAT_TIMEOUT = float(os.environ.get("WECHAT_TIMEOUT", "10"))
    WECHAT_MAX_ATTEMPTS = int(os.environ.get("WECHAT_MAX_ATTEMPTS", "5"))

    # SMS: SMS_PROVIDER=tencent sends outbox_sms through Tencent Cloud SMS (empty: texts wait)
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "")
    TENCENT_SECRET_ID = os.environ.get("TENCENT_SECRET_ID", "")
    TENCENT_SECRET_KEY = os.environ.get("TENCENT_SECRET_KEY", "")
    TENCENT_SMS_APP_ID = os.environ.get("TENCENT_SMS_APP_ID", "")  # SmsSdkAppId
    TENCENT_SMS_SIGN = os.environ.get("TENCENT_SMS_SIGN", "")  # 短信签名, e.g. 北京注协
    # a template id per kind: 验证码=…,预约成功=…,通知=… (通知: any other text, one value)
    TENCENT_SMS_TEMPLATES = os.environ.get("TENCENT_SMS_TEMPLATES", "")
    TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou")
    TENCENT_SMS_ENDPOINT = os.environ.get("TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com")
    SMS_DAILY_LIMIT = int(os.environ.get("SMS_DAILY_LIMIT", "10"))  # per number, Beijing day
    SMS_MAX_ATTEMPTS = int(os.environ.get("SMS_MAX_ATTEMPTS", "5"))

    # --- Mail (used by the message centre) ----------------------------------
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_TLS = _env_bool("SMTP_TLS", False)
    SMTP_FROM = os.environ.get("SMTP_FROM", "noreply@example.org")
    SMTP_FROM_NAME = os.environ.get("SMTP_FROM_NAME", "")  # e.g. 北京注册会计师协会
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "30"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "5"))

    # --- Scheduler -----------------------------------------------------------
    SCHEDULER_ENABLED = _env_bool("SCHEDULER_ENABLED", False)
    SCHEDULER_TICK_SECONDS = float(os.environ.get("SCHEDULER_TICK_SECONDS", "15"))
    SCHEDULER_LEASE_SECONDS = int(os.environ.get("SCHEDULER_LEASE_SECONDS", "60"))
    SCHEDULER_JOB_LEASE_SECONDS = int(os.environ.get("SCHEDULER_JOB_LEASE_SECONDS", "1800"))

    EXPORT_BATCH_SIZE = 1000


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SCHEDULER_ENABLED = False
    AUTH_IP_RATE_LIMIT = "30 per minute"  # above the per-account 10, fewer logins to test
