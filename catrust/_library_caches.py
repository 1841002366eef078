"""Contexts libraries build once and keep: those inject() knows how to rebuild, and those it can only name.

A library that made its verifying context at import (aiohttp) or on first use (urllib's opener, on
Python 3.12+) holds the trust of that moment. inject(), each change while injected, and extract()
replace such a context with a new one built the way the library builds it, never by changing the
old one: someone may be using it.
"""

from __future__ import annotations

import logging
import ssl
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ._text import exception_text

log = logging.getLogger("catrust")

# Contexts libraries build once at import, as (module, attribute, how to build one as the library does).
PREBUILT: tuple[tuple[str, str, Callable[[ModuleType], object]], ...] = (
    ("aiohttp.connector", "_SSL_CONTEXT_VERIFIED", lambda module: module._make_ssl_context(True)),
    ("requests.adapters", "_preloaded_ssl_context", lambda module: _requests_context(module)),  # 2.32.0-2.32.4
)


def _requests_context(adapters: ModuleType) -> ssl.SSLContext:
    """As requests 2.32.0-2.32.4 build theirs at import, from the bundle path (patched, while injected)."""
    ctx: ssl.SSLContext = adapters.create_urllib3_context()
    ctx.load_verify_locations(adapters.extract_zipped_paths(adapters.DEFAULT_CA_BUNDLE_PATH))
    return ctx


def module_namespaces() -> list[tuple[str, dict[str, Any]]]:
    """The globals of every loaded module but catrust's own, read without running any module code.

    type(), not isinstance(): cffi's compiled `lib` objects claim to be modules and have no __dict__;
    object.__getattribute__ never wakes a lazily loaded module.
    """
    found = []
    for name, module in list(sys.modules.items()):
        if issubclass(type(module), ModuleType) and name.partition(".")[0] != "catrust":
            found.append((name, object.__getattribute__(module, "__dict__")))
    return found


def rebuild_prebuilt(originals: dict[tuple[str, str], object] | None = None) -> None:
    """Rebuild the known import-time contexts with the trust in force; into `originals`, the ones replaced."""
    for module_name, attribute, make in PREBUILT:
        module = sys.modules.get(module_name)
        original = getattr(module, attribute, None)
        if module is None or original is None:  # not loaded, or a release that does not keep one
            continue
        if _rebuild(module, attribute, make) and originals is not None:
            originals[module_name, attribute] = original


def restore_prebuilt(originals: dict[tuple[str, str], object]) -> None:
    """After extract(): the contexts inject() replaced come back; one a library built while injected is rebuilt."""
    for module_name, attribute, make in PREBUILT:
        module = sys.modules.get(module_name)
        if module is None or getattr(module, attribute, None) is None:
            continue
        if (module_name, attribute) in originals:
            setattr(module, attribute, originals[module_name, attribute])
        else:
            _rebuild(module, attribute, make)


def _rebuild(module: ModuleType, attribute: str, make: Callable[[ModuleType], object]) -> bool:
    try:
        setattr(module, attribute, make(module))
    except Exception as exc:  # noqa: BLE001 - a library that changed its internals: say so, keep it as it was
        log.warning(
            "catrust.inject(): %s.%s could not be rebuilt (%s): import %s after inject()",
            module.__name__,
            attribute,
            exception_text(exc),
            module.__name__,
        )
        return False
    return True


def stale_contexts(defaults: Callable[[], frozenset[bytes]], system: frozenset[bytes]) -> list[str]:
    """The verifying contexts modules built from Python's defaults (`defaults()`), which inject() cannot
    rebuild, as module.attribute. One with anchors of its own is the module's choice, not listed."""
    known = {(module, attribute) for module, attribute, _ in PREBUILT}
    stale = []
    for name, namespace in module_namespaces():
        for attribute, value in list(namespace.items()):
            # type(), not isinstance(): a proxy object (Flask's `request`) raises when asked its __class__.
            if (
                type(value) is ssl.SSLContext  # not a subclass: catrust's own, truststore's
                and _verifies(value)
                and (name, attribute) not in known
                and built_with(value, defaults(), system)
            ):
                stale.append(f"{name}.{attribute}")
    return sorted(stale)


def _verifies(ctx: ssl.SSLContext) -> bool:
    """A context that checks certificates; an unsafe one (verification off, by its maker's choice) has no
    trust to go stale, and catrust never turns verification on or off for anyone."""
    return ctx.verify_mode != ssl.CERT_NONE


def warn_about(stale: list[str]) -> None:
    """Name them in one WARNING, with what to do."""
    if stale:
        log.warning(
            "catrust.inject(): these modules built a TLS context before inject() and keep the trust it had: "
            "%s; import them after inject() (or set CATRUST_INJECT=1) for them to trust the custom CAs",
            ", ".join(stale),
        )


def trust_of(ctx: ssl.SSLContext) -> frozenset[bytes]:
    """The CA certificates a context holds, as DER: equal sets, equal trust (as far as Python can see)."""
    return frozenset(ctx.get_ca_certs(binary_form=True))


def built_with(ctx: ssl.SSLContext, defaults: frozenset[bytes], system: frozenset[bytes]) -> bool:
    """Whether `ctx` holds the default anchors, plus at most system roots: OpenSSL adds a root found in
    a hashed folder (SSL_CERT_DIR) to the context the first time a handshake needs it."""
    held = trust_of(ctx)
    return defaults <= held and held - defaults <= system


def urllib_handlers_built_with(trust: Callable[[], frozenset[bytes]], system: frozenset[bytes]) -> list[Any]:
    """The HTTPS handlers of urlopen()'s cached opener holding a context urllib made itself from the
    defaults that `trust()` describes. Python 3.12+ makes that context when the opener is built, so it
    keeps the trust of the first urlopen(). A context a caller gave (its own anchors, TLS versions,
    ciphers, flags) differs in one of these and is left alone."""
    request = sys.modules.get("urllib.request")
    if request is None or not hasattr(sys.modules.get("http.client"), "_create_https_context"):  # before 3.12
        return []
    https_handler = getattr(request, "HTTPSHandler", None)
    handlers = [
        h
        for h in getattr(getattr(request, "_opener", None), "handlers", ())
        if type(h) is https_handler and type(getattr(h, "_context", None)) is ssl.SSLContext
    ]
    if not handlers:
        return []
    made = _urllib_context()
    expected = trust()
    return [h for h in handlers if _same_settings(h._context, made) and built_with(h._context, expected, system)]


def refresh_urllib(handlers: list[Any]) -> None:
    """Give each handler a new context, made as urllib makes it, with the trust in force."""
    for handler in handlers:
        handler._context = _urllib_context()


def _urllib_context() -> ssl.SSLContext:
    import http.client

    made: ssl.SSLContext = http.client._create_https_context(http.client.HTTPSConnection._http_vsn)  # type: ignore[attr-defined]
    return made


def _same_settings(ctx: ssl.SSLContext, made: ssl.SSLContext) -> bool:
    return (
        all(
            getattr(ctx, name) == getattr(made, name)
            for name in (
                "verify_mode",
                "check_hostname",
                "options",
                "minimum_version",
                "maximum_version",
                "verify_flags",
                "post_handshake_auth",
                "security_level",
            )
        )
        and ctx.get_ciphers() == made.get_ciphers()
    )
