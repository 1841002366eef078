"""Change a CA folder the two ways it happens: the kubelet's atomic volume update, and plain edits."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path


def publish(folder: Path, payload: dict[str, bytes]) -> None:
    """Steps 5-11 of the kubelet's AtomicWriter.Write, in its order, for a Secret/ConfigMap volume.

    The files go into a new `..<timestamp>.<random>` folder; a `..data_tmp` symlink to it is
    renamed over `..data` (the one atomic step); symlinks `name -> ..data/name` are created for
    new names, names no longer in the payload are unlinked, and the old timestamped folder goes.
    """
    data = folder / "..data"
    old = os.readlink(data) if data.is_symlink() else None
    stamp = datetime.now(timezone.utc).strftime("..%Y_%m_%d_%H_%M_%S.")
    fresh = Path(tempfile.mkdtemp(prefix=stamp, dir=folder))
    fresh.chmod(0o755)
    for name, content in payload.items():
        (fresh / name).write_bytes(content)
        (fresh / name).chmod(0o644)
    os.symlink(fresh.name, folder / "..data_tmp")
    os.rename(folder / "..data_tmp", data)
    for name in payload:
        if not os.path.lexists(folder / name):
            os.symlink(f"..data/{name}", folder / name)
    for name in os.listdir(folder):
        if not name.startswith(".") and name not in payload:
            os.unlink(folder / name)
    if old:
        shutil.rmtree(folder / old)


def edit(folder: Path, payload: dict[str, bytes]) -> None:
    """Plain edits, as a person or a script makes them: rewrite changed files in place, delete removed ones."""
    for name, content in payload.items():
        path = folder / name
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
    for name in os.listdir(folder):
        if not name.startswith(".") and name not in payload:
            os.unlink(folder / name)
