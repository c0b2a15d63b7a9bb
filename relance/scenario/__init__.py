"""The scenario engine every domain shares: a plan's vocabulary, when each step goes, and authoring."""
