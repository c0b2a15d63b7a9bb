"""What a renewal notice tells the host application (webhooks) when it ends: sent, or not sent and
why (no recipient, contract settled, cancelled, delivery uncertain, ...). Keyed by the notice's run,
so the finish retried publishes it once."""

from __future__ import annotations

from relance.renewal.types import FinishNoticeInput, NoticeOutcome
from relance.webhooks import events
from relance.webhooks.publishing import Event


def notice_ended(inp: FinishNoticeInput, notice) -> Event:
    """`notice`: the notice's row as finishing it returned it (organisation, contract, account, recipient)."""
    data = {"organisation": notice.org_slug, "contract": notice.contract_ref, "account": notice.account_ref,
            "term_end": notice.term_end.isoformat(), "recipient": notice.recipient, "workflow_id": inp.workflow_id}
    if inp.outcome == NoticeOutcome.SENT:
        kind, data = events.RENEWAL_NOTICE_SENT, {**data, "message_id": notice.provider_message_id}
    else:
        kind, data = events.RENEWAL_NOTICE_NOT_SENT, {**data, "reason": str(inp.reason or inp.outcome),
                                                      "detail": inp.detail}
    return Event(notice.org_id, notice.org_slug, kind, f"renewal_notice:{inp.workflow_id}", data, inp.now)
