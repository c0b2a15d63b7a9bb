"""The booking agency's retro-planned emails (seed 003, SPEC D): drafts due by a window, withdrawn when
pointless, sent one by one or a whole tab at a time."""
