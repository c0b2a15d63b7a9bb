"""What a domain registers with the worker: its workflows, the activities that touch only the database
and Temporal, those that send email (on the rate-limited email queue), and webhook deliveries'
workflows and activities (on the webhook queue)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from relance.config import Settings
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.webhooks.publishing import Publisher


@dataclass
class WorkerDeps:
    """What activities share in one worker process."""

    db: Database
    mailer: SesMailer
    webhooks: Publisher
    settings: Settings = field(default_factory=Settings)  # from the environment, as the worker's


@dataclass
class Registration:
    workflows: list[type] = field(default_factory=list)
    activities: list[Callable] = field(default_factory=list)
    email_activities: list[Callable] = field(default_factory=list)
    webhook_workflows: list[type] = field(default_factory=list)
    webhook_activities: list[Callable] = field(default_factory=list)
