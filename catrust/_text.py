"""Text from certificates and file names made safe to print on one line, in logs and on terminals."""

from __future__ import annotations

from cryptography import x509


def printable(text: str) -> str:
    """`text` safe for one line of output: control, format (bidi) and lone surrogate characters escaped.

    Subjects and file names come from the files being judged, so they must not be able to start
    a new line (forging a PEM block or a log line) or send codes to a terminal.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" for c in text)


def name_text(name: x509.Name) -> str:
    """A certificate name as RFC 4514 text, safe to print."""
    return printable(name.rfc4514_string())


def exception_text(exc: BaseException, *, named: bool = False) -> str:
    """One printable line of at most 120 characters about `exc`, for a verdict's reason.

    `named` adds the exception's type where the message alone says little (`KeyError: 99`); a
    ValueError's message already says what was wrong with the bytes.
    """
    text = " ".join(str(exc).split())
    if (named and not isinstance(exc, ValueError)) or not text:
        text = f"{type(exc).__name__}: {text}".rstrip(": ")
    return printable(text if len(text) <= 120 else text[:117] + "...")
