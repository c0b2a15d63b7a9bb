"""The reports by name, as the API's paths, the CLI's --kind and the page name them."""

from __future__ import annotations

from relance.reports.dunning import dunning_report
from relance.reports.marketing import marketing_report
from relance.reports.pipeline import pipeline_report

REPORTS = {"dunning": dunning_report, "marketing": marketing_report, "pipeline": pipeline_report}
