"""Settings of one service process, from ``ONEDOOR_*`` environment variables or the CLI."""

from pathlib import Path

from pydantic import ByteSize, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEDOOR_", extra="ignore")

    # One URL, or several separated by commas (the servers of a cluster).
    nats_url: str = "nats://127.0.0.1:4222"
    # This process's NATS user: a JSON file {"user", "password"} (mode 0600), as `onedoor up`
    # writes one per process under <data dir>/nats/credentials. None: connect anonymously (an
    # open NATS: a developer's, or the tests'), and declare the stream and the owners bucket
    # if they are missing, as nobody else will.
    nats_credentials: Path | None = None
    # The CA that signed the NATS servers' certificates (TLS, as in docker-compose.yml).
    nats_ca_file: Path | None = None
    # Copies of the stream the cluster keeps (3 in production; 1 for a single server).
    stream_replicas: int = 1
    # None: a SQLite file per service under ``data_dir``. A PostgreSQL URL is shared by the
    # services, each keeping its tables in its own schema (see ``database_name``).
    database_url: str | None = None
    # Prefix for the PostgreSQL schemas, so that several systems (or test runs) can share
    # one database without seeing each other's tables.
    database_schema_prefix: str = ""
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    region: str = "default"
    # Demo only: department services decide a task by themselves this many seconds after
    # it was assigned (a simple income rule), so that the loop closes with nobody at a desk.
    auto_decide_after: float | None = None
    log_level: str = "INFO"
    # "json": one JSON object per line (the default); "text": human-readable lines.
    log_format: str = "json"
    # Retry policy of every consumer: deliveries before a message becomes a dead letter, and
    # the first back-off in seconds (doubling after each failure).
    max_deliver: int = 8
    retry_backoff: float = 2.0
    # Seconds a delivered message may stay unacknowledged before the server redelivers it.
    ack_wait: float = 60.0
    # How long a consumer may have messages waiting without fetching any before its pull
    # subscription is restarted (pull subscriptions can stall after a server restart).
    stall_seconds: float = 30.0
    # Seconds between the supervision process's scans of every due time (in routing).
    supervision_interval: float = 60.0
    # The local span files (<data dir>/traces/<process>.jsonl): past this size ("20MB",
    # "1GiB" or bytes) a file is rotated, and this many old ones are kept (0: none).
    trace_file_max_size: ByteSize = ByteSize(20 * 1024 * 1024)
    trace_file_backups: int = 3
    # Keys of personal data (base64, several separated by commas, the first sealing): unset,
    # the key files under <data_dir>/keys are used, made if missing (common/keystore.py).
    data_key: SecretStr | None = None
    search_key: SecretStr | None = None
    bus_key: SecretStr | None = None

    def key_values(self) -> dict[str, str | None]:
        """Each kind of key (data, search, bus) and the variable's value, None if unset."""
        return {kind: secret.get_secret_value() if secret else None for kind, secret in
                (("data", self.data_key), ("search", self.search_key), ("bus", self.bus_key))}

    # Accounts (services/accounts): seconds a resolved credential is trusted before the store
    # is asked again — a disabled account or revoked token is refused within this time.
    auth_cache_seconds: float = 5.0
    # Hours a token from POST /api/v1/auth/login is valid.
    login_token_hours: float = 12.0
    # OIDC access tokens of a region's single sign-on, accepted when issuer, audience and
    # JWKS URL are set; the claims named below say who the caller is.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: str = "RS256,ES256"
    oidc_username_claim: str = "preferred_username"
    oidc_name_claim: str = "name"
    oidc_role_claim: str = "onedoor_role"  # window, department, supervisor, ops or admin
    oidc_department_claim: str = "onedoor_department"
    oidc_township_claim: str = "onedoor_township"
    # The screens (services/portal, served by intake): the other services' base URLs, keyed
    # as `onedoor up` names the processes (routing, notify, dept-education, ...), which sets
    # it for every child; JSON in ONEDOOR_PEER_URLS.
    peer_urls: dict[str, str] = Field(default_factory=dict)
    # The screens' session cookie is sent over HTTPS only (browsers also keep such a cookie
    # from http://127.0.0.1 and localhost: the machine itself). False only for a trial over
    # plain HTTP on another address.
    cookie_secure: bool = True
    # Signing in (POST /api/v1/auth/login): an account is locked for ``login_lock_minutes``
    # after ``login_failures`` wrong passwords within ``login_window_minutes``; a client
    # address likewise after ``login_address_failures`` (any accounts). Locked: 429.
    login_failures: int = Field(default=5, ge=1)
    login_address_failures: int = Field(default=20, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    login_lock_minutes: float = Field(default=15.0, gt=0)
    # Invalid bearer credentials from one client address (guessing, credential stuffing):
    # after this many within the window, its requests are refused (429) for the lock time.
    token_failures: int = Field(default=50, ge=1)
    token_window_minutes: float = Field(default=5.0, gt=0)
    token_lock_minutes: float = Field(default=5.0, gt=0)
    # Browser origins allowed to call the APIs (CORS), separated by commas; none by default.
    cors_origins: str = ""
    # Served over HTTPS (behind a TLS proxy): every answer says Strict-Transport-Security.
    https: bool = False

    @property
    def nats_servers(self) -> list[str]:
        return [u.strip() for u in self.nats_url.split(",") if u.strip()]

    @property
    def nats_is_open(self) -> bool:
        """No credentials: an open NATS, where this process declares what it uses itself.
        On a closed one only the admin user (``onedoor up``, ``onedoor nats declare``) does."""
        return self.nats_credentials is None

    def database_for(self, name: str) -> tuple[str, str | None]:
        """The URL and (for PostgreSQL) schema of the database that service ``name`` owns."""
        if self.database_url:
            if self.database_url.startswith("sqlite"):
                return self.database_url, None
            return self.database_url, f"{self.database_schema_prefix}{name}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{name}.db').resolve()}", None
