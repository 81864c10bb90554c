"""File tools confined to one root folder: list, read, search, and (with approval) write and delete.

Every path the model gives is relative to the root. Absolute paths and ``..`` are refused outright, and
the real path (symlinks resolved) must stay inside the root, so a symlink cannot lead out of it; files
are then opened race-free from the root's directory descriptor (``_rootfs``), so a link swapped in after
the check is refused too, and only regular files are opened, so a named pipe cannot block. Broken links,
link loops, pipes and names that are not UTF-8 are listed as what they are. Regular-expression search
is time-bounded (``_search``; the ``files`` extra). Writing and deleting are marked
``requires_approval``: the agent asks its approval callback before each call.

    from agentkit.tools import files
    agent = Agent(model=..., tools=[files.toolset(root="./notes")])
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from agentkit._tool import Tool, tool
from agentkit._toolset import Toolset

from ._rootfs import FilesError, kind, open_file, remove
from ._search import LineMatcher

__all__ = ["FilesError", "toolset"]

_MAX_PATH_CHARS = 1_000
_MAX_NAME_BYTES = 255  # NAME_MAX of Linux, macOS and the BSDs
_WALK_LIMIT = 20_000
_LARGE_TREE = f"the first {_WALK_LIMIT} files and folders of a large tree; give a sub-folder as path to"
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", ".mypy_cache"})


@dataclass(frozen=True)
class _Root:
    path: Path  # resolved
    max_read_chars: int
    max_entries: int
    max_file_bytes: int
    search_seconds: float

    def resolve(self, relative: str, *, must_exist: bool = True) -> Path:
        """The real path of ``relative`` inside the root, or a refusal that says why."""
        return self.real(self.path / checked(relative), relative, must_exist=must_exist)

    def real(self, path: Path, shown: str, *, must_exist: bool = True) -> Path:
        """The real path of ``path`` (links resolved), refused unless it is inside the root."""
        loop = FilesError(f"refused {shown!r}: it is a link loop (links pointing at each other)")
        try:
            real = path.resolve()
        except RuntimeError:  # Python < 3.13 on a link loop (3.13: OSError ELOOP)
            raise loop from None
        except OSError as exc:  # a loop, or a link removed while it was being read
            if exc.errno == errno.ELOOP:
                raise loop from None
            raise FilesError(f"{shown!r} changed while it was being resolved; try again") from None
        if not real.is_relative_to(self.path):
            raise FilesError(f"refused {shown!r}: it is a link that leads outside the root folder")
        if must_exist and not real.exists():
            raise FilesError(f"{shown!r} does not exist; list_files shows what is there")
        return real

    def show(self, path: Path) -> str:
        shown = path.relative_to(self.path).as_posix()
        return shown if shown != "." else "."

    def walk(self, start: Path) -> tuple[list[Path], bool]:
        """The entries under ``start`` that are not folders (files, links, pipes...; VCS and cache folders
        skipped, links to folders not followed), and whether the walk stopped at ``_WALK_LIMIT`` files and
        folders: folders count too, so a huge tree, even one of empty folders, cannot stall the tool."""
        found: list[Path] = []
        for folders, (folder, dirs, names) in enumerate(os.walk(start), 1):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
            found.extend(Path(folder, name) for name in sorted(names))
            if folders + len(found) > _WALK_LIMIT:
                return found[:_WALK_LIMIT], True
        return found, False

    def describe(self, entry: Path) -> str:
        """One line of a listing: a folder ends with '/', a file has its size, anything else says what
        it is (a broken link, a link loop, a named pipe...), so one odd entry never fails the listing."""
        shown = entry.relative_to(self.path).as_posix()
        try:
            info = entry.lstat()
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = entry.resolve(strict=True)
                except FileNotFoundError:
                    return f"{shown} (broken link: what it points to does not exist)"
                except (OSError, RuntimeError):
                    return f"{shown} (link loop: not accessible)"
                if not target.is_relative_to(self.path):
                    return f"{shown} (link outside the root folder: not accessible)"
                info = target.stat()
        except OSError:
            return f"{shown} (vanished while being listed)"
        if stat.S_ISDIR(info.st_mode):
            return f"{shown}/"
        if stat.S_ISREG(info.st_mode):
            return f"{shown} ({info.st_size} bytes)"
        return f"{shown} ({kind(info.st_mode)}: not readable)"

    def read_text(self, path: Path) -> tuple[str, bool]:
        """Up to ``max_file_bytes`` of the text file ``path`` (a real path inside the root), and whether
        the file goes on past them."""
        descriptor = open_file(self.path, path, os.O_RDONLY, self.show(path))
        with os.fdopen(descriptor, "rb") as handle:
            data = handle.read(self.max_file_bytes + 1)
        if b"\x00" in data[:8192]:
            raise FilesError(f"{self.show(path)} looks like a binary file; only text files can be read")
        cut = len(data) > self.max_file_bytes
        return data[: self.max_file_bytes].decode("utf-8", errors="replace"), cut


def checked(relative: str) -> str:
    """The model's path, refused if it is absolute, climbs out with '..', or no system could open it
    (what the system would say names the root's absolute path; a path of 1,000 folders breaks walks)."""
    text = relative.strip() or "."
    if text.startswith(("/", "\\", "~")) or PureWindowsPath(text).drive or PurePosixPath(text).is_absolute():
        raise FilesError(f"refused {relative!r}: give a path relative to the root, not an absolute one")
    names = re.split(r"[\\/]", text)
    if ".." in names:
        raise FilesError(f"refused {relative!r}: '..' is not allowed; paths stay inside the root folder")
    if "\x00" in text:
        raise FilesError(f"refused {relative!r}: a path cannot contain a NUL character")
    if len(text) > _MAX_PATH_CHARS or any(len(os.fsencode(name)) > _MAX_NAME_BYTES for name in names):
        raise FilesError(
            f"refused {relative[:80]!r}...: paths have at most {_MAX_PATH_CHARS:,} characters, and each "
            f"file or folder name at most {_MAX_NAME_BYTES} bytes"
        )
    return text


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
        walked, stopped = root.walk(folder) if recursive else (sorted(folder.iterdir()), False)
        entries = [p for p in walked if fnmatch.fnmatch(p.name, pattern)][: root.max_entries + 1]
        lines = [root.describe(entry) for entry in entries[: root.max_entries]]
        if len(entries) > root.max_entries:
            lines.append(f"... more entries not shown (the first {root.max_entries} are listed)")
        elif stopped:
            lines.append(f"... the listing stopped after {_LARGE_TREE} see the rest")
        if not entries:
            among = f" among {_LARGE_TREE} see the rest" if stopped else ""
            return f"(no entries in {root.show(folder)} matching {pattern!r}{among})"
        return "\n".join(lines)

    @tool
    def read_file(path: str, offset: int = 0) -> str:
        """Read a text file of the root folder. Long files come in parts: call again with the offset given.

        Args:
            path: The file, relative to the root.
            offset: The character to start from (0 for the beginning).
        """
        if offset < 0:
            raise FilesError("offset must be 0 or more")
        text, cut = root.read_text(root.resolve(path))
        part = text[offset : offset + root.max_read_chars]
        end = offset + len(part)
        limit = root.max_file_bytes
        if end < len(text):
            more = f" (only the first {limit} bytes of this longer file are read)" if cut else ""
            shown = f"characters {offset}-{end} of {len(text)} shown"
            part += f"\n[... {shown}; call again with offset={end}{more}]"
        elif cut:
            part += f"\n[the file goes on past the first {limit} bytes, which are all that read_file reads]"
        return part

    @tool
    def search_files(query: str, path: str = ".", pattern: str = "*", regex: bool = False) -> str:
        """Search the text files of the root folder for lines containing a text (case-insensitive).

        Returns matching lines as "file:line: text".

        Args:
            query: The text to look for (or a regular expression if regex is true).
            path: The folder to search in, relative to the root.
            pattern: A shell-style filter on file names, e.g. "*.md".
            regex: Treat query as a Python regular expression (a search has a time limit).
        """
        matches = LineMatcher(query, regex=regex, seconds=root.search_seconds)
        start = root.resolve(path)
        one_file = not start.is_dir()
        hits: list[str] = []
        walked, stopped = ([start], False) if one_file else root.walk(start)
        for file in walked:
            if not fnmatch.fnmatch(file.name, pattern):
                continue
            try:
                text, _ = root.read_text(root.real(file, root.show(file)))
            except (FilesError, OSError):  # binary, a pipe, a link out of the root or broken...
                if one_file:  # ...said for the one file asked for, skipped in a folder
                    raise
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if matches(line, f"{root.show(file)}:{number}"):
                    hits.append(f"{root.show(file)}:{number}: {line.strip()[:300]}")
            if len(hits) > root.max_entries:
                break
        if not hits:
            return f"no line matches {query!r}" + (f" in {_LARGE_TREE} search the rest" if stopped else "")
        more = len(hits) - root.max_entries
        if more > 0:
            return "\n".join(hits[: root.max_entries]) + f"\n... {more} more matches"
        return "\n".join(hits) + (f"\n... (searched {_LARGE_TREE} search the rest)" if stopped else "")

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
        try:
            content.encode("utf-8")  # checked before the file is opened (and emptied)
        except UnicodeEncodeError as exc:
            problem = f"{exc.reason} at {exc.start}"
            raise FilesError(f"the content is not valid text ({problem}); nothing written") from None
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        descriptor = open_file(root.path, file, flags, path)  # folders on the way are made
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        return f"{'appended' if append else 'wrote'} {len(content)} characters to {root.show(file)}"

    @tool(requires_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file, or an empty folder, in the root folder.

        Args:
            path: The file or empty folder, relative to the root.
        """
        entry = PurePosixPath(checked(path).replace("\\", "/"))
        if entry.name in ("", "."):
            raise FilesError("refused: the root folder itself cannot be deleted")
        link = root.path / entry
        if link.is_symlink() and not Path(os.path.realpath(link)).is_relative_to(root.path):
            raise FilesError(f"refused {path!r}: it is a link that leads outside the root folder")
        # The entry itself goes (a link, even a broken one or a loop, never what it points to), from
        # its real parent folder: a link on the way that leads out of the root is refused.
        remove(root.path, root.resolve(str(entry.parent)), entry.name, path)
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
    search_seconds: float = 5.0,
) -> Toolset:
    """The file tools, confined to ``root`` (default: the current folder).

    Args:
        root: The folder the tools work in; nothing outside it can be read or changed.
        read_only: Offer only list_files, read_file and search_files.
        max_read_chars: Characters one read_file call returns.
        max_entries: Entries one list_files or search_files call returns.
        max_file_bytes: Files are read up to this size (read_file says when a file goes on past it).
        search_seconds: The time one regular-expression search may take before it is refused.
    """
    folder = Path(root).expanduser().resolve()
    if not folder.is_dir():
        raise FilesError(f"the root folder {str(root)!r} does not exist or is not a folder")
    settings = _Root(folder, max_read_chars, max_entries, max_file_bytes, search_seconds)
    return Toolset(*_make_tools(settings, writable=not read_only), name="files")
