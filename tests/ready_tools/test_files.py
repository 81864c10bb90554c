"""The file tools: what they do inside the root, and every way out of it refused."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit._tool import Tool
from agentkit.tools import files

pytestmark = pytest.mark.anyio


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    (base / "docs").mkdir(parents=True)
    (base / "docs" / "guide.md").write_text("# Guide\nInstall with pip.\nThen run it.\n")
    (base / "notes.txt").write_text("first line\nSecond Line mentions pip\n")
    (base / ".git").mkdir()
    (base / ".git" / "config").write_text("pip in git config\n")
    (base / "image.bin").write_bytes(b"\x89PNG\x00\x00pip")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET pip\n")
    return base


def tools_for(root: Path, **options: Any) -> dict[str, Tool]:
    return {t.name: t for t in files.toolset(root, **options)}


async def run(root: Path, name: str, **arguments: Any) -> Any:
    return await tools_for(root)[name].call(arguments)


def test_writes_and_deletes_need_approval(root: Path) -> None:
    approval = {name: t.requires_approval for name, t in tools_for(root).items()}
    assert approval == {
        "list_files": False,
        "read_file": False,
        "search_files": False,
        "write_file": True,
        "delete_file": True,
    }
    assert list(tools_for(root, read_only=True)) == ["list_files", "read_file", "search_files"]


def test_default_root_is_the_current_folder(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    listing = {t.name: t for t in files.toolset()}["list_files"]()
    assert "notes.txt" in listing


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(files.FilesError, match="does not exist"):
        files.toolset(tmp_path / "nope")


async def test_list(root: Path) -> None:
    assert await run(root, "list_files") == (".git/\ndocs/\nimage.bin (9 bytes)\nnotes.txt (36 bytes)")
    assert await run(root, "list_files", path="docs") == "docs/guide.md (39 bytes)"
    assert await run(root, "list_files", recursive=True, pattern="*.md") == "docs/guide.md (39 bytes)"
    assert "no entries" in await run(root, "list_files", pattern="*.xyz")


async def test_read_in_parts(root: Path) -> None:
    (root / "long.txt").write_text("abcdefghij" * 5)
    read = files.toolset(root, max_read_chars=20)
    tool = {t.name: t for t in read}["read_file"]
    first = await tool.call({"path": "long.txt"})
    assert first.startswith(
        "abcdefghijabcdefghij\n[... characters 0-20 of 50 shown; call again with offset=20]"
    )
    last = await tool.call({"path": "long.txt", "offset": 40})
    assert last == "abcdefghij"
    with pytest.raises(files.FilesError, match="offset must be 0 or more"):
        await tool.call({"path": "long.txt", "offset": -5})


async def test_a_file_over_the_size_limit_says_it_is_cut(root: Path) -> None:
    """Reading in parts reaches the end of what is read: the model must not take it for the file's end."""
    (root / "big.txt").write_text("0123456789" * 120)
    tool = {t.name: t for t in files.toolset(root, max_read_chars=600, max_file_bytes=1000)}["read_file"]
    first = await tool.call({"path": "big.txt"})
    assert first.endswith(
        "[... characters 0-600 of 1000 shown; call again with offset=600 (only the first 1000 bytes of "
        "this longer file are read)]"
    )
    last = await tool.call({"path": "big.txt", "offset": 600})
    assert last.startswith("0123456789") and last.endswith(
        "[the file goes on past the first 1000 bytes, which are all that read_file reads]"
    )
    assert await run(root, "read_file", path="notes.txt") == "first line\nSecond Line mentions pip\n"


async def test_listing_is_capped(root: Path) -> None:
    for i in range(8):
        (root / "docs" / f"extra{i}.md").write_text("x")
    listing = {t.name: t for t in files.toolset(root, max_entries=3)}["list_files"]
    text = await listing.call({"recursive": True})
    assert text.splitlines()[-1] == "... more entries not shown (the first 3 are listed)"
    assert len(text.splitlines()) == 4


