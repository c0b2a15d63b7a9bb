"""The agency's refusals, each naming the object and the field."""

from __future__ import annotations


class InvalidRecord(ValueError):
    """A record refused whole (nothing written): `obj` names it (booking 'B-1'), `field` the field at fault."""

    def __init__(self, obj: str, field: str, message: str, problems: list[str] | None = None):
        super().__init__(f"{obj}: field {field}: {message}")
        self.obj, self.field, self.message = obj, field, message
        self.problems = problems or [f"{field}: {message}"]

    @classmethod
    def of(cls, obj: str, problems: list[str]) -> InvalidRecord:
        """Every problem of the record ("field: message" each), the first one named in the message."""
        field, message = problems[0].split(": ", 1)
        return cls(obj, field, message, problems)


class DraftConflict(ValueError):
    """The draft changed since the person read it (another person edited or sent it, or it was
    withdrawn or expired): nothing was written; reload it. `status` and `version` are the current ones."""

    def __init__(self, draft_id: int, status: str, version: int, detail: str):
        super().__init__(f"draft {draft_id}: {detail}")
        self.draft_id, self.status, self.version = draft_id, status, version
