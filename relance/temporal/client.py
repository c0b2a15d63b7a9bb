"""One way to connect to Temporal, for the worker, the CLI and the host application."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from temporalio.client import Client, TLSConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from relance.config import Settings
from relance.temporal.codec import codec_from, with_codec
from relance.temporal.converter import DATA_CONVERTER

__all__ = ["DATA_CONVERTER", "connect", "connect_when_asked", "metrics_runtime"]


def metrics_runtime(address: str) -> Runtime:
    """A runtime exporting Prometheus metrics on `address` (one per process)."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address),
                                             global_tags={"service": "relance"}))


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    tls: TLSConfig | bool = False
    if settings.temporal_tls_cert:
        with open(settings.temporal_tls_cert, "rb") as cert, open(settings.temporal_tls_key, "rb") as key:
            tls = TLSConfig(client_cert=cert.read(), client_private_key=key.read())
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key or None,
        tls=tls or bool(settings.temporal_api_key),
        data_converter=with_codec(DATA_CONVERTER, codec_from(settings.codec_keys)),
        runtime=runtime,
    )


async def connect_patiently(settings: Settings, runtime: Runtime | None = None, log=None,
                            max_wait: float = 30.0) -> Client:
    """connect(), retried until Temporal answers (a worker started before the server, or during its
    restart, waits instead of exiting); each failed attempt is logged with the address and the next wait."""
    wait, attempt = 1.0, 1
    while True:
        try:
            return await connect(settings, runtime)
        except RuntimeError as exc:  # the SDK's "Failed client connect: ..."
            if log is not None:
                log.warning("temporal not reachable, retrying", temporal=settings.temporal_address,
                            attempt=attempt, retry_in_s=wait, error=str(exc).split("\n")[0][:200])
            await asyncio.sleep(wait)
            wait, attempt = min(wait * 2, max_wait), attempt + 1


def connect_when_asked(settings: Settings) -> Callable[[], Awaitable[Client]]:
    """A client made on the first call and kept: for reports that need Temporal only for runs still
    running (a finished run's story is in the database, readable while Temporal is down)."""
    client: Client | None = None

    async def client_of() -> Client:
        nonlocal client
        client = client or await connect(settings)
        return client

    return client_of
