"""Email for every domain: rendering user templates, composition, and sending through SES."""
