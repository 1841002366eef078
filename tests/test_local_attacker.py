"""A local attacker gets nothing: what another user plants is refused, replaced or never followed.

The suite runs as root, so the victim runs in a forked child that drops to `nobody`, and the
attacker's files are made as root and given to another uid: two real users, one machine.
"""

from __future__ import annotations

import os
import pickle
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catrust import CatrustError, MutualTLS, TrustStore, _files, ensure_cert_dir
from catrust._certs import folder as certdir
from tests.support.certdirkit import FAST, NAMES
from tests.support.certkit import CA
from tests.support.servers import missing

VICTIM = 65534  # nobody
ATTACKER = 4242


def as_victim(call: Callable[[], object]) -> object:
    """Run `call` in a child that is the victim user; returns its result or the exception it raised."""
    if os.geteuid() != 0:
        missing("a second user", "dropping to another user needs root: run the suite as root, as CI does")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(VICTIM)
            os.setuid(VICTIM)
            try:
                result: object = call()
            except Exception as exc:  # noqa: BLE001 - handed to the parent to judge
                result = CatrustError(str(exc)) if isinstance(exc, CatrustError) else RuntimeError(repr(exc))
            os.write(write, pickle.dumps(result))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return pickle.loads(data)


@pytest.fixture
def tmp() -> Iterator[Path]:
    """A /tmp of our own that both users can reach: world-writable and sticky, like the real one
    (pytest's own temporary folders are private to root, so the victim could not reach them)."""
    folder = Path(tempfile.mkdtemp(prefix="catrust-attacker-test-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


def private_dir_in(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], object]:
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/no-such-cache")  # the victim cannot make one there
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    return _files.private_dir


def test_the_victim_gets_a_private_folder_when_nobody_interferes(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = as_victim(private_dir_in(tmp, monkeypatch))
    assert folder == str(tmp / f"catrust-{VICTIM}")
    st = os.lstat(tmp / f"catrust-{VICTIM}")
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == VICTIM and stat.S_IMODE(st.st_mode) == 0o700


def test_a_link_planted_where_the_cache_folder_goes_is_never_followed(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link points at a folder of the victim's own, so every check through it passes; but the
    attacker owns the link and can re-point it at their own folder after the check."""
    victims = tmp / "victims-own"
    victims.mkdir(mode=0o700)
    os.chown(victims, VICTIM, VICTIM)
    link = tmp / f"catrust-{VICTIM}"
    link.symlink_to(victims)
    os.lchown(link, ATTACKER, ATTACKER)
    result = as_victim(private_dir_in(tmp, monkeypatch))
    assert isinstance(result, CatrustError) and "symbolic link" in str(result)


def test_a_cache_folder_another_user_made_is_refused(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = tmp / f"catrust-{VICTIM}"
    planted.mkdir()
    planted.chmod(0o777)  # open to the victim, who would happily write its bundle there
    os.chown(planted, ATTACKER, ATTACKER)
    result = as_victim(private_dir_in(tmp, monkeypatch))
    assert isinstance(result, CatrustError) and f"another user (uid {ATTACKER})" in str(result)


def test_a_bundle_file_another_user_planted_with_the_right_content_is_replaced(tmp_path: Path) -> None:
    """Kept as "unchanged", it would stay theirs: they could rewrite the trust later."""
    target = tmp_path / "bundle.pem"
    content = CA("planted").cert_pem
    target.write_bytes(content)
    os.chown(target, ATTACKER, ATTACKER)
    assert _files.write_atomic(str(target), content)
    assert os.stat(target).st_uid == os.geteuid() and target.read_bytes() == content
    assert not _files.write_atomic(str(target), content)  # ours now: unchanged is unchanged


@pytest.fixture
def cert_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "certs"
    ensure_cert_dir(folder, NAMES, options=FAST)
    return folder


def test_a_certificate_folder_of_another_user_is_refused(cert_dir: Path) -> None:
    os.chown(cert_dir, ATTACKER, ATTACKER)
    for use in (
        lambda: MutualTLS(cert_dir),
        lambda: certdir.read(str(cert_dir)),
        lambda: ensure_cert_dir(cert_dir, NAMES, options=FAST),
    ):
        with pytest.raises(CatrustError, match=f"belongs to another user \\(uid {ATTACKER}\\)"):
            use()


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_a_certificate_folder_others_can_write_is_refused(cert_dir: Path, mode: int) -> None:
    cert_dir.chmod(mode)
    with pytest.raises(CatrustError, match="writable by other users"):
        MutualTLS(cert_dir)


def test_a_root_owned_sticky_folder_is_not_enough(cert_dir: Path) -> None:
    """Found in review: in a sticky folder another user can still add `..data` pointing at their own set."""
    cert_dir.chmod(0o1777)
    os.chown(cert_dir, 0, 0)
    with pytest.raises(CatrustError, match="writable by other users"):
        MutualTLS(cert_dir)


def test_the_lock_file_is_never_opened_through_a_planted_link(cert_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (cert_dir / "..catrust.lock").unlink(missing_ok=True)
    (cert_dir / "..catrust.lock").symlink_to(target)
    with pytest.raises(CatrustError, match="cannot write certificates"), certdir.locked(str(cert_dir)):
        pass
    assert not target.exists()


def test_a_cache_folder_in_a_parent_others_can_write_is_refused(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not sticky: another user could move the checked folder away and put a link in its place."""
    tmp.chmod(0o777)
    result = as_victim(private_dir_in(tmp, monkeypatch))
    assert isinstance(result, CatrustError) and "can be changed by other users" in str(result)


def test_a_read_only_mount_is_fine_however_loose_its_mode(cert_dir: Path, tmp_path: Path) -> None:
    """The kubelet mounts Secret volumes read-only, sometimes with mode 0777: nobody can change them."""
    mount = tmp_path / "secret-volume"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0777", "none", str(mount)], capture_output=True).returncode:
        missing("a tmpfs mount", "mounting needs root and a kernel that allows it")
    try:
        for name in ("ca.crt", "tls.crt", "tls.key"):
            shutil.copy(cert_dir / name, mount / name)
        with pytest.raises(CatrustError, match="writable by other users"):
            MutualTLS(mount)  # the same folder while others can still write it
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        assert MutualTLS(mount).client_context()
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_ca_folder_the_process_cannot_list_is_reported_not_raised(tmp: Path) -> None:
    """A mount the process's user may not read: one named problem for the folder, never an exception."""
    folder = tmp / "ca"
    folder.mkdir(mode=0o700)  # root's, and only root's
    (folder / "ca.pem").write_bytes(CA("unreachable").cert_pem)

    def load() -> tuple[int, list[str]]:  # no system roots: the victim cannot read root's Python install
        store = TrustStore.load(str(folder), system="none")
        return len(store.custom), [r.reason for r in store.rejected]

    result = as_victim(load)
    assert isinstance(result, tuple), result
    custom, reasons = result
    assert custom == 0
    assert reasons == ["the folder cannot be listed: Permission denied"]
