"""Real server programs on 127.0.0.1 for the SDK tests: free ports, temporary folders, stopped afterwards.

A missing program or SDK skips the test on a laptop, with the reason, and fails it under CI=true:
a skip must never hide a gap. `scripts/install-test-servers` installs the programs.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.certkit import Leaf, pem

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def missing(what: str, how: str) -> None:
    message = f"{what} is not available ({how})"
    if IN_CI:
        pytest.fail(f"{message}; CI must run every test")
    pytest.skip(message)


def program(name: str, *extra_dirs: Path) -> str:
    found = shutil.which(name) or next((str(d / name) for d in extra_dirs if (d / name).exists()), None)
    if not found:
        missing(name, "run scripts/install-test-servers")
    assert found
    return found


def sdk(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        missing(f"Python package for {module}", "pip install -e '.[test]'")
        raise


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def workdir(owner: str | None = None) -> Iterator[Path]:
    """A temporary folder the server's user can use (PostgreSQL refuses to run as root)."""
    path = Path(tempfile.mkdtemp(prefix="catrust-srv-"))
    try:
        if owner:
            user = pwd.getpwnam(owner)
            os.chown(path, user.pw_uid, user.pw_gid)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_tls_files(folder: Path, leaf: Leaf, client_ca_pem: bytes | None, owner: str | None = None) -> None:
    (folder / "server.crt").write_bytes(leaf.chain_pem)
    key = folder / "server.key"
    key.write_bytes(leaf.key_pem)
    key.chmod(0o600)
    if client_ca_pem:
        (folder / "client-ca.crt").write_bytes(client_ca_pem)
    if owner:
        user = pwd.getpwnam(owner)
        for f in folder.iterdir():
            os.chown(f, user.pw_uid, user.pw_gid)


@contextlib.contextmanager
def running(
    cmd: list[str],
    port: int,
    folder: Path,
    *,
    user: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Iterator[int]:
    """Start `cmd` in its own process group, wait for its port, and stop the whole group afterwards."""
    log = folder / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
            start_new_session=True,
            env={**os.environ, **(env or {})},
            user=user if user and os.geteuid() == 0 else None,
        )
    try:
        wait_for_port(port, proc, log, timeout)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def redis_server(leaf: Leaf, client_ca_pem: bytes | None = None) -> Iterator[int]:
    binary = program("redis-server")
    port = free_port()
    with workdir() as folder:
        write_tls_files(folder, leaf, client_ca_pem)
        cmd = [
            binary,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--tls-cert-file",
            str(folder / "server.crt"),
            "--tls-key-file",
            str(folder / "server.key"),
        ]
        if client_ca_pem:
            cmd += ["--tls-ca-cert-file", str(folder / "client-ca.crt"), "--tls-auth-clients", "yes"]
        else:
            cmd += ["--tls-auth-clients", "no"]
        with running(cmd, port, folder):
            yield port


