"""What a caller of the webhook functions did wrong, in one sentence that names the object and the field."""

from __future__ import annotations


class WebhookError(ValueError):
    pass


class EndpointRejected(WebhookError):
    """An endpoint that cannot be registered; `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("webhook endpoint: " + "; ".join(f"field {name}: {what}" for name, what in problems.items()))


class ReplayRefused(WebhookError):
    """A delivery that must not be sent again (it succeeded) or cannot be yet (it is still being tried)."""
