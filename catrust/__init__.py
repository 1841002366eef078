"""catrust: trust private CAs from a folder on top of the system roots, with verification always on.

    import catrust
    client = catrust.httpx_client()          # shared context: system roots + /custom/ca
    ctx = catrust.ssl_context()              # for any library that takes an SSLContext
    path = catrust.ca_bundle_path()          # for SDKs that want a file
    kw = catrust.clients.redis_kwargs()      # one call per SDK: see catrust.clients

    # a system's own components: generate/rotate certificates, then mutual TLS that follows rotation
    catrust.ensure_cert_dir("/certs", catrust.service_dns_names("my-svc", "my-ns"))
    mtls = catrust.MutualTLS("/certs")       # .server_context(), .client_context()
"""

from . import clients
from .defaults import ca_bundle_path, default_store, ssl_context
from .environ import environ
from .errors import CatrustError, ConfigError
from .httpx_clients import httpx_async_client, httpx_client
from .model import Certificate, Duplicate, Rejection
from .mtls import MutualTLS
from .rotation import CertOptions, Rotation, ensure_cert_dir, service_dns_names
from .settings import parse_bool
from .store import TrustStore
from .trigger_tls import tls_context

__all__ = [
    "CatrustError",
    "CertOptions",
    "Certificate",
    "ConfigError",
    "Duplicate",
    "MutualTLS",
    "Rejection",
    "Rotation",
    "TrustStore",
    "ca_bundle_path",
    "clients",
    "default_store",
    "ensure_cert_dir",
    "environ",
    "httpx_async_client",
    "httpx_client",
    "parse_bool",
    "service_dns_names",
    "ssl_context",
    "tls_context",
]
__version__ = "0.1.0"