async def test_a_walk_cut_short_by_a_huge_tree_says_so(root: Path) -> None:
    """A recursive listing or a search stops after 20,000 entries (folders count too, so a tree of empty
    folders cannot stall it either); what it did not reach must not read as 'not there'."""
    many = root / "docs" / "many"
    many.mkdir()
    for i in range(20_100):
        (many / f"{i}").mkdir()
    (root / "zz").mkdir()
    (root / "zz" / "needle.txt").write_text("needle\n")  # walked after docs/many/*
    listing = await run(root, "list_files", recursive=True, pattern="needle.txt")
    assert listing == (
        "(no entries in . matching 'needle.txt' among the first 20000 files and folders of a large tree; "
        "give a sub-folder as path to see the rest)"
    )
    found = await run(root, "search_files", query="needle")
    assert found == (
        "no line matches 'needle' in the first 20000 files and folders of a large tree; "
        "give a sub-folder as path to search the rest"
    )
    (root / "docs" / "many" / "0" / "hay.txt").write_text("needle in the hay\n")
    assert await run(root, "search_files", query="needle") == (
        "docs/many/0/hay.txt:1: needle in the hay\n... (searched the first 20000 files and folders of a "
        "large tree; give a sub-folder as path to search the rest)"
    )
    assert await run(root, "search_files", query="needle", path="zz") == "zz/needle.txt:1: needle"


async def test_read_refuses_binary_and_folders(root: Path) -> None:
    with pytest.raises(files.FilesError, match="binary"):
        await run(root, "read_file", path="image.bin")
    with pytest.raises(files.FilesError, match="not a file"):
        await run(root, "read_file", path="docs")
    with pytest.raises(files.FilesError, match="does not exist"):
        await run(root, "read_file", path="nope.txt")


async def test_search(root: Path) -> None:
    hits = await run(root, "search_files", query="PIP")
    assert hits == "notes.txt:2: Second Line mentions pip\ndocs/guide.md:2: Install with pip."
    assert await run(root, "search_files", query=r"^then", regex=True) == "docs/guide.md:3: Then run it."
    assert "no line matches" in await run(root, "search_files", query="zebra")
    with pytest.raises(files.FilesError, match="invalid regular expression"):
        await run(root, "search_files", query="(", regex=True)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_search_skips_named_pipes(root: Path) -> None:
    """Opening a pipe nobody writes to blocks for ever: a search must not try."""
    pipe = root / "pipe.txt"
    os.mkfifo(pipe)
    found: list[str] = []
    search = functools.partial(run, root, "search_files", query="Guide")
    worker = threading.Thread(target=lambda: found.append(anyio.run(search)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # unblock the reader stuck on the pipe before failing
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
    assert found == ["docs/guide.md:1: # Guide"]


async def test_write_append_and_delete(root: Path) -> None:
    assert (
        await run(root, "write_file", path="out/new.txt", content="hello")
        == "wrote 5 characters to out/new.txt"
    )
    await run(root, "write_file", path="out/new.txt", content=" world", append=True)
    assert (root / "out" / "new.txt").read_text() == "hello world"
    with pytest.raises(files.FilesError, match="not empty"):
        await run(root, "delete_file", path="out")
    assert await run(root, "delete_file", path="out/new.txt") == "deleted out/new.txt"
    await run(root, "delete_file", path="out")
    assert not (root / "out").exists()
    with pytest.raises(files.FilesError, match="root folder itself"):
        await run(root, "delete_file", path=".")


# --------------------------------------------------------------------------- escapes


@pytest.mark.parametrize("name", ["read_file", "list_files", "write_file", "delete_file", "search_files"])
@pytest.mark.parametrize(
    "path", ["../outside/secret.txt", "docs/../../outside/secret.txt", "..", "docs\\..\\.."]
)
async def test_dot_dot_is_refused(root: Path, name: str, path: str) -> None:
    arguments: dict[str, Any] = {"path": path}
    if name == "write_file":
        arguments["content"] = "pwned"
    if name == "search_files":
        arguments["query"] = "SECRET"
    with pytest.raises(files.FilesError, match=r"'\.\.' is not allowed"):
        await tools_for(root)[name].call(arguments)
    assert (root.parent / "outside" / "secret.txt").read_text() == "TOP SECRET pip\n"


@pytest.mark.parametrize("name", ["read_file", "list_files", "write_file", "delete_file", "search_files"])
@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("notes.txt\x00.md", "NUL character"),
        ("x" * 300, "at most 255 bytes"),
        ("/".join(["deep"] * 1100), "at most 1,000 characters"),
    ],
)
async def test_impossible_names_are_refused_without_showing_the_root(
    root: Path, name: str, path: str, reason: str
) -> None:
    """Such a path failed in the operating system, with a ValueError or an OSError that named the
    root's absolute path; a path of 1,100 folders could be written, and then broke every recursive walk."""
    arguments: dict[str, Any] = {"path": path}
    if name == "write_file":
        arguments["content"] = "x"
    if name == "search_files":
        arguments["query"] = "pip"
    with pytest.raises(files.FilesError, match=reason) as caught:
        await tools_for(root)[name].call(arguments)
    assert str(root) not in str(caught.value) and len(str(caught.value)) < 300
    assert sorted(os.listdir(root)) == [".git", "docs", "image.bin", "notes.txt"]


