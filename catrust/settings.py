"""Settings from arguments and the environment; an invalid value is an error, never a silent default."""

from __future__ import annotations

import math
import os
import ssl
from collections.abc import Mapping, Sequence

from .errors import ConfigError

DEFAULT_CA_DIR = "/custom/ca"  # KEDA's folder
DEFAULT_MAX_FILE_SIZE = 1024 * 1024
DEFAULT_RELOAD_INTERVAL = 10.0  # seconds between on-access checks of the folders
DEFAULT_WATCH_INTERVAL = 2.0  # seconds between a watcher's checks: a no-change check costs stats only
SYSTEM_MODES = ("auto", "os", "certifi", "none")

_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}


def ca_dirs(given: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
            env: Mapping[str, str] = os.environ) -> tuple[str, ...]:
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


def max_file_size(given: int | None, env: Mapping[str, str] = os.environ) -> int:
    if given is not None:
        value, source = given, "max_file_size"
    elif env.get("CATRUST_MAX_FILE_SIZE"):
        source = "CATRUST_MAX_FILE_SIZE"
        try:
            value = int(env[source])
        except ValueError:
            raise ConfigError(f"{source}={env[source]!r} is not a whole number of bytes") from None
    else:
        return DEFAULT_MAX_FILE_SIZE
    if value <= 0:
        raise ConfigError(f"{source}={value} must be a positive number of bytes")
    return value


def min_tls_version(env: Mapping[str, str] = os.environ) -> ssl.TLSVersion:
    """`CATRUST_MIN_TLS_VERSION`, else KEDA's `KEDA_HTTP_MIN_TLS_VERSION`, else TLS 1.2."""
    for name in ("CATRUST_MIN_TLS_VERSION", "KEDA_HTTP_MIN_TLS_VERSION"):
        raw = env.get(name)
        if raw:
            try:
                return _TLS_VERSIONS[raw.strip().upper()]
            except KeyError:
                raise ConfigError(
                    f"{name}={raw!r} is not a TLS version: use one of {', '.join(_TLS_VERSIONS)}"
                ) from None
    return ssl.TLSVersion.TLSv1_2


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
