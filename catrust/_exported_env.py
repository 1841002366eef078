"""Environment variables for programs and SDKs that take trust only from the environment."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping

from ._process_trust import ca_bundle_path, custom_bundle_path, default_store
from ._trust.bundle import SYSTEM_CERT_FILE, is_catrust_bundle

# Every variable here is read as "the whole set of roots" by its consumer, so each gets the merged bundle.
MERGED_BUNDLE_VARS = (
    "SSL_CERT_FILE",  # OpenSSL, Python's ssl default context, curl, Go
    "REQUESTS_CA_BUNDLE",  # requests (which ignores SSL_CERT_FILE)
    "CURL_CA_BUNDLE",  # curl, and requests' fallback
    "AWS_CA_BUNDLE",  # botocore, the AWS CLI
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",  # grpcio/BoringSSL, which ignores Python's ssl
    "PGSSLROOTCERT",  # libpq: psycopg, psql
)


def environ() -> dict[str, str]:
    """Variables pointing SDKs at the merged bundle in force; `NODE_EXTRA_CA_CERTS` at the custom CAs only."""
    store = default_store()
    return variables(ca_bundle_path(), custom_bundle_path() if store.custom else None)


def variables(merged: str, custom: str | None) -> dict[str, str]:
    """The variables for files already written. Node adds NODE_EXTRA_CA_CERTS to its own roots, so
    it gets only what it lacks, and nothing when there are no custom CAs (it warns on an empty file)."""
    env = {name: merged for name in MERGED_BUNDLE_VARS}
    if custom:
        env["NODE_EXTRA_CA_CERTS"] = custom
    return {**env, **system_cert_file()}


def system_cert_file(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """CATRUST_SYSTEM_CERT_FILE for a child whose SSL_CERT_FILE is about to name a catrust bundle: the file
    this process reads its system roots from, when SSL_CERT_FILE names one. A child's catrust skips a
    catrust bundle in SSL_CERT_FILE, and would otherwise fall back to the OS bundle, losing those roots."""
    current = env.get("SSL_CERT_FILE")
    if not current or is_catrust_bundle(current):
        return {}
    return {SYSTEM_CERT_FILE: current}


def format_sh(env: dict[str, str]) -> str:
    """`export` lines that are safe to `eval`: every value is shell-quoted."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def format_json(env: dict[str, str]) -> str:
    return json.dumps(env, indent=2) + "\n"
