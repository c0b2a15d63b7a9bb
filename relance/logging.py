"""structlog set-up: readable console lines in development, JSON in production.

Workflow code logs through `workflow.logger` (silent during replay); activity lines carry the
workflow id, run id and activity type through relance.temporal.log_context (kept apart, so that a
command that only logs does not import Temporal's worker).
"""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure(log_format: str = "console", level: str = "INFO") -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Tracebacks as plain text: the default formatter (rich, when installed) imports rich lazily, and a
    # workflow task failure is logged from inside the workflow sandbox, where that import is refused
    # ("--- Logging error ---", RestrictedWorkflowAccessError) and buries the real message.
    renderer = (structlog.processors.JSONRenderer() if log_format == "json"
                else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty() and not os.environ.get("NO_COLOR"),
                                                   exception_formatter=structlog.dev.plain_traceback))
    exceptions = [structlog.processors.format_exc_info] if log_format == "json" else []
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *exceptions, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic names each plugin it loads at INFO: seven lines on stderr at every migration, saying nothing.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # httpx names every request at INFO: `relance up`'s summary printed its readiness probe in its midst.
    logging.getLogger("httpx").setLevel(logging.WARNING)