@contextlib.contextmanager
def postgres_server(leaf: Leaf, client_ca_pem: bytes | None = None) -> Iterator[int]:
    """initdb into a temporary folder, ssl=on; with a client CA, clients must present a certificate."""
    bin_dirs = POSTGRES_BIN
    initdb = program("initdb", *bin_dirs)
    postgres = program("postgres", *bin_dirs)
    owner = "postgres" if os.geteuid() == 0 else None
    if owner:
        try:
            pwd.getpwnam(owner)
        except KeyError:
            missing("the postgres user", "install the postgresql package")
    port = free_port()
    with workdir(owner) as folder:
        data = folder / "data"
        subprocess.run(
            [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            user=owner,
        )
        write_tls_files(folder, leaf, client_ca_pem, owner)
        method = "cert" if client_ca_pem else "trust"
        (data / "pg_hba.conf").write_text(f"hostssl all all 127.0.0.1/32 {method}\n")
        conf = [
            f"port={port}",
            "listen_addresses='127.0.0.1'",
            f"unix_socket_directories='{folder}'",
            "ssl=on",
            f"ssl_cert_file='{folder / 'server.crt'}'",
            f"ssl_key_file='{folder / 'server.key'}'",
            "fsync=off",
            "shared_buffers=16MB",
        ]
        if client_ca_pem:
            conf.append(f"ssl_ca_file='{folder / 'client-ca.crt'}'")
        with open(data / "postgresql.conf", "a") as f:
            f.write("\n".join(conf) + "\n")
        with running([postgres, "-D", str(data)], port, folder, user=owner):
            yield port


@contextlib.contextmanager
def nats_server(leaf: Leaf) -> Iterator[int]:
    binary = program("nats-server")
    port = free_port()
    with workdir() as folder:
        write_tls_files(folder, leaf, None)
        cmd = [
            binary,
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "--tls",
            "--tlscert",
            str(folder / "server.crt"),
            "--tlskey",
            str(folder / "server.key"),
        ]
        with running(cmd, port, folder):
            yield port


@contextlib.contextmanager
def rabbitmq_server(leaf: Leaf) -> Iterator[int]:
    """A RabbitMQ node in a temporary folder with only a TLS listener (guest/guest works on loopback)."""
    binary = program("rabbitmq-server", Path("/usr/sbin"), Path("/usr/lib/rabbitmq/bin"))
    owner = "rabbitmq" if os.geteuid() == 0 else None  # Debian's wrapper switches to this user
    port, dist_port = free_port(), free_port()
    with workdir(owner) as folder:
        write_tls_files(folder, leaf, None, owner)
        (folder / "rabbitmq.conf").write_text(
            f"listeners.tcp = none\nlisteners.ssl.default = 127.0.0.1:{port}\n"
            f"ssl_options.certfile = {folder / 'server.crt'}\nssl_options.keyfile = {folder / 'server.key'}\n"
            "ssl_options.verify = verify_none\nssl_options.fail_if_no_peer_cert = false\n"
        )
        (folder / "enabled_plugins").write_text("[].\n")
        env = {
            "HOME": str(folder),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_NODENAME": f"catrust{port}@localhost",
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
        }
        if owner:
            for f in folder.iterdir():
                os.chown(f, pwd.getpwnam(owner).pw_uid, pwd.getpwnam(owner).pw_gid)
        try:
            with running([binary], port, folder, env=env, timeout=120):
                yield port
        finally:
            _stop_node(env["RABBITMQ_NODENAME"])


def _stop_node(node: str) -> None:
    """Debian's wrapper starts the node in a session of its own (as the rabbitmq user), so stopping
    the wrapper's process group leaves the Erlang VM and epmd running: find them by the node name."""
    marker = f"RABBITMQ_NODENAME={node}".encode()
    for attempt in (signal.SIGTERM, signal.SIGKILL):
        left = processes_with(marker)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, attempt)
        deadline = time.monotonic() + 15
        while left and time.monotonic() < deadline:
            left = [pid for pid in left if Path(f"/proc/{pid}").exists()]
            time.sleep(0.1)
        if not left:
            break
    subprocess.run(["epmd", "-kill"], capture_output=True, check=False)  # started by the node, serves no test


def processes_with(marker: bytes) -> list[int]:
    """The processes other than this one whose environment holds `marker` (NAME=value): a daemon leaves the
    process tree but keeps its environment. A process that is gone, or not ours to read, is skipped."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@contextlib.contextmanager
def grpc_echo_server(leaf: Leaf, client_ca_pem: bytes | None = None) -> Iterator[int]:
    """A grpcio server with TLS and one raw-bytes method, `/catrust.Echo/Ping`, returning its input."""
    grpc = sdk("grpc")
    from concurrent import futures

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handler = grpc.method_handlers_generic_handler(
        "catrust.Echo", {"Ping": grpc.unary_unary_rpc_method_handler(lambda request, context: request)}
    )
    server.add_generic_rpc_handlers((handler,))
    creds = grpc.ssl_server_credentials(
        [(leaf.key_pem, leaf.chain_pem)], root_certificates=client_ca_pem, require_client_auth=client_ca_pem is not None
    )
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    try:
        yield port
    finally:
        server.stop(grace=None)


@contextlib.contextmanager
def moto_https_server(leaf: Leaf) -> Iterator[int]:
    """moto's AWS emulator (the same app as `moto_server`) behind TLS, for boto3."""
    sdk("moto")
    import threading

    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from tests.support.tlsserver import server_context

    ctx = server_context(leaf)
    ctx.set_alpn_protocols(["http/1.1"])
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ctx)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(10)


__all__ = [
    "IN_CI",
    "grpc_echo_server",
    "moto_https_server",
    "nats_server",
    "pem",
    "postgres_server",
    "rabbitmq_server",
    "redis_server",
    "sdk",
]
