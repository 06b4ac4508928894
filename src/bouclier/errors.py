"""The exception tree shared by every layer.

Each error that a user can cause carries a one-line message that names the file, the line
or key, what was expected and what to do. The CLI turns a :class:`BouclierError` into that
message and its ``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class BouclierError(Exception):
    """Base of every error bouclier raises on purpose (exit code 2 unless overridden)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in a file: where, what was expected, what was found, what to do."""

    message: str
    file: str | None = None
    line: int | None = None
    key: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        if self.key:
            where = f"{where}: {self.key}" if where else self.key
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class UsageError(BouclierError):
    """A problem with the command line, the configuration or the input data (exit 2).

    ``problems`` lists every problem found, so that a user fixes them all at once.
    """

    def __init__(self, message: str | None = None, problems: list[Problem] | None = None):
        self.problems = list(problems or [])
        if message is None:
            message = "\n".join(str(p) for p in self.problems) or "invalid input"
        super().__init__(message)


class ConfigError(UsageError):
    """bouclier.yaml is invalid."""


class DataError(UsageError):
    """A dataset cannot be read or does not match the suite."""


class InfrastructureError(BouclierError):
    """Models unreachable beyond the run's error budget (exit 4)."""

    exit_code = 4
