"""MkDocs hook: write docs/cli.md's content from the Typer app (``bouclier.cli.reference``)
so that the CLI reference cannot drift from the code."""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.structure.files import File

SRC = Path(__file__).resolve().parent.parent / "src"


def on_files(files, config):
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    from bouclier.cli.reference import cli_reference_markdown

    files.append(File.generated(config, "cli.md", content=cli_reference_markdown()))
    return files
