"""Reports: what reminders, campaigns and pipeline rules achieved, read from what relance already
stores (runs and their timelines, payments, the send-once ledger, SES's events, campaigns, automation
runs). Read-only; one module per report; they read the tables of every domain (models/) and import no
domain's code, so a report never changes how a domain behaves."""
