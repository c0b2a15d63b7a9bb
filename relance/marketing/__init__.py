"""Marketing scenarios (SPEC C, issue 12): email / pause / action steps for one contact, on the same
engine as dunning, with consent (an unsubscribe link and one-click List-Unsubscribe in every email)."""
