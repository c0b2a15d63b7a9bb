"""The event types relance tells its host about. A later domain adds its own names to EVENT_TYPES."""

REMINDER_SENT = "reminder.sent"
REMINDER_NOT_SENT = "reminder.not_sent"
RUN_ENDED = "run.ended"
TASK_CREATED = "task.created"
RENEWAL_NOTICE_SENT = "renewal_notice.sent"
RENEWAL_NOTICE_NOT_SENT = "renewal_notice.not_sent"
MARKETING_SENT = "marketing.sent"
MARKETING_EXITED = "marketing.exited"
CAMPAIGN_FINISHED = "campaign.finished"
AUTOMATION_FAILED = "automation.failed"

EVENT_TYPES = (REMINDER_SENT, REMINDER_NOT_SENT, RUN_ENDED, TASK_CREATED, RENEWAL_NOTICE_SENT,
               RENEWAL_NOTICE_NOT_SENT, MARKETING_SENT, MARKETING_EXITED, CAMPAIGN_FINISHED, AUTOMATION_FAILED)
DRAFT_CREATED = "draft.created"
DRAFT_SENT = "draft.sent"
DRAFT_WITHDRAWN = "draft.withdrawn"
DRAFT_EXPIRED = "draft.expired"
EVENT_TYPES += (DRAFT_CREATED, DRAFT_SENT, DRAFT_WITHDRAWN, DRAFT_EXPIRED)
TASK_CLOSED = "task.closed"
EVENT_TYPES += (TASK_CLOSED,)
ACTION_CREATED = "action.created"  # the pipeline's effects, for the host's agenda and feed
NOTIFICATION_POSTED = "notification.posted"
TAG_ADDED = "tag.added"
EVENT_TYPES += (ACTION_CREATED, NOTIFICATION_POSTED, TAG_ADDED)
