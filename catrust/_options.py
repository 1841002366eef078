"""Settings from arguments and the environment; an invalid value is an error, never a silent default.

The trust store's settings are resolved once into an `Options` and passed whole. The variables:

    CATRUST_CA_DIRS                  the CA folders (os.pathsep-separated; default /custom/ca, KEDA's)
    CATRUST_MAX_FILE_SIZE            the size cap for one CA file (default _files.MAX_FILE_SIZE)
    CATRUST_RELOAD_INTERVAL          how often an access re-checks the folders (process-wide trust)
    CATRUST_MIN_TLS_VERSION          else KEDA's KEDA_HTTP_MIN_TLS_VERSION (TLS12, TLS13)
    CATRUST_TLS_CIPHERS              else KEDA's KEDA_HTTP_TLS_CIPHER_LIST (Go's names)
    CATRUST_SERVICE_MIN_TLS_VERSION  else KEDA's KEDA_SERVICE_MIN_TLS_VERSION (component mutual TLS)
    CATRUST_SERVICE_TLS_CIPHERS      else KEDA's KEDA_SERVICE_TLS_CIPHER_LIST

catrust's own variables are strict; KEDA's are read the way KEDA reads them (see `_tls_version`).
"""

from __future__ import annotations

import logging
import math
import os
import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._files import MAX_FILE_SIZE
from ._text import printable
from .errors import ConfigError

log = logging.getLogger("catrust")

DEFAULT_CA_DIR = "/custom/ca"  # KEDA's folder
DEFAULT_RELOAD_INTERVAL = 10.0  # seconds between on-access checks of the folders
DEFAULT_WATCH_INTERVAL = 2.0  # seconds between a watcher's checks: a no-change check costs stats only
SYSTEM_MODES = ("auto", "os", "certifi", "none")

_TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
_LEGACY_VERSIONS = {"TLS10": "TLSv1", "TLS11": "TLSv1_1"}  # KEDA's spelling -> ssl.TLSVersion member name
_LEGACY = (
    "TLS 1.0 and 1.1 cannot be negotiated here: OpenSSL refuses them at its default security level, "
    "so every handshake with a server that needs them would fail, and lowering that level would weaken "
    "every connection"
)


CaDirs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


@dataclass(frozen=True)
class Options:
    """How the trust store loads, resolved once: every step gets this object, never loose arguments."""

    ca_dirs: tuple[str, ...]
    system: str  # one of SYSTEM_MODES
    max_file_size: int
    min_tls_version: ssl.TLSVersion
    ciphers: str | None  # TLS 1.2 suites in OpenSSL syntax; None: OpenSSL's defaults

    @classmethod
    def resolve(
        cls,
        ca_dirs: CaDirs | None = None,
        *,
        system: str = "auto",
        max_file_size: int | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> Options:
        """Arguments first, then the environment, then the defaults; raises ConfigError on an invalid value."""
        return cls(
            ca_dirs=resolve_ca_dirs(ca_dirs, env),
            system=system_mode(system),
            max_file_size=resolve_max_file_size(max_file_size, env),
            min_tls_version=min_tls_version(env),
            ciphers=tls_ciphers(env),
        )


def resolve_ca_dirs(given: CaDirs | None, env: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The argument, else `CATRUST_CA_DIRS` (split on os.pathsep), else KEDA's `/custom/ca`."""
    if given is not None:
        items = [given] if isinstance(given, (str, os.PathLike)) else list(given)
        return tuple(os.fspath(d) for d in items)
    raw = env.get("CATRUST_CA_DIRS")
    if raw is not None and raw.strip():
        return tuple(d for d in raw.split(os.pathsep) if d)
    return (DEFAULT_CA_DIR,)


def system_mode(value: str) -> str:
    if value not in SYSTEM_MODES:
        raise ConfigError(f"system={value!r} is not one of {', '.join(SYSTEM_MODES)}")
    return value


def resolve_max_file_size(given: int | None, env: Mapping[str, str] = os.environ) -> int:
    if given is not None:
        value, source = given, "max_file_size"
    elif env.get("CATRUST_MAX_FILE_SIZE"):
        source = "CATRUST_MAX_FILE_SIZE"
        try:
            value = int(env[source])
        except ValueError:
            raise ConfigError(f"{source}={env[source]!r} is not a whole number of bytes") from None
    else:
        return MAX_FILE_SIZE
    if value <= 0:
        raise ConfigError(f"{source}={value} must be a positive number of bytes")
    return value


def min_tls_version(env: Mapping[str, str] = os.environ) -> ssl.TLSVersion:
    """`CATRUST_MIN_TLS_VERSION`, else KEDA's `KEDA_HTTP_MIN_TLS_VERSION`, else TLS 1.2."""
    return _tls_version("CATRUST_MIN_TLS_VERSION", "KEDA_HTTP_MIN_TLS_VERSION", ssl.TLSVersion.TLSv1_2, env)


def service_min_tls_version(env: Mapping[str, str] = os.environ) -> ssl.TLSVersion:
    """For a system's own components: `CATRUST_SERVICE_MIN_TLS_VERSION`, else KEDA's
    `KEDA_SERVICE_MIN_TLS_VERSION`, else TLS 1.3 (KEDA's chart default)."""
    return _tls_version("CATRUST_SERVICE_MIN_TLS_VERSION", "KEDA_SERVICE_MIN_TLS_VERSION", ssl.TLSVersion.TLSv1_3, env)


def _tls_version(ours: str, kedas: str, default: ssl.TLSVersion, env: Mapping[str, str]) -> ssl.TLSVersion:
    """catrust's variable is strict (an error at load); KEDA's follows KEDA: a value it cannot use is
    logged and replaced, never an outage, but never by a version OpenSSL would then refuse."""
    if env.get(ours):
        return tls_version(env[ours], ours)
    raw = env.get(kedas)
    if not raw:
        return default
    key = raw.strip().upper()
    if key in _TLS_VERSIONS:
        return _TLS_VERSIONS[key]
    if key in _LEGACY_VERSIONS:
        log.warning("%s=%s asks for TLS 1.0/1.1: %s; using TLS 1.2 as the minimum instead", kedas, key, _LEGACY)
        return ssl.TLSVersion.TLSv1_2
    log.warning(
        "%s=%r is not a TLS version (use TLS12 or TLS13): using %s, as KEDA falls back to its default",
        kedas,
        printable(raw),
        default.name,
    )
    return default


def tls_version(value: str | ssl.TLSVersion, name: str = "min_version") -> ssl.TLSVersion:
    """KEDA's spelling (`TLS12`, `TLS13`) or an `ssl.TLSVersion`; TLS 1.0 and 1.1 are refused with the reason."""
    if isinstance(value, ssl.TLSVersion):
        if value.name in ("SSLv3", *_LEGACY_VERSIONS.values()):
            raise ConfigError(f"{name}={value.name}: {_LEGACY}; use TLS12 or TLS13")
        return value
    key = value.strip().upper()
    if key in _LEGACY_VERSIONS:
        raise ConfigError(f"{name}={value!r}: {_LEGACY}; use TLS12 or TLS13")
    try:
        return _TLS_VERSIONS[key]
    except KeyError:
        raise ConfigError(f"{name}={value!r} is not a TLS version: use TLS12 or TLS13") from None


# Go's names (KEDA_HTTP_TLS_CIPHER_LIST) for the TLS 1.2 suites Go can be configured with.
_GO_CIPHERS = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
}
# TLS 1.3 suites are not configurable in Go or in Python's ssl; naming them is allowed and changes nothing.
_TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}


