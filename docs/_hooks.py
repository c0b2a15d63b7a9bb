"""MkDocs hooks: the README is the site's home page and SECURITY.md a page of it, from their own files
(GitHub shows them at the repository's root), with their links turned into the site's."""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
PAGES_FROM_ROOT = {"index.md": "README.md", "security.md": "SECURITY.md"}


def _site_links(markdown: str, page: str) -> str:
    """Links written for GitHub (README -> docs/x.md, docs/x.md -> ../README.md) as the site has them."""
    root_links = (("](docs/", "]("), ("](SECURITY.md", "](security.md")) if page in PAGES_FROM_ROOT else ()
    for github, site in (*root_links, ("](../README.md", "](index.md"), ("](../SECURITY.md", "](security.md")):
        markdown = markdown.replace(github, site)
    return markdown


def on_files(files, config):
    for page, source in PAGES_FROM_ROOT.items():
        files.append(File.generated(config, page, content=(ROOT / source).read_text(encoding="utf-8")))
    return files


def on_page_markdown(markdown, page, config, files):
    return _site_links(markdown, page.file.src_uri)
