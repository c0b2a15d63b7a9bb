"""The pipeline's automations' one failure kind that no retry cures."""


class Permanent(Exception):
    """The automation cannot succeed as configured (template error, unverified sender, unknown scenario):
    recorded failed with this reason; it can be retried once fixed."""
