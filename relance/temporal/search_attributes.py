"""relance's custom search attributes: what ops filter on in the Temporal UI.

No PII here: search attributes are never encrypted, so the customer is its code, not its name.
"""

from temporalio.common import SearchAttributeKey

ORGANISATION = SearchAttributeKey.for_keyword("RelanceOrganisation")
INVOICE_NUMBER = SearchAttributeKey.for_keyword("RelanceInvoiceNumber")
CONTRACT = SearchAttributeKey.for_keyword("RelanceContract")
CUSTOMER = SearchAttributeKey.for_keyword("RelanceCustomer")
CURRENT_STEP = SearchAttributeKey.for_keyword("RelanceStep")
STATE = SearchAttributeKey.for_keyword("RelanceState")
# Why a run ended (paid, cancelled, completed, ...), so "every run cancelled this month" is a filter.
EXIT_REASON = SearchAttributeKey.for_keyword("RelanceExitReason")
NEXT_STEP_AT = SearchAttributeKey.for_datetime("RelanceNextStepAt")
# Marketing: the contact's reference (never its name or address) and the scenario's key.
CONTACT = SearchAttributeKey.for_keyword("RelanceContact")
SCENARIO = SearchAttributeKey.for_keyword("RelanceScenario")
# Agency (seed 003): the agency's slug (drafting and send-all runs). A list of one: the dev server's
# SQLite visibility takes 10 Keyword attributes, all taken; `RelanceAgency = "mer"` filters a list alike.
AGENCY = SearchAttributeKey.for_keyword_list("RelanceAgency")
# Marketing: a campaign's key (its runs, batches and retries), a list of one for the same reason.
CAMPAIGN = SearchAttributeKey.for_keyword_list("RelanceCampaign")

# Pipeline: the opportunity's reference, and whether an automation failed (and waits for a retry). The
# dev server's SQLite visibility takes 10 Keyword attributes: an opportunity's stage is its current step
# and its result (open, won, lost, dormant) its state.
OPPORTUNITY = SearchAttributeKey.for_keyword("RelanceOpportunity")
AUTOMATION_FAILED = SearchAttributeKey.for_bool("RelanceAutomationFailed")
STAGE = CURRENT_STEP
RESULT = STATE

ALL = (ORGANISATION, INVOICE_NUMBER, CONTRACT, CUSTOMER, CURRENT_STEP, STATE, NEXT_STEP_AT, EXIT_REASON, CONTACT,
       SCENARIO, OPPORTUNITY, AUTOMATION_FAILED, AGENCY,
       CAMPAIGN)


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` pairs for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool", "KEYWORD_LIST": "KeywordList"}
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}"]
    return flags