@pytest.mark.parametrize("name", ["read_file", "write_file", "delete_file"])
async def test_absolute_paths_are_refused(root: Path, name: str) -> None:
    target = root.parent / "outside" / "secret.txt"
    for path in (str(target), "/etc/passwd", "~/secret.txt", "C:\\Windows\\win.ini", "\\\\server\\share"):
        arguments: dict[str, Any] = {"path": path}
        if name == "write_file":
            arguments["content"] = "pwned"
        with pytest.raises(files.FilesError, match="not an absolute one"):
            await tools_for(root)[name].call(arguments)
    assert target.read_text() == "TOP SECRET pip\n"


async def test_symlinked_folder_leading_out_is_refused(root: Path) -> None:
    (root / "escape").symlink_to(root.parent / "outside", target_is_directory=True)
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await run(root, "read_file", path="escape/secret.txt")
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await run(root, "write_file", path="escape/new.txt", content="pwned")
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await run(root, "list_files", path="escape")
    assert not (root.parent / "outside" / "new.txt").exists()
    assert await run(root, "search_files", query="TOP SECRET") == "no line matches 'TOP SECRET'"
    listing = await run(root, "list_files")
    assert "escape (link outside the root folder: not accessible)" in listing


async def test_symlinked_file_leading_out_is_refused(root: Path) -> None:
    target = root.parent / "outside" / "secret.txt"
    (root / "link.txt").symlink_to(target)
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await run(root, "read_file", path="link.txt")
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await run(root, "write_file", path="link.txt", content="pwned")
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await run(root, "delete_file", path="link.txt")
    assert target.read_text() == "TOP SECRET pip\n"


async def test_symlinks_inside_the_root_work(root: Path) -> None:
    (root / "guide-link.md").symlink_to(root / "docs" / "guide.md")
    assert (await run(root, "read_file", path="guide-link.md")).startswith("# Guide")
    await run(root, "delete_file", path="guide-link.md")
    assert not os.path.lexists(root / "guide-link.md")
    assert (root / "docs" / "guide.md").exists()


async def test_a_root_given_through_a_symlink_works(root: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(root, target_is_directory=True)
    tool = {t.name: t for t in files.toolset(tmp_path / "alias")}["read_file"]
    assert (await tool.call({"path": "notes.txt"})).startswith("first line")
