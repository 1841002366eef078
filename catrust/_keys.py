"""Read a private key by its content, as KEDA does, and hand OpenSSL only a normalised copy.

A PEM label says little: KEDA (Go) reads PKCS#1 content under a "PRIVATE KEY" label, PKCS#8 under
"RSA PRIVATE KEY", EC keys, and encrypted PKCS#8 with a password. OpenSSL trusts the label and,
given an encrypted key without a password callback, prompts on the terminal. So cryptography
reads the key from its DER body whatever the label says, and OpenSSL only ever sees an
unencrypted PKCS#8 PEM of it, from memory, with a password callback that refuses to prompt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator

from cryptography.exceptions import InternalError, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from .errors import KeyMaterialError

_KEY_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----(.*?)-----END \1-----", re.DOTALL)
_KEY_BEGIN = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_ANY_BEGIN = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----")
# What cryptography raises on odd key bytes, besides the TypeError that means "encrypted or not".
_ODD_KEY = (ValueError, UnsupportedAlgorithm, InternalError, binascii.Error)


def holds_key(data: bytes) -> bool:
    """Whether PEM text carries a private-key block (a certificate file with its key, say)."""
    return _KEY_BLOCK.search(data) is not None


def load_private_key(
    data: bytes, password: bytes | None, what: str, if_encrypted: str = "pass its password"
) -> PrivateKeyTypes:
    """The first private key in `data` (PEM of any key label, or DER), read by content.

    Raises KeyMaterialError saying what is wrong with `what` (e.g. "tls.key"): encrypted without a
    password, wrong password, unreadable, or an algorithm cryptography does not know.
    """
    found = _KEY_BLOCK.search(data)
    unreadable = KeyMaterialError(f"{what} is not a readable PEM private key (cut short, damaged, or not a key)")
    if found is None and _KEY_BEGIN.search(data):
        raise unreadable  # a key block without its END line
    if found is None and _ANY_BEGIN.search(data):
        raise KeyMaterialError(f"{what} holds no private key block")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a deprecation note about odd key bytes is not a reason to fail
            key = _load(found, data, password)
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except TypeError:
        if password is None:
            raise KeyMaterialError(f"{what} is encrypted: {if_encrypted}") from None
        raise KeyMaterialError(f"{what} is not encrypted, but a password was given") from None
    except UnsupportedAlgorithm:
        raise KeyMaterialError(f"{what} uses an algorithm that cannot be loaded") from None
    except _ODD_KEY as exc:
        if password is not None and ("decrypt" in str(exc).lower() or _encrypted(found, data)):
            raise KeyMaterialError(f"{what} cannot be decrypted: is the password right?") from None
        raise unreadable from None
    return key


def _encrypted(found: re.Match[bytes] | None, data: bytes) -> bool:
    """Whether the key is encrypted. A wrong password does not always say so: about one time in 256, a
    CBC decryption with the wrong key ends in valid padding, and only the DER inside fails to parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _load(found, data, None)
    except TypeError:  # cryptography: "Password was not given but private key is encrypted"
        return True
    except _ODD_KEY:
        pass
    return False


def _load(found: re.Match[bytes] | None, data: bytes, password: bytes | None) -> PrivateKeyTypes:
    if found is None:
        return serialization.load_der_private_key(data, password)
    body = found.group(2)
    if b":" in body:  # RFC 1421 headers (Proc-Type, DEK-Info): OpenSSL's traditional encryption
        return serialization.load_pem_private_key(found.group(0), password)
    der = base64.b64decode(b"".join(body.split()), validate=True)
    return serialization.load_der_private_key(der, password)


def pkcs8_pem(key: PrivateKeyTypes) -> bytes:
    """The key as OpenSSL reads it whatever the original label: unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def never_prompt() -> bytes:
    """A password callback for `load_cert_chain`: OpenSSL asks it instead of the terminal.

    Keys reach OpenSSL unencrypted, so being asked means an encrypted key slipped through.
    """
    raise KeyMaterialError("the private key is encrypted and no password was given")


@contextlib.contextmanager
def secret_file(data: bytes | None) -> Iterator[str | None]:
    """A path OpenSSL can read holding exactly `data` (a key, or the certificate checked with it):
    a memory file on Linux, never on disk; reading the caller's path again could block or differ.

    Elsewhere a private temporary file (folder 0700, file 0600) that is removed at once.
    No data, no file: None.
    """
    if data is None:
        yield None
        return
    if hasattr(os, "memfd_create") and sys.platform.startswith("linux"):
        fd = os.memfd_create("catrust-key", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="catrust-") as folder:
        path = os.path.join(folder, "key.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(data)
        yield path
