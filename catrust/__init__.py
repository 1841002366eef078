"""catrust: trust private CAs from a folder on top of the system roots, with verification always on.

    import catrust
    client = catrust.httpx_client()          # shared context: system roots + /custom/ca
    ctx = catrust.ssl_context()              # for any library that takes an SSLContext
    path = catrust.ca_bundle_path()          # for SDKs that want a file
"""

from .defaults import ca_bundle_path, default_store, ssl_context
from .errors import CatrustError, ConfigError
from .httpx_clients import httpx_async_client, httpx_client
from .model import Certificate, Duplicate, Rejection
from .store import TrustStore

__all__ = [
    "CatrustError",
    "Certificate",
    "ConfigError",
    "Duplicate",
    "Rejection",
    "TrustStore",
    "ca_bundle_path",
    "default_store",
    "httpx_async_client",
    "httpx_client",
    "ssl_context",
]
__version__ = "0.1.0"
