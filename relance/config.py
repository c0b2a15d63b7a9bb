"""Settings read from the environment, with defaults that match the local stack.

Every variable is documented in the README ("Configuration"); docker-compose.yml sets the same names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: _env("RELANCE_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54329/relance")
    )
    temporal_address: str = field(default_factory=lambda: _env("RELANCE_TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    temporal_namespace: str = field(default_factory=lambda: _env("RELANCE_TEMPORAL_NAMESPACE", "default"))
    temporal_api_key: str = field(default_factory=lambda: _env("RELANCE_TEMPORAL_API_KEY", ""))
    temporal_tls_cert: str = field(default_factory=lambda: _env("RELANCE_TEMPORAL_TLS_CERT", ""))
    temporal_tls_key: str = field(default_factory=lambda: _env("RELANCE_TEMPORAL_TLS_KEY", ""))
    task_queue: str = field(default_factory=lambda: _env("RELANCE_TASK_QUEUE", "relance"))
    # Empty means real AWS SES (credentials from the usual boto3 chain).
    ses_endpoint: str = field(default_factory=lambda: _env("RELANCE_SES_ENDPOINT", "http://127.0.0.1:4579"))
    # Emails per second for all workers together (your SES sending quota); empty: no limit.
    ses_rate: float | None = field(
        default_factory=lambda: float(_env("RELANCE_SES_RATE", "0")) or None)
    aws_region: str = field(default_factory=lambda: _env("AWS_REGION", "eu-west-1"))
    log_format: str = field(default_factory=lambda: _env("RELANCE_LOG_FORMAT", "console"))
    log_level: str = field(default_factory=lambda: _env("RELANCE_LOG_LEVEL", "INFO"))
    home: Path = field(default_factory=lambda: Path(_env("RELANCE_HOME", str(PROJECT_ROOT / ".relance"))))
    ui_port: int = field(default_factory=lambda: int(_env("RELANCE_TEMPORAL_UI_PORT", "8233")))
    sweep_cron: str = field(default_factory=lambda: _env("RELANCE_SWEEP_CRON", "0 2 * * *"))
    # Runs kept in worker memory between their steps: each costs about 0.2 MB (sandboxed instance);
    # a run not cached is replayed from its (short) history when its timer fires.
    workflow_cache: int = field(default_factory=lambda: int(_env("RELANCE_WORKFLOW_CACHE", "400")))
    # host:port for the worker's Prometheus endpoint (SDK and relance metrics); empty: off.
    metrics_address: str = field(default_factory=lambda: _env("RELANCE_METRICS_ADDRESS", ""))
    # "id:base64key,..." (AES-256-GCM, 32-byte keys); the first encrypts, all decrypt (rotation).
    codec_keys: str = field(default_factory=lambda: _env("RELANCE_CODEC_KEYS", ""))
    codec_token: str = field(default_factory=lambda: _env("RELANCE_CODEC_TOKEN", ""))
    codec_port: int = field(default_factory=lambda: int(_env("RELANCE_CODEC_PORT", "8081")))
    # The HTTP API (`relance api`; `relance up` starts it): where it listens.
    api_host: str = field(default_factory=lambda: _env("RELANCE_API_HOST", "127.0.0.1"))
    api_port: int = field(default_factory=lambda: int(_env("RELANCE_API_PORT", "8000")))
    # Unsubscribe links in marketing email (relance.marketing.consent): the API's address as recipients
    # reach it (empty: the local API's, http://RELANCE_API_HOST:RELANCE_API_PORT), and the secret that
    # signs the links. The local default secret is public: set your own in production, and keep it
    # (changing it breaks the links of every email already sent).
    public_url: str = field(default_factory=lambda: _env("RELANCE_PUBLIC_URL", ""))
    unsubscribe_secret: str = field(
        default_factory=lambda: _env("RELANCE_UNSUBSCRIBE_SECRET", "relance-local-unsubscribe-secret"))
    codec_cors_origins: str = field(
        default_factory=lambda: _env("RELANCE_CODEC_CORS_ORIGINS", "http://localhost:8233,http://127.0.0.1:8233"))

    @property
    def public_base_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"
