"""One way to connect to Temporal, for the worker, the CLI and the host application."""

from __future__ import annotations

from temporalio.client import Client, TLSConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from relance.config import Settings
from relance.temporal.codec import codec_from, with_codec
from relance.temporal.converter import DATA_CONVERTER

__all__ = ["DATA_CONVERTER", "connect", "metrics_runtime"]


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
