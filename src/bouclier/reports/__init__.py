"""Renderers of RunResult: terminal, Markdown, JSON, JUnit."""

from bouclier.reports.files import write_run
from bouclier.reports.junit import render_junit
from bouclier.reports.markdown import render_markdown
from bouclier.reports.terminal import render_terminal

__all__ = ["write_run", "render_junit", "render_markdown", "render_terminal"]
