"""The shared reader and writer when the system misbehaves: every failure is a reason, never an exception."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from catrust import FileError
from catrust import _files as files


def fail_with(code: int) -> Callable[..., object]:
    def fail(*args: object, **kwargs: object) -> object:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    return path


def test_a_file_that_cannot_be_opened(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files.os, "open", fail_with(errno.EACCES))
    assert files.read(str(small), 100) == files.Unread(str(small), "cannot be opened: Permission denied")
    assert not files.starts_with(str(small), b"-----")


def test_a_file_swapped_for_a_fifo_between_stat_and_open_is_not_read(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat(fifo))  # what the opened file turned out to be
    result = files.read(str(small), 100)
    assert isinstance(result, files.Unread) and "named pipe (FIFO)" in result.reason
    assert not files.starts_with(str(small), b"-----")


def test_a_read_that_fails_midway(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files.os, "read", fail_with(errno.EIO))
    assert files.read(str(small), 100) == files.Unread(str(small), "cannot be read: Input/output error")
    assert not files.starts_with(str(small), b"-----")


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    growing = tmp_path / "growing.pem"
    growing.write_bytes(b"x" * 500)
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat(tmp_path / "small", follow_symlinks=True))
    (tmp_path / "small").write_bytes(b"x")  # what it measured when opened
    result = files.read(str(growing), 100)
    assert isinstance(result, files.Unread) and "over the 100-byte limit" in result.reason


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOENT, "disappeared while the folder was being read"),
        (errno.EACCES, "cannot be read: Permission denied"),
    ],
)
def test_a_stat_that_fails(small: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str) -> None:
    monkeypatch.setattr(files.os, "stat", fail_with(code))
    assert files.read(str(small), 100) == files.Unread(str(small), reason)
    assert not files.starts_with(str(small), b"-----")


def test_a_write_over_a_file_that_cannot_be_examined(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files.os, "stat", fail_with(errno.EACCES))
    with pytest.raises(FileError, match=r"cannot write .*ca\.pem: Permission denied"):
        files.write_atomic(str(small), b"new")


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = small.read_bytes()
    monkeypatch.setattr(files.os, "fsync", fail_with(errno.ENOSPC))
    with pytest.raises(FileError, match=r"No space left on device"):
        files.write_atomic(str(small), b"new content")
    assert small.read_bytes() == before
    assert sorted(p.name for p in small.parent.iterdir()) == ["ca.pem"]


def test_a_folder_that_cannot_be_synced_still_gets_its_file(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def no_folders(path: str, flags: int, *args: int) -> int:
        if os.path.isdir(path):
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
        return real_open(path, flags, *args)

    monkeypatch.setattr(files.os, "open", no_folders)
    assert files.write_atomic(str(small), b"new")
    assert small.read_bytes() == b"new"


def test_the_cache_folder_is_made_private_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache" / "catrust").mkdir(parents=True, mode=0o755)
    (tmp_path / "cache" / "catrust").chmod(0o755)
    assert files.private_dir() == str(tmp_path / "cache" / "catrust")
    assert stat.S_IMODE((tmp_path / "cache" / "catrust").stat().st_mode) == 0o700


def test_no_private_folder_anywhere_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(files.os, "makedirs", fail_with(errno.EROFS))
    with pytest.raises(FileError, match=r"no private cache folder .*Read-only file system.*CATRUST_BUNDLE_PATH"):
        files.private_dir()


def test_a_cache_folder_that_is_a_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    for parent in (tmp_path / "cache", tmp_path / "tmp"):
        parent.mkdir()
    (tmp_path / "cache" / "catrust").write_text("not a folder")
    assert files.private_dir() == str(tmp_path / "tmp" / f"catrust-{os.getuid()}")
