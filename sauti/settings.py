"""One Settings object, read from the environment with the ``SAUTI_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# the seeds: "The rate limit for all endpoints is 2,500 requests per hour" (per workspace, per scope); TextUs:
# "For broadcast requests, you can make up to 1 request per minute. For all other requests, ... 1,000 per hour"
DEFAULT_API_RATES = {
    "v2": "2500/hour",
    "v2.contacts": "2500/hour",
    "v2.messages": "2500/hour",
    "v2.runs": "2500/hour",
    "textus": "1000/hour",
    "textus.broadcasts": "1/minute",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAUTI_", extra="ignore")

    data_dir: Path = Path("./data")
    # PostgreSQL when set (postgresql+asyncpg://... or postgresql://...); a SQLite file under data_dir otherwise
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # shared throttle counters across processes (optional)
    redis_url: str | None = None
    # default throttle rates per scope; a workspace's api_rates override these per scope
    api_rates: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_API_RATES))
    page_size: int = 250
    # run the background worker loops inside the server process (the `make run` default)
    embedded_worker: bool = True
    brand: str = "Sauti"
    # the public base URL providers call back (status callbacks, webhooks); default http://host:port
    public_url: str | None = None
    # where uploaded media are kept (under data_dir) and how many seconds a provider call may take
    send_timeout: float = 30.0
    # whether the TextUs dialect takes a user's password as well as their API token (Basic email:secret)
    textus_password_auth: bool = True
    # seconds a web hook receiver may take to answer before the attempt counts as failed (and is retried)
    webhook_timeout: float = 10.0
    # seconds a flow's call_webhook may take (the flow then takes its Failure exit)
    flow_webhook_timeout: float = 10.0
    # whether flows may call hosts on private, loopback and link-local addresses (refused by default)
    webhook_allow_private: bool = False
    # networks outbound calls may reach although they are not public, e.g. ["10.0.0.5/32"] for one internal
    # receiver (tests allow ["127.0.0.0/8"]); SAUTI_WEBHOOK_ALLOW_PRIVATE allows every private address
    webhook_allow_networks: list[str] = Field(default_factory=list)
    # a worker whose heartbeat is older than this many seconds is dead: its claims are recovered. Heartbeats
    # come every 2 seconds from their own task, so this needs only a margin over that
    worker_stale_after: float = 30.0
    # messages and runs older than this many days are written to daily (and then monthly) archives
    archive_after_days: int = 90
    # whether archived messages and runs are then removed from the live tables (kept by default)
    archive_delete: bool = False
    # seconds between two plannings of due archives by a worker (writing planned ones goes on in between)
    archive_plan_every: float = 3600.0

    @field_validator("api_rates", mode="after")
    @classmethod
    def _over_the_defaults(cls, rates: dict[str, str]) -> dict[str, str]:
        """``SAUTI_API_RATES`` changes only the scopes it names; every other scope keeps its default."""
        return {**DEFAULT_API_RATES, **rates}

    @property
    def callback_base(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def resolved_database_url(self) -> str:
        return database_url(self.database_url, self.data_dir)


def database_url(url: str | None, data_dir: Path) -> str:
    """Normalise a configured URL to an async driver URL, defaulting to the embedded SQLite file."""
    if not url:
        return f"sqlite+aiosqlite:///{(data_dir / 'sauti.db').resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
