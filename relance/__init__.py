"""relance: durable invoice dunning and CRM automations on Temporal."""
