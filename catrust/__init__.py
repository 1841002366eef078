"""catrust: trust private CAs from a folder on top of the system roots, with verification always on.

    import catrust
    client = catrust.httpx_client()          # shared context: system roots + /custom/ca
    ctx = catrust.ssl_context()              # for any library that takes an SSLContext
    path = catrust.ca_bundle_path()          # for SDKs that want a file
    kw = catrust.clients.redis_kwargs()      # one call per SDK: see catrust.clients

    # a system's own components: generate/rotate certificates, then mutual TLS that follows rotation
    catrust.ensure_cert_dir("/certs", catrust.service_dns_names("my-svc", "my-ns"))
    mtls = catrust.MutualTLS("/certs")       # .server_context(), .client_context()

The trust follows the folder: `reload()` checks now, accesses re-check every
`CATRUST_RELOAD_INTERVAL` seconds, `watch()` follows in the background, and `on_change()`
tells code that holds trust of its own when to rebuild it.
"""

from . import clients
from ._certs.mtls import MutualTLS
from ._certs.rotation import CertOptions, Rotation, ensure_cert_dir, service_dns_names
from ._exported_env import environ
from ._inject import extract, inject
from ._options import parse_bool
from ._process_trust import (
    ca_bundle_path,
    default_store,
    generation,
    on_change,
    reload,
    ssl_context,
)
from ._trigger_tls import HTTP11, tls_context
from ._trust.model import Certificate, Duplicate, Rejection
from ._trust.store import TrustStore
from ._watcher import watch
from .clients import httpx_async_client, httpx_client
from .errors import (
    CatrustError,
    CertFolderError,
    ConfigError,
    FileError,
    FrozenContextError,
    KeyMaterialError,
)

__all__ = [
    "HTTP11",
    "CatrustError",
    "CertFolderError",
    "CertOptions",
    "Certificate",
    "ConfigError",
    "Duplicate",
    "FileError",
    "FrozenContextError",
    "KeyMaterialError",
    "MutualTLS",
    "Rejection",
    "Rotation",
    "TrustStore",
    "ca_bundle_path",
    "clients",
    "default_store",
    "ensure_cert_dir",
    "environ",
    "extract",
    "generation",
    "httpx_async_client",
    "httpx_client",
    "inject",
    "on_change",
    "parse_bool",
    "reload",
    "service_dns_names",
    "ssl_context",
    "tls_context",
    "watch",
]
__version__ = "0.1.0"
