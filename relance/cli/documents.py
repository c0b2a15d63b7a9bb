"""`relance document add|list|delete`: the documents emails attach, as the API's /v1/documents."""

from __future__ import annotations

from pathlib import Path

import click

from relance.cli.common import exclusive, group, runs

document = group("document", help="documents emails attach (an invoice's PDF, a contract, a form)")
COMMANDS = [document]


@runs(document, "add", help="keep a file, or what a URL answers (PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS; 5 MB)")
@click.argument("org")
@click.argument("file", required=False)
@click.option("--url", help="fetched by relance (public addresses only)")
@click.option("--invoice", help="the invoice it belongs to (steps with attach_invoice attach it)")
@click.option("--key", help="its name in the organisation (default: derived from the invoice and bytes)")
@click.option("--filename", help="the name it is attached as (default: the file's or the URL's)")
async def _add(settings, args, with_db, say) -> int:
    from relance.documents.library import NewDocument
    from starter import documents

    exclusive(args, "file", "url", required=True)
    if args.url:
        work = lambda db: documents.add_from_url(settings, db, args.org, args.url,  # noqa: E731
                                                 invoice=args.invoice, key=args.key, filename=args.filename)
    else:
        new = NewDocument(_read(Path(args.file)), args.filename or Path(args.file).name, args.invoice, args.key)
        work = lambda db: documents.add_bytes(settings, db, args.org, new)  # noqa: E731
    added = await with_db(settings, work)
    say(f"document {added.key}: {added.filename} ({added.content_type}, {added.size:,} bytes)"
        + (f", invoice {args.invoice}" if args.invoice else ""))
    return 0


@runs(document, "list", help="the organisation's documents")
@click.argument("org")
@click.option("--invoice")
async def _list(settings, args, with_db, say) -> int:
    from relance import calendar
    from relance.repository import zone
    from starter import documents

    async def listing(db):
        return await documents.listed(db, args.org, args.invoice), await zone(db, args.org)

    found, tz = await with_db(settings, listing)
    for kept, number in found:
        say(f"  {kept.key}  {kept.filename}  {kept.content_type}  {kept.size:,} bytes  "
            f"invoice {number or '-'}  {calendar.written(kept.created_at, tz)}")
    say(f"{len(found)} document(s) of {args.org}")
    return 0


@runs(document, "delete", help="delete a document (emails already sent keep theirs)")
@click.argument("org")
@click.argument("key")
async def _delete(settings, args, with_db, say) -> int:
    from starter import documents

    await with_db(settings, lambda db: documents.remove(settings, db, args.org, args.key))
    say(f"document {args.key} of {args.org} deleted")
    return 0


def _read(path: Path) -> bytes:
    """At most one byte past the limit is read: the check names the limit."""
    from relance import limits

    try:
        with path.open("rb") as file:
            return file.read(limits.MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise limits.Refused(f"document: field file {str(path)!r} cannot be read ({exc.strerror})") from None
