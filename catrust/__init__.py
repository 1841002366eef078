"""catrust: trust private CAs from a folder on top of the system roots, with verification always on.

    import catrust
    client = catrust.httpx_client()          # shared context: system roots + /custom/ca
    ctx = catrust.ssl_context()              # for any library that takes an SSLContext
    path = catrust.ca_bundle_path()          # for SDKs that want a file

The trust follows the folder: `reload()` checks now, accesses re-check every
`CATRUST_RELOAD_INTERVAL` seconds, `watch()` follows in the background, and `on_change()`
tells code that holds trust of its own when to rebuild it.
"""

from .defaults import ca_bundle_path, default_store, generation, on_change, reload, ssl_context
from .errors import CatrustError, ConfigError
from .httpx_clients import httpx_async_client, httpx_client
from .model import Certificate, Duplicate, Rejection
from .store import TrustStore
from .watcher import watch

__all__ = [
    "CatrustError",
    "Certificate",
    "ConfigError",
    "Duplicate",
    "Rejection",
    "TrustStore",
    "ca_bundle_path",
    "default_store",
    "generation",
    "httpx_async_client",
    "httpx_client",
    "on_change",
    "reload",
    "ssl_context",
    "watch",
]
__version__ = "0.1.0"
