"""Renderers of RunResult: terminal, Markdown, HTML, JSON, JUnit, SARIF."""

from bouclier.reports.files import write_run
from bouclier.reports.groups import GroupTable, group_tables, read_case_rows
from bouclier.reports.html import render_html
from bouclier.reports.junit import render_junit
from bouclier.reports.markdown import render_markdown
from bouclier.reports.rerender import ReportFormat, render_result, render_run
from bouclier.reports.sarif import render_gate_sarif
from bouclier.reports.terminal import render_terminal

__all__ = ["write_run", "render_junit", "render_markdown", "render_terminal", "render_html",
           "render_gate_sarif", "render_result", "render_run", "ReportFormat", "GroupTable",
           "group_tables", "read_case_rows"]
