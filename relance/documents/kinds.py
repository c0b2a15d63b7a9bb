"""What a document is, read from its first bytes (never from its name or the Content-Type a client
sent): the types an email may carry, and a clear refusal for anything else."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

# OpenDocument files name their type in a first entry called "mimetype"; OOXML ones by their parts.
_ODF = {"application/vnd.oasis.opendocument.text": ".odt",
        "application/vnd.oasis.opendocument.spreadsheet": ".ods"}
_OOXML = {"word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
          "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")}
_MAGIC = ((b"%PDF-", "application/pdf", ".pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
          (b"\xff\xd8\xff", "image/jpeg", ".jpg"))
ACCEPTED = "PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS"
MAX_ZIP_ENTRIES = 10_000


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


def sniff(data: bytes) -> Kind | None:
    """The document's type, or None when it is none of ACCEPTED."""
    for magic, content_type, extension in _MAGIC:
        if data.startswith(magic):
            return Kind(content_type, extension)
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return None


def _office(data: bytes) -> Kind | None:
    """A zip: an office document when its entries say so. Only the directory and the tiny "mimetype"
    entry are read, never a decompressed body (no zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return None
            first = infos[0] if infos else None
            if first is not None and first.filename == "mimetype" and first.file_size <= 100:
                declared = archive.read(first).decode("ascii", "replace").strip()
                if declared in _ODF:
                    return Kind(declared, _ODF[declared])
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
        return None
    return next((Kind(*found) for part, found in _OOXML.items() if part in names), None)
