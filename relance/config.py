"""Settings read from the environment, with defaults that match the local stack.

Every variable is documented in docs/configuration.md; docker-compose.yml sets the same names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


# The local stack's secrets: printed in the README, so no service starts with them outside `relance up`
# and the tests (Settings.refuse_unsafe), nor with a secret shorter than MIN_SECRET_LENGTH.
LOCAL_UNSUBSCRIBE_SECRET = "relance-local-unsubscribe-secret"
LOCAL_WEB_SECRET = "relance-local-web-secret"
MIN_SECRET_LENGTH = 16
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class ConfigError(ValueError):
    """A RELANCE_* variable that cannot be used, named with what it should be."""


def _number(name: str, default: str, kind: type = int, low: float = 0, high: float | None = None):
    text = _env(name, default)
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name}={text!r}: must be {what} (default {default})") from None
    if value != value or value < low or (high is not None and value > high):  # NaN included
        bounds = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise ConfigError(f"{name}={text!r}: must be {bounds} (default {default})")
    return value


# What a `relance worker` process polls (RELANCE_WORKER_QUEUES): the workflows with their database
# activities, the rate-limited email sends, the webhook deliveries. Any subset runs in its own process.
WORKER_QUEUES = ("workflows", "email", "webhooks")


def _queues(name: str) -> tuple[str, ...]:
    text = _env(name, ",".join(WORKER_QUEUES))
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [part for part in chosen if part not in WORKER_QUEUES]
    if unknown or not chosen:
        raise ConfigError(f"{name}={text!r}: a comma-separated list among {', '.join(WORKER_QUEUES)} "
                          f"(default all three)")
    return chosen


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
        default_factory=lambda: _number("RELANCE_SES_RATE", "0", float, high=1e6) or None)
    # SES event publishing (Send, Delivery, Bounce, Complaint, Reject): every email names this
    # configuration set, whose event destination is an SNS topic with this SQS queue subscribed
    # (README, "Reliability"). Empty queue URL on a local endpoint: the local stack's own queue.
    ses_configuration_set: str = field(default_factory=lambda: _env("RELANCE_SES_CONFIGURATION_SET", "relance"))
    ses_events_queue_url: str = field(default_factory=lambda: _env("RELANCE_SES_EVENTS_QUEUE_URL", ""))
    # A send left uncertain (a worker died between the claim and SES's answer) is settled this long
    # after: confirmed by its SES event, else sent again.
    ses_reconcile_after: float = field(
        default_factory=lambda: _number("RELANCE_SES_RECONCILE_AFTER", "900", float, low=0))
    # How often the SES events queue is drained (a Temporal Schedule), in seconds.
    ses_events_every: float = field(default_factory=lambda: _number("RELANCE_SES_EVENTS_EVERY", "60", float, low=0.1))
    # Documents attached to emails (relance.documents): an S3 bucket, and its endpoint. Empty endpoint:
    # the SES endpoint when that is a local one (moto serves S3 there too), else real S3.
    documents_bucket: str = field(default_factory=lambda: _env("RELANCE_DOCUMENTS_BUCKET", "relance-documents"))
    s3_endpoint: str = field(default_factory=lambda: _env("RELANCE_S3_ENDPOINT", ""))
    aws_region: str = field(default_factory=lambda: _env("AWS_REGION", "eu-west-1"))
    log_format: str = field(default_factory=lambda: _env("RELANCE_LOG_FORMAT", "console"))
    log_level: str = field(default_factory=lambda: _env("RELANCE_LOG_LEVEL", "INFO"))
    home: Path = field(default_factory=lambda: Path(_env("RELANCE_HOME", str(PROJECT_ROOT / ".relance"))))
    ui_port: int = field(default_factory=lambda: _number("RELANCE_TEMPORAL_UI_PORT", "8233", low=1, high=65535))
    sweep_cron: str = field(default_factory=lambda: _env("RELANCE_SWEEP_CRON", "0 2 * * *"))
    # Runs kept in worker memory between their steps: each costs about 0.2 MB (sandboxed instance);
    # a run not cached is replayed from its (short) history when its timer fires.
    # The queues this worker process polls (WORKER_QUEUES): split them over processes to scale or
    # isolate the email sends (docs/operations.md, "Splitting the work across processes").
    worker_queues: tuple[str, ...] = field(default_factory=lambda: _queues("RELANCE_WORKER_QUEUES"))
    workflow_cache: int = field(default_factory=lambda: _number("RELANCE_WORKFLOW_CACHE", "400", high=1_000_000))
    # host:port for the worker's Prometheus endpoint (SDK and relance metrics); empty: off.
    metrics_address: str = field(default_factory=lambda: _env("RELANCE_METRICS_ADDRESS", ""))
    # "id:base64key,..." (AES-256-GCM, 32-byte keys); the first encrypts, all decrypt (rotation).
    codec_keys: str = field(default_factory=lambda: _env("RELANCE_CODEC_KEYS", ""))
    codec_token: str = field(default_factory=lambda: _env("RELANCE_CODEC_TOKEN", ""))
    codec_port: int = field(default_factory=lambda: _number("RELANCE_CODEC_PORT", "8081", low=1, high=65535))
    # The HTTP API (`relance api`; `relance up` starts it): where it listens.
    api_host: str = field(default_factory=lambda: _env("RELANCE_API_HOST", "127.0.0.1"))
    api_port: int = field(default_factory=lambda: _number("RELANCE_API_PORT", "8000", low=1, high=65535))
    # The proxies whose X-Forwarded-For names the client (comma-separated addresses or networks, as
    # uvicorn's forwarded_allow_ips; "*" for any); empty: no proxy, the header is ignored. The sign-in
    # throttle counts per client address: a header anyone may send would spread one guesser over many.
    trusted_proxies: str = field(default_factory=lambda: _env("RELANCE_TRUSTED_PROXIES", ""))
    # Unsubscribe links in marketing email (relance.marketing.consent): the API's address as recipients
    # reach it (empty: the local API's, http://RELANCE_API_HOST:RELANCE_API_PORT), and the secret that
    # signs the links. The local default secret is public: set your own in production, and keep it
    # (changing it breaks the links of every email already sent).
    public_url: str = field(default_factory=lambda: _env("RELANCE_PUBLIC_URL", ""))
    unsubscribe_secret: str = field(
        default_factory=lambda: _env("RELANCE_UNSUBSCRIBE_SECRET", LOCAL_UNSUBSCRIBE_SECRET))
    # Signs the agency outbox's session cookies (relance.web). The local default is public: set your own
    # in production (changing it signs every outbox user out).
    web_secret: str = field(default_factory=lambda: _env("RELANCE_WEB_SECRET", LOCAL_WEB_SECRET))
    # Internal hosts relance may send tenants' requests to (relance.outbound): "host" or "host:port",
    # comma-separated. Empty: public addresses only. `relance up` adds its local receiver's.
    outbound_allow: str = field(default_factory=lambda: _env("RELANCE_OUTBOUND_ALLOW", ""))
    codec_cors_origins: str = field(
        default_factory=lambda: _env("RELANCE_CODEC_CORS_ORIGINS", "http://localhost:8233,http://127.0.0.1:8233"))
    # "1" in `relance up`'s services and the tests only: the public local secrets and a codec server
    # without a token are allowed there. Never set it in production.
    local_stack: bool = field(default_factory=lambda: _env("RELANCE_LOCAL_STACK", "") == "1")

    def refuse_unsafe(self, *, codec_server: bool = False) -> None:
        """Outside the local stack, a service does not start with a secret anyone can read (the API and
        the worker) or a codec server that decrypts for anyone: ConfigError, naming the variable."""
        if self.local_stack:
            return
        if codec_server:
            _refuse_weak("RELANCE_CODEC_TOKEN", self.codec_token, "",
                         "anyone who reaches the codec server could decrypt payloads with it")
            return
        _refuse_weak("RELANCE_UNSUBSCRIBE_SECRET", self.unsubscribe_secret, LOCAL_UNSUBSCRIBE_SECRET,
                     "anyone could unsubscribe your contacts")
        _refuse_weak("RELANCE_WEB_SECRET", self.web_secret, LOCAL_WEB_SECRET,
                     "anyone could forge an outbox session cookie")

    def cautions(self) -> list[str]:
        """What a service outside the local stack runs with but should not: said at start, not refused (the
        keys also encrypt every payload, which a deployment may not want yet)."""
        if self.local_stack or self.codec_keys.strip():
            return []
        return ["RELANCE_CODEC_KEYS is empty, so webhook secrets are stored in clear: set it (relance codec-key "
                "prints an entry) before registering endpoints"]

    @property
    def events_queue_url(self) -> str:
        if self.ses_events_queue_url or not self.ses_endpoint:
            return self.ses_events_queue_url
        return f"{self.ses_endpoint}/123456789012/relance-ses-events"  # moto's account (relance/local/ses.py)

    @property
    def storage_endpoint(self) -> str:
        return self.s3_endpoint or self.ses_endpoint

    @property
    def public_base_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"


def _refuse_weak(name: str, value: str, public_default: str, because: str) -> None:
    if value and value != public_default and len(value) >= MIN_SECRET_LENGTH:
        return
    what = ("empty" if not value else "the public default from the README" if value == public_default
            else f"shorter than {MIN_SECRET_LENGTH} characters")
    raise ConfigError(f"{name} is {what}, so {because}: set it to a random secret of your own, for example "
                      f"the output of `{MAKE_SECRET}`.")
