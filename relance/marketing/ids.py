"""The marketing domain's Temporal names: deterministic ids, so enrolling twice runs once."""

ENROLMENT_WORKFLOW = "MarketingEnrolmentWorkflow"


def marketing_workflow_id(org_slug: str, scenario_key: str, contact_ref: str) -> str:
    return f"marketing:{org_slug}:{scenario_key}:{contact_ref}"


CAMPAIGN_WORKFLOW = "EmailCampaignWorkflow"


def campaign_workflow_id(org_slug: str, campaign_key: str) -> str:
    return f"campaign:{org_slug}:{campaign_key}"
