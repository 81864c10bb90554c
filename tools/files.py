"""File tools confined to one root folder: list, read, search, and (with approval) write and delete.

Every path the model gives is relative to the root. Absolute paths and ``..`` are refused outright, and
the real path (symlinks resolved) must stay inside the root, so a symlink cannot lead out of it. Writing
and deleting are marked ``requires_approval``: the agent asks its approval callback before each call.

    from agentkit.tools import files
    agent = Agent(model=..., tools=[files.toolset(root="./notes")])
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from agentkit._tool import Tool, tool
from agentkit._toolset import Toolset

__all__ = ["FilesError", "toolset"]

_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", ".mypy_cache"})


class FilesError(ValueError):
    """A path or file the tools refuse or cannot handle; the message is written for the model."""


@dataclass(frozen=True)
class _Root:
    path: Path  # resolved
    max_read_chars: int
    max_entries: int
    max_file_bytes: int

    def resolve(self, relative: str, *, must_exist: bool = True) -> Path:
        """The real path of ``relative`` inside the root, or a refusal that says why."""
        text = relative.strip() or "."
        if (
            text.startswith(("/", "\\", "~"))
            or PureWindowsPath(text).drive
            or PurePosixPath(text).is_absolute()
        ):
            raise FilesError(
                f"refused {relative!r}: give a path relative to the root folder, not an absolute one"
            )
        if ".." in re.split(r"[\\/]", text):
            raise FilesError(f"refused {relative!r}: '..' is not allowed; paths stay inside the root folder")
        real = (self.path / text).resolve()
        if not real.is_relative_to(self.path):
            raise FilesError(f"refused {relative!r}: it is a link that leads outside the root folder")
        if must_exist and not real.exists():
            raise FilesError(f"{relative!r} does not exist; list_files shows what is there")
        return real

    def show(self, path: Path) -> str:
        shown = path.relative_to(self.path).as_posix()
        return shown if shown != "." else "."

    def walk(self, start: Path, limit: int = 20_000) -> list[Path]:
        """Up to ``limit`` regular files under ``start`` (links out of the root left out; VCS and cache
        folders skipped), so that a huge tree cannot stall the tool, nor a named pipe block a search."""
        found: list[Path] = []
        for folder, dirs, names in os.walk(start):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
            for name in sorted(names):
                path = Path(folder, name)
                if path.is_file() and path.resolve().is_relative_to(self.path):
                    found.append(path)
                if len(found) >= limit:
                    return found
        return found


def _read_text(path: Path, limit: int) -> str:
    with path.open("rb") as handle:
        data = handle.read(limit)
    if b"\x00" in data[:8192]:
        raise FilesError(f"{path.name} looks like a binary file; only text files can be read")
    return data.decode("utf-8", errors="replace")


def _make_tools(root: _Root, *, writable: bool) -> list[Tool]:
    @tool
    def list_files(path: str = ".", recursive: bool = False, pattern: str = "*") -> str:
        """List the files and folders in a folder of the root (folders end with '/'), with file sizes.

        Args:
            path: The folder, relative to the root; "." is the root itself.
            recursive: Also list everything in sub-folders.
            pattern: A shell-style name filter, e.g. "*.py" or "report-*".
        """
        folder = root.resolve(path)
        if not folder.is_dir():
            raise FilesError(f"{path!r} is a file, not a folder; use read_file to read it")
        lines: list[str] = []
        if recursive:
            entries = [p for p in root.walk(folder) if fnmatch.fnmatch(p.name, pattern)][
                : root.max_entries + 1
            ]
        else:
            entries = sorted(p for p in folder.iterdir() if fnmatch.fnmatch(p.name, pattern))
        for entry in entries[: root.max_entries]:
            shown = entry.relative_to(root.path).as_posix()
            if not entry.resolve().is_relative_to(root.path):
                lines.append(f"{shown} (link outside the root folder: not accessible)")
            elif entry.is_dir():
                lines.append(f"{shown}/")
            else:
                lines.append(f"{shown} ({entry.stat().st_size} bytes)")
        if len(entries) > root.max_entries:
            lines.append(f"... more entries not shown (the first {root.max_entries} are listed)")
        return "\n".join(lines) or f"(no entries in {root.show(folder)} matching {pattern!r})"

    @tool
    def read_file(path: str, offset: int = 0) -> str:
        """Read a text file of the root folder. Long files come in parts: call again with the offset given.

        Args:
            path: The file, relative to the root.
            offset: The character to start from (0 for the beginning).
        """
        if offset < 0:
            raise FilesError("offset must be 0 or more")
        file = root.resolve(path)
        if not file.is_file():
            raise FilesError(f"{path!r} is not a file; use list_files for folders")
        text = _read_text(file, root.max_file_bytes)
        part = text[offset : offset + root.max_read_chars]
        end = offset + len(part)
        if end < len(text):
            part += f"\n[... characters {offset}-{end} of {len(text)} shown; call again with offset={end}]"
        return part

    @tool
    def search_files(query: str, path: str = ".", pattern: str = "*", regex: bool = False) -> str:
        """Search the text files of the root folder for lines containing a text (case-insensitive).

        Returns matching lines as "file:line: text".

        Args:
            query: The text to look for (or a regular expression if regex is true).
            path: The folder to search in, relative to the root.
            pattern: A shell-style filter on file names, e.g. "*.md".
            regex: Treat query as a Python regular expression.
        """
        try:
            matcher = re.compile(query if regex else re.escape(query), re.IGNORECASE)
        except re.error as exc:
            raise FilesError(f"invalid regular expression {query!r}: {exc}") from None
        start = root.resolve(path)
        candidates = root.walk(start) if start.is_dir() else [start]
        hits: list[str] = []
        for file in candidates:
            if not fnmatch.fnmatch(file.name, pattern):
                continue
            try:
                text = _read_text(file, root.max_file_bytes)
            except (FilesError, OSError):
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if matcher.search(line):
                    hits.append(f"{root.show(file)}:{number}: {line.strip()[:300]}")
            if len(hits) > root.max_entries:
                break
        if not hits:
            return f"no line matches {query!r}"
        more = len(hits) - root.max_entries
        return "\n".join(hits[: root.max_entries]) + (f"\n... {more} more matches" if more > 0 else "")

    @tool(requires_approval=True)
    def write_file(path: str, content: str, append: bool = False) -> str:
        """Write text to a file in the root folder (creating folders as needed), replacing it or appending.

        Args:
            path: The file, relative to the root.
            content: The text to write.
            append: Add to the end of the file instead of replacing it.
        """
        file = root.resolve(path, must_exist=False)
        if file == root.path or file.is_dir():
            raise FilesError(f"{path!r} is a folder; give a file path")
        file.parent.mkdir(parents=True, exist_ok=True)
        if not file.parent.resolve().is_relative_to(root.path):
            raise FilesError(f"refused {path!r}: it is a link that leads outside the root folder")
        # O_NOFOLLOW: a symlink put in place after the check is refused, not followed.
        flags = (
            os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC) | getattr(os, "O_NOFOLLOW", 0)
        )
        descriptor = os.open(file, flags, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        return f"{'appended' if append else 'wrote'} {len(content)} characters to {root.show(file)}"

    @tool(requires_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file, or an empty folder, in the root folder.

        Args:
            path: The file or empty folder, relative to the root.
        """
        link = root.path / path.strip()
        target = root.resolve(path)
        if target == root.path:
            raise FilesError("refused: the root folder itself cannot be deleted")
        if link.is_symlink():  # delete the link itself, never what it points to...
            if not link.parent.resolve().is_relative_to(root.path):  # ...nor a link reached through one
                raise FilesError(f"refused {path!r}: it is a link that leads outside the root folder")
            link.unlink()
        elif target.is_dir():
            if any(target.iterdir()):
                raise FilesError(f"{path!r} is a folder that is not empty; delete its files first")
            target.rmdir()
        else:
            target.unlink()
        return f"deleted {path.strip()}"

    tools: list[Tool] = [list_files, read_file, search_files]
    return [*tools, write_file, delete_file] if writable else tools


def toolset(
    root: str | os.PathLike[str] = ".",
    *,
    read_only: bool = False,
    max_read_chars: int = 20_000,
    max_entries: int = 500,
    max_file_bytes: int = 5_000_000,
) -> Toolset:
    """The file tools, confined to ``root`` (default: the current folder).

    Args:
        root: The folder the tools work in; nothing outside it can be read or changed.
        read_only: Offer only list_files, read_file and search_files.
        max_read_chars: Characters one read_file call returns.
        max_entries: Entries one list_files or search_files call returns.
        max_file_bytes: Files are read up to this size.
    """
    folder = Path(root).expanduser().resolve()
    if not folder.is_dir():
        raise FilesError(f"the root folder {str(root)!r} does not exist or is not a folder")
    settings = _Root(folder, max_read_chars, max_entries, max_file_bytes)
    return Toolset(*_make_tools(settings, writable=not read_only), name="files")