def tls_ciphers(env: Mapping[str, str] = os.environ) -> str | None:
    """TLS 1.2 cipher suites: `CATRUST_TLS_CIPHERS` (OpenSSL syntax), else `KEDA_HTTP_TLS_CIPHER_LIST` (Go's names)."""
    return _ciphers("CATRUST_TLS_CIPHERS", "KEDA_HTTP_TLS_CIPHER_LIST", env)


def service_tls_ciphers(env: Mapping[str, str] = os.environ) -> str | None:
    """For a system's own components: `CATRUST_SERVICE_TLS_CIPHERS`, else KEDA's `KEDA_SERVICE_TLS_CIPHER_LIST`."""
    return _ciphers("CATRUST_SERVICE_TLS_CIPHERS", "KEDA_SERVICE_TLS_CIPHER_LIST", env)


def _ciphers(ours: str, kedas: str, env: Mapping[str, str]) -> str | None:
    """catrust's variable is OpenSSL syntax, checked strictly; KEDA's follows KEDA's rules.

    Either way the result can never enable anonymous or unencrypted suites, or lower OpenSSL's
    security level: `ALL:@SECLEVEL=0` would let a server with no certificate complete a handshake.
    """
    if env.get(ours):
        text = env[ours].strip()
        if "@SECLEVEL" in text.upper():
            raise ConfigError(
                f"{ours}={text!r} sets @SECLEVEL: catrust never lowers OpenSSL's security level "
                "(at 0, anonymous suites let a server with no certificate pass); remove it"
            )
        return _checked(ours, text)
    if not env.get(kedas):
        return None
    # Like KEDA: both separators, names trimmed, unknown names dropped with one line naming them.
    names = [n.strip() for n in re.split("[,:]", env[kedas]) if n.strip()]
    unknown = [n for n in names if n not in _GO_CIPHERS and n not in _TLS13_SUITES]
    if unknown:
        log.warning(
            "%s names cipher suites catrust does not know, ignored as KEDA ignores them: %s",
            kedas,
            ", ".join(printable(n) for n in unknown),
        )
    known = ":".join(dict.fromkeys(_GO_CIPHERS[n] for n in names if n in _GO_CIPHERS))
    return _checked(kedas, known) if known else None


def _checked(name: str, ciphers: str) -> str:
    """`ciphers` with anonymous and null suites excluded for good, checked against OpenSSL at load."""
    safe = f"{ciphers}:!aNULL:!eNULL"
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        probe.set_ciphers(safe)
    except ssl.SSLError:
        raise ConfigError(f"{name}={printable(ciphers)!r} matches no cipher suite OpenSSL offers") from None
    return safe  # "!" removes for good: nothing later in the string can add those suites back


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_bool(value: str | bool, name: str = "value") -> bool:
    """Go's strconv.ParseBool, which KEDA uses for scaler metadata such as `unsafeSsl`."""
    if isinstance(value, bool):
        return value
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean: use true or false (also 1/0, t/f, TRUE/FALSE)")


def reload_interval(env: Mapping[str, str] = os.environ) -> float:
    """`CATRUST_RELOAD_INTERVAL`: at most how often (seconds) an access re-checks the folders; 0 never."""
    raw = env.get("CATRUST_RELOAD_INTERVAL")
    if not raw:
        return DEFAULT_RELOAD_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"CATRUST_RELOAD_INTERVAL={raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"CATRUST_RELOAD_INTERVAL={raw!r} must be 0 (never re-check) or a number of seconds")
    return value


def watch_interval(value: float) -> float:
    """A watcher's polling interval: a positive number of seconds."""
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"interval={value!r} must be a positive number of seconds")
    return value
