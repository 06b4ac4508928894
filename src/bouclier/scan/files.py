"""Which files a scan reads: a walk that honours ``.gitignore`` and says why it skips.

``.gitignore`` files are read with ``pathspec``'s ``GitIgnoreSpec`` (git's own matching
rules) at every level of the walk and above the scanned directory up to the repository
root, so the same files are skipped inside and outside a git checkout, without a git
binary and including files that are not committed yet (a pre-commit hook scans those).
Global git excludes (``core.excludesFile``) are not read. ``.git`` is never entered.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bouclier.scan.report import SkippedFile


@dataclass(frozen=True)
class _Ignore:
    base: Path
    spec: object  # pathspec.GitIgnoreSpec

    def matches(self, path: Path, is_dir: bool) -> bool:
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        return bool(self.spec.match_file(rel + "/" if is_dir else rel))  # type: ignore[attr-defined]


def _load(directory: Path) -> _Ignore | None:
    gi = directory / ".gitignore"
    try:
        lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    import pathspec

    return _Ignore(directory, pathspec.GitIgnoreSpec.from_lines(lines))


def _parents_ignores(start: Path) -> list[_Ignore]:
    """``.gitignore`` files of the directories above ``start`` up to the git root."""
    chain: list[Path] = []
    d = start.parent
    while True:
        chain.append(d)
        if (d / ".git").exists() or d.parent == d:
            break
        d = d.parent
    if not (chain[-1] / ".git").exists():
        return []  # not inside a repository: only the scanned tree's own files apply
    return [ig for ig in (_load(p) for p in reversed(chain)) if ig is not None]


def iter_files(
    roots: Iterable[str | os.PathLike[str]], *, respect_gitignore: bool = True
) -> Iterator[Path | SkippedFile]:
    """Each file to scan, or a :class:`SkippedFile` for what cannot be (missing path,
    broken symlink, unreadable directory). Ignored files are left out silently."""
    for root in roots:
        top = Path(root)
        if top.is_symlink() and not top.exists():
            yield SkippedFile(str(top), "broken symlink")
            continue
        if not top.exists():
            yield SkippedFile(str(top), "no such file or directory")
            continue
        if top.is_file():
            yield top  # named explicitly: scanned even when ignored
            continue
        if not top.is_dir():
            yield SkippedFile(str(top), "not a regular file or directory")
            continue
        base = top.resolve()
        stack: list[_Ignore] = _parents_ignores(base / "x") if respect_gitignore else []
        yield from _walk(top, base, stack, respect_gitignore)


def _walk(directory: Path, real: Path, ignores: list[_Ignore], respect: bool) -> Iterator[Path | SkippedFile]:
    if respect:
        own = _load(directory)
        if own is not None:
            own = _Ignore(real, own.spec)
            ignores = [*ignores, own]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        yield SkippedFile(str(directory), f"unreadable directory ({exc.strerror or type(exc).__name__})")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name == ".git":
            continue
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            yield SkippedFile(str(path), f"unreadable ({exc.strerror or type(exc).__name__})")
            continue
        real_path = real / entry.name
        if respect and any(ig.matches(real_path, is_dir) for ig in ignores):
            continue
        if is_link:
            if not path.exists():
                yield SkippedFile(str(path), "broken symlink")
            elif path.is_dir():
                yield SkippedFile(str(path), "symlink to a directory (not followed)")
            else:
                yield path
            continue
        if is_dir:
            yield from _walk(path, real_path, ignores, respect)
        elif entry.is_file(follow_symlinks=False):
            yield path
        else:
            yield SkippedFile(str(path), "not a regular file (device, socket or FIFO)")
