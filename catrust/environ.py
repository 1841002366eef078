"""Environment variables for programs and SDKs that take trust only from the environment."""

from __future__ import annotations

import json
import shlex

from . import bundle
from .defaults import bundle_path_for, cache_file, default_store
from .store import TrustStore

# Every variable here is read as "the whole set of roots" by its consumer, so each gets the merged bundle.
MERGED_BUNDLE_VARS = (
    "SSL_CERT_FILE",  # OpenSSL, Python's ssl default context, curl, Go
    "REQUESTS_CA_BUNDLE",  # requests (which ignores SSL_CERT_FILE)
    "CURL_CA_BUNDLE",  # curl, and requests' fallback
    "AWS_CA_BUNDLE",  # botocore, the AWS CLI
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",  # grpcio/BoringSSL, which ignores Python's ssl
    "PGSSLROOTCERT",  # libpq: psycopg, psql
)


def environ(store: TrustStore | None = None) -> dict[str, str]:
    """Variables pointing SDKs at the merged bundle; `NODE_EXTRA_CA_CERTS` at the custom CAs only.

    Node adds NODE_EXTRA_CA_CERTS to its own roots, so it gets only what it lacks. It is left
    out when there are no custom CAs, since Node warns about a file with no certificate.
    """
    store = store or default_store()
    merged = bundle_path_for(store)
    env = {name: merged for name in MERGED_BUNDLE_VARS}
    if store.custom:
        text = bundle.render(store.custom)
        path = cache_file("ca-custom", text)
        bundle.write_atomic(path, text.encode("ascii"))
        env["NODE_EXTRA_CA_CERTS"] = path
    return env


def format_sh(env: dict[str, str]) -> str:
    """`export` lines that are safe to `eval`: every value is shell-quoted."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def format_json(env: dict[str, str]) -> str:
    return json.dumps(env, indent=2) + "\n"
