"""Environment variables for programs and SDKs that take trust only from the environment."""

from __future__ import annotations

import json
import shlex

from ._process_trust import ca_bundle_path, custom_bundle_path, default_store

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
    return env


def format_sh(env: dict[str, str]) -> str:
    """`export` lines that are safe to `eval`: every value is shell-quoted."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def format_json(env: dict[str, str]) -> str:
    return json.dumps(env, indent=2) + "\n"
