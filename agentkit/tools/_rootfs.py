"""Race-free access to the files of one root folder, for the file tools.

A path is checked (its real path must be inside the root) and then opened. Between the two, a folder of
the path could be swapped for a link leading out of the root; so the path is opened one component at a
time from the root's own directory descriptor, never following a link (``O_NOFOLLOW``): a link that
appeared after the check is refused, not followed. Only regular files are opened, and with
``O_NONBLOCK``, so a named pipe or a device put in place of a file cannot block a read or write for
ever. Where the system cannot open relative to a directory (Windows), files are opened by path, with the
same type checks but without the guarantee against swaps.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
RACE_FREE = os.open in os.supports_dir_fd and bool(_NOFOLLOW)


class FilesError(ValueError):
    """A path or file the tools refuse or cannot handle; the message is written for the model."""


def kind(mode: int) -> str:
    """What a file that is neither a regular file nor a folder is, for messages."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a link"
    return "a special file"


def _changed(shown: str) -> FilesError:
    return FilesError(
        f"refused {shown!r}: a part of its path is a file or link, or was swapped for one while it was "
        "being opened; paths lead through real folders of the root"
    )


def _open_folder(root: Path, parts: tuple[str, ...], shown: str, *, make: bool) -> int:
    """A descriptor of the folder ``root/parts``, walked without following links (made if ``make``)."""
    folder = os.open(root, os.O_RDONLY | _DIRECTORY)
    try:
        for name in parts:
            flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW
            try:
                inner = os.open(name, flags, dir_fd=folder)
            except FileNotFoundError:
                if not make:
                    raise FilesError(f"{shown!r} does not exist; list_files shows what is there") from None
                os.mkdir(name, 0o777, dir_fd=folder)
                inner = os.open(name, flags, dir_fd=folder)
            os.close(folder)
            folder = inner
    except OSError as exc:
        os.close(folder)
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EEXIST):
            raise _changed(shown) from None
        raise
    except BaseException:
        os.close(folder)
        raise
    return folder


def _check_regular(mode: int, shown: str) -> None:
    if stat.S_ISDIR(mode):
        raise FilesError(f"{shown!r} is a folder, not a file; use list_files for folders")
    if not stat.S_ISREG(mode):
        raise FilesError(f"{shown!r} is {kind(mode)}, not a regular file: the file tools do not open it")


def open_file(root: Path, path: Path, flags: int, shown: str) -> int:
    """A descriptor of the regular file ``path`` (a real path inside ``root``), opened with ``flags``;
    with ``O_CREAT``, missing folders on the way are made."""
    parts = path.relative_to(root).parts
    if not parts:
        raise FilesError("the root folder itself is not a file")
    if not RACE_FREE:
        descriptor = os.open(path, flags | _NONBLOCK | _BINARY, 0o644)
        return _regular_or_closed(descriptor, shown)
    folder = _open_folder(root, parts[:-1], shown, make=bool(flags & os.O_CREAT))
    try:
        try:
            _check_regular(os.stat(parts[-1], dir_fd=folder, follow_symlinks=False).st_mode, shown)
        except FileNotFoundError:
            if not flags & os.O_CREAT:
                raise FilesError(f"{shown!r} does not exist; list_files shows what is there") from None
        try:
            descriptor = os.open(parts[-1], flags | _NOFOLLOW | _NONBLOCK, 0o644, dir_fd=folder)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _changed(shown) from None
            if exc.errno == errno.ENXIO:  # a pipe with no reader, opened for writing
                raise FilesError(f"{shown!r} is a named pipe, not a regular file") from None
            if exc.errno == errno.ENOENT:  # gone since it was looked at
                raise FilesError(f"{shown!r} does not exist; list_files shows what is there") from None
            raise
    finally:
        os.close(folder)
    return _regular_or_closed(descriptor, shown)


def _regular_or_closed(descriptor: int, shown: str) -> int:
    try:
        _check_regular(os.fstat(descriptor).st_mode, shown)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def remove(root: Path, folder: Path, name: str, shown: str) -> None:
    """Delete the entry ``name`` of ``folder`` (a real folder inside ``root``): a link itself, never what
    it points to; a folder only if it is empty."""
    if not RACE_FREE:
        entry = folder / name
        if entry.is_dir() and not entry.is_symlink():
            entry.rmdir()
        else:
            entry.unlink()
        return
    descriptor = _open_folder(root, folder.relative_to(root).parts, shown, make=False)
    try:
        try:
            mode = os.stat(name, dir_fd=descriptor, follow_symlinks=False).st_mode
        except FileNotFoundError:
            raise FilesError(f"{shown!r} does not exist; list_files shows what is there") from None
        if stat.S_ISDIR(mode):
            os.rmdir(name, dir_fd=descriptor)
        else:
            os.unlink(name, dir_fd=descriptor)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise FilesError(f"{shown!r} is a folder that is not empty; delete its files first") from None
        raise
    finally:
        os.close(descriptor)
