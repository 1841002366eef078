"""The system roots: found where OpenSSL and Go look, trusted as shipped, never judged by policy.

`auto` prefers the operating system's bundle and falls back to certifi's Mozilla roots when the
image has none (distroless). A root that cryptography cannot read is still trusted as the OS
shipped it: one odd root must never cost a process all its trust.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

import certifi.core

from .._files import MAX_SYSTEM_BUNDLE, Unread, read
from .._text import printable
from .bundle import MARKER, SYSTEM_CERT_FILE, is_catrust_bundle
from .model import Certificate
from .parse import parse

log = logging.getLogger("catrust")

# Go's crypto/x509 root_linux.go lists, in its order.
WELL_KNOWN_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Gentoo
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/pki/tls/cacert.pem",  # OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # CentOS, RHEL 7
    "/etc/ssl/cert.pem",  # Alpine
)
WELL_KNOWN_DIRS = ("/etc/ssl/certs", "/etc/pki/tls/certs")
_HASH_LINK = re.compile(r"^[0-9a-f]{8}\.r?[0-9]+$")  # `openssl rehash` links point at files listed anyway


@dataclass
class SystemRoots:
    certificates: list[Certificate] = field(default_factory=list)
    source: str = "none"
    problems: list[str] = field(default_factory=list)  # trust is smaller than asked for: worth a WARNING
    platform_store: bool = False  # macOS/Windows: the context also consults the OS store via truststore


def load(mode: str, env: Mapping[str, str] = os.environ) -> SystemRoots:
    if mode == "none":
        return SystemRoots()
    if mode == "certifi":
        return _from_files([_certifi_bundle()], "certifi")
    if sys.platform in ("darwin", "win32"):
        # The platform store cannot be exported, so the bundle file carries certifi's roots.
        roots = _from_files([_certifi_bundle()], "platform store via truststore (bundle file: certifi)")
        roots.platform_store = True
        return roots
    roots = _from_os(env)
    if roots.certificates:
        return roots
    if mode == "os":
        roots.problems.append("no operating-system CA bundle was found: only custom CAs are trusted")
        return roots
    fallback = _from_files([_certifi_bundle()], "certifi")
    fallback.problems = [*roots.problems, "no operating-system CA bundle was found: using certifi's Mozilla roots"]
    return fallback


def _certifi_bundle() -> str:
    """certifi's own file, read through `certifi.core`: `inject()` points `certifi.where` at catrust's bundle."""
    return certifi.core.where()


def _from_os(env: Mapping[str, str]) -> SystemRoots:
    """Like Go: SSL_CERT_FILE replaces the list of bundle files, SSL_CERT_DIR the list of folders."""
    cert_file = env.get("SSL_CERT_FILE")
    problems = []
    if cert_file and is_catrust_bundle(cert_file):
        # What `catrust env`, inject(environ=True) and inject() itself set for child programs: expected, so
        # INFO. Its custom CAs would skip policy and outlive their removal, so the OS bundle is read instead.
        # inject() and `catrust env` leave the file SSL_CERT_FILE named before in CATRUST_SYSTEM_CERT_FILE.
        bundle, cert_file = cert_file, env.get(SYSTEM_CERT_FILE) or None
        if cert_file and is_catrust_bundle(cert_file):
            cert_file = None
        instead = f"{SYSTEM_CERT_FILE}={cert_file!r}" if cert_file else "the operating system's bundle"
        log.info("system roots: SSL_CERT_FILE=%r is a catrust bundle: reading %s instead", bundle, instead)
    files = [cert_file] if cert_file else [ssl.get_default_verify_paths().openssl_cafile, *WELL_KNOWN_FILES]
    marked = [f for f in files if f != cert_file and is_catrust_bundle(f)]
    problems += [f"{printable(f)} is a catrust bundle, not system roots: it was skipped" for f in marked]
    found = next((f for f in files if os.path.isfile(f) and f not in marked), None)
    if cert_file and not found:
        problems.append(f"SSL_CERT_FILE={cert_file!r} is not a readable file")
    dir_list = env.get("SSL_CERT_DIR")
    if dir_list:
        dirs = dir_list.split(os.pathsep)
    elif found:
        dirs = []  # the bundle already holds what the hashed folder links to
    else:
        dirs = list(WELL_KNOWN_DIRS)
    dirs = [d for d in dirs if os.path.isdir(d)]
    paths = [found] if found else []
    for folder in dirs:
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            problems.append(f"{printable(folder)} cannot be listed: {exc.strerror}")
            continue
        for name in names:
            path = os.path.join(folder, name)
            if name.startswith(".") or (_HASH_LINK.match(name) and os.path.islink(path)):
                continue
            if os.path.isfile(path):
                paths.append(path)
    # A Debian-style folder links every root by name and holds the bundle itself: read each real file once.
    unique: dict[str, str] = {}
    for path in paths:
        unique.setdefault(os.path.realpath(path), path)
    roots = _from_files(list(unique.values()), " + ".join(([found] if found else []) + dirs) or "none")
    roots.problems[:0] = problems
    return roots


def _from_files(paths: list[str], source: str) -> SystemRoots:
    roots = SystemRoots(source=source)
    seen: dict[str, Certificate] = {}
    for path in paths:
        result = read(path, MAX_SYSTEM_BUNDLE)
        if isinstance(result, Unread):
            roots.problems.append(f"{printable(path)} {result.reason}")
            continue
        if result.data.startswith(MARKER.encode()):  # in SSL_CERT_DIR, say: judged by policy or not at all
            roots.problems.append(f"{printable(path)} is a catrust bundle, not system roots: it was skipped")
            continue
        parsed = parse(path, result.data)
        for block in parsed.blocks:
            fingerprint = hashlib.sha256(block.der).hexdigest()
            cert = block.cert
            seen.setdefault(
                fingerprint,
                Certificate(
                    der=block.der,
                    fingerprint=fingerprint,
                    origin="system",
                    path=path,
                    block=block.number,
                    subject=block.subject if cert else f"(unreadable by cryptography: {block.error})",
                    issuer=block.issuer,
                    not_after=block.not_after if cert else None,
                ),
            )
    roots.certificates = list(seen.values())
    return roots
