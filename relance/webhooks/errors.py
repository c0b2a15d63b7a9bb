"""What a caller of the webhook functions did wrong, in one sentence that names the object and the field."""

from __future__ import annotations


class WebhookError(ValueError):
    pass


class EndpointRejected(WebhookError):
    """An endpoint that cannot be registered; `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("webhook endpoint: " + "; ".join(f"field {name}: {what}" for name, what in problems.items()))


class EndpointExists(WebhookError):
    """The URL is already an enabled endpoint of the organisation: a second one would get every event
    twice, signed with a secret the receiver does not have."""

    def __init__(self, endpoint_id: int, url: str):
        self.endpoint_id = endpoint_id
        super().__init__(f"webhook endpoint: field url: {url} is already registered as endpoint {endpoint_id}; "
                         f"remove it first to register it again with a new secret")


class ReplayRefused(WebhookError):
    """A delivery that must not be sent again (it succeeded) or cannot be yet (it is still being tried)."""
