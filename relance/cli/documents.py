"""`relance document add|list|delete`: the documents emails attach, as the API's /v1/documents."""

from __future__ import annotations

import argparse
from pathlib import Path

from relance import calendar, limits
from relance.config import Settings
from relance.documents.library import NewDocument
from relance.repository import zone


def add_parser(sub) -> None:
    document = sub.add_parser("document", help="documents emails attach (an invoice's PDF, a contract, a form)")
    commands = document.add_subparsers(dest="document_command", required=True)
    add = commands.add_parser("add", help="keep a file, or what a URL answers (PDF, PNG, JPEG, DOCX, XLSX, ODT, "
                              "ODS; 5 MB)")
    add.add_argument("org")
    source = add.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a local file")
    source.add_argument("--url", help="fetched by relance (public addresses only)")
    add.add_argument("--invoice", help="the invoice it belongs to (steps with attach_invoice attach it)")
    add.add_argument("--key", help="its name in the organisation (default: derived from the invoice and bytes)")
    add.add_argument("--filename", help="the name it is attached as (default: the file's or the URL's)")
    listing = commands.add_parser("list", help="the organisation's documents")
    listing.add_argument("org")
    listing.add_argument("--invoice")
    remove = commands.add_parser("delete", help="delete a document (emails already sent keep theirs)")
    remove.add_argument("org")
    remove.add_argument("key")


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    from starter import documents

    command = args.document_command
    if command == "add":
        if args.url:
            work = lambda db: documents.add_from_url(settings, db, args.org, args.url,  # noqa: E731
                                                     invoice=args.invoice, key=args.key, filename=args.filename)
        else:
            new = NewDocument(_read(Path(args.file)), args.filename or Path(args.file).name, args.invoice, args.key)
            work = lambda db: documents.add_bytes(settings, db, args.org, new)  # noqa: E731
        document = await with_db(settings, work)
        say(f"document {document.key}: {document.filename} ({document.content_type}, {document.size:,} bytes)"
            + (f", invoice {args.invoice}" if args.invoice else ""))
        return 0
    if command == "list":
        async def listing(db):
            return await documents.listed(db, args.org, args.invoice), await zone(db, args.org)

        found, tz = await with_db(settings, listing)
        for document, number in found:
            say(f"  {document.key}  {document.filename}  {document.content_type}  {document.size:,} bytes  "
                f"invoice {number or '-'}  {calendar.written(document.created_at, tz)}")
        say(f"{len(found)} document(s) of {args.org}")
        return 0
    await with_db(settings, lambda db: documents.remove(settings, db, args.org, args.key))
    say(f"document {args.key} of {args.org} deleted")
    return 0


def _read(path: Path) -> bytes:
    """At most one byte past the limit is read: the check names the limit."""
    try:
        with path.open("rb") as file:
            return file.read(limits.MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise limits.Refused(f"document: field file {str(path)!r} cannot be read ({exc.strerror})") from None
