"""Task queue names shared by every domain."""


def email_queue(task_queue: str) -> str:
    """The task queue of the activities that call SES, rate-limited to the SES quota."""
    return f"{task_queue}-email"


def webhook_queue(task_queue: str) -> str:
    """The task queue of webhook deliveries: an endpoint that is down uses its slots, never a reminder's."""
    return f"{task_queue}-webhooks"
