"""Certificate names compared the way OpenSSL compares them (`X509_NAME_cmp` on canonical encodings).

OpenSSL decides "self-issued" (and so "self-signed", and whether a v1 certificate is a root that
may issue) with a comparison that ignores ASCII case and runs of white space in string values.
cryptography compares names exactly, so `CN=Corp` and `CN=corp` differ for it but not for
OpenSSL: the policy must ask this module, or it would predict the wrong thing.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.name import _ASN1Type

# OpenSSL's ASN1_MASK_CANON: the string types whose values are canonicalised; others compare as is.
_CANONICAL = {
    _ASN1Type.UTF8String,
    _ASN1Type.BMPString,
    _ASN1Type.UniversalString,
    _ASN1Type.PrintableString,
    _ASN1Type.T61String,
    _ASN1Type.IA5String,
    _ASN1Type.VisibleString,
}
_SPACE = " \t\n\v\f\r"

Canonical = tuple[tuple[tuple[str, object], ...], ...]


def canonical(name: x509.Name) -> Canonical:
    """One value per name that is equal exactly when OpenSSL finds two names equal."""
    return tuple(tuple(sorted((_attribute(a) for a in rdn), key=repr)) for rdn in name.rdns)


def same_name(a: x509.Name, b: x509.Name) -> bool:
    return canonical(a) == canonical(b)


def _attribute(attr: x509.NameAttribute[str | bytes]) -> tuple[str, object]:
    kind = getattr(attr, "_type", None)
    value = attr.value
    if kind in _CANONICAL and isinstance(value, str):
        return (attr.oid.dotted_string, _fold(value))
    return (attr.oid.dotted_string, (getattr(kind, "value", None), value))


def _fold(text: str) -> str:
    """OpenSSL's asn1_string_canon: trim, collapse inner white space to one space, lowercase ASCII."""
    words = [w for w in _split(text) if w]
    return " ".join(words).translate(_LOWER)


def _split(text: str) -> list[str]:
    for space in _SPACE[1:]:
        text = text.replace(space, " ")
    return text.split(" ")


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
