"""The public surface is what catrust/__init__.py curates: adding or removing a name is a decision made here."""

from __future__ import annotations

import importlib.metadata
import pkgutil
import subprocess
import sys

import catrust
import catrust.clients

PUBLIC = {
    # the trust in force for this process
    "default_store", "ssl_context", "ca_bundle_path", "environ", "reload", "generation", "on_change", "watch",
    # every library in the process: Python's defaults and certifi carry the trust in force
    "inject", "extract",
    # clients and per-trigger contexts
    "httpx_client", "httpx_async_client", "clients", "tls_context", "HTTP11", "parse_bool",
    # the store and its records
    "TrustStore", "Certificate", "Rejection", "Duplicate",
    # component certificates
    "ensure_cert_dir", "service_dns_names", "CertOptions", "Rotation", "MutualTLS",
    # the exception tree
    "CatrustError", "ConfigError", "KeyMaterialError", "CertFolderError", "FileError", "FrozenContextError",
}  # fmt: skip
CLIENTS = {
    "httpx_client", "httpx_async_client", "requests_session", "urllib3_pool_manager", "aiohttp_connector",
    "pika_ssl_options", "boto3_kwargs", "redis_kwargs", "psycopg_kwargs", "grpc_credentials",
}  # fmt: skip
PUBLIC_MODULES = {"catrust", "catrust.clients", "catrust.errors", "catrust.__main__"}
SDKS = {"aiohttp", "boto3", "botocore", "grpc", "nats", "pika", "psycopg", "redis", "requests", "urllib3", "websockets"}


def test_the_exported_names_are_pinned() -> None:
    assert set(catrust.__all__) == PUBLIC
    assert len(catrust.__all__) == len(PUBLIC)
    assert all(getattr(catrust, name, None) is not None for name in catrust.__all__)


def test_nothing_else_is_public_by_accident() -> None:
    public = {name for name in dir(catrust) if not name.startswith("_")}
    assert public - PUBLIC == {"errors"}  # the module the exception tree is drawn in


def test_the_sdk_adapters_are_pinned() -> None:
    assert set(catrust.clients.__all__) == CLIENTS
    assert {name for name in dir(catrust.clients) if not name.startswith("_")} == CLIENTS


def test_every_other_module_is_private() -> None:
    """Everything but the public modules has a leading underscore in its own name or in a package's."""
    modules = {info.name for info in pkgutil.walk_packages(catrust.__path__, "catrust.")}
    assert modules, "no modules found"
    for name in modules - PUBLIC_MODULES:
        assert any(part.startswith("_") for part in name.split(".")[1:]), f"{name} is neither public nor private"


def test_the_version_is_written_once() -> None:
    assert importlib.metadata.version("catrust") == catrust.__version__


def test_importing_catrust_imports_no_sdk() -> None:
    """SDKs are optional extras: the core imports none of them, and neither does loading the trust."""
    code = (
        "import sys, catrust; catrust.TrustStore.load([], system='none').ssl_context(); "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "catrust" in loaded
    assert not loaded & SDKS
