"""Every exception catrust raises on purpose, so callers catch user errors in one place:

    CatrustError            a problem a person can fix; catch this to catch them all
    ├── ConfigError         an invalid setting (argument or environment variable), raised at load
    ├── KeyMaterialError    a private key, client certificate or per-trigger CA that cannot be used
    ├── CertFolderError     a component-certificate folder that does not hold, or cannot take, a usable set
    ├── FileError           a file that cannot be read or written safely (missing, a FIFO, another user's link)
    └── FrozenContextError  a change to an SSL context catrust shares with every other client

Messages name files and settings, never key material. Anything else escaping catrust is a bug.
"""


class CatrustError(Exception):
    """A problem a person can fix: bad configuration, an unwritable path, an unusable argument."""


class ConfigError(CatrustError):
    """An invalid setting (argument or environment variable); raised at load, never defaulted silently."""


class KeyMaterialError(CatrustError):
    """Key material that cannot be used; the message names the file or argument, never its content."""


class CertFolderError(CatrustError):
    """A component-certificate folder (KEDA's /certs) that cannot be read, trusted or written as a set."""


class FileError(CatrustError):
    """A file catrust was asked to read or write that it cannot handle safely; a file being replaced stays as it was."""


class FrozenContextError(CatrustError):
    """An SDK (or caller) tried to change a context catrust shares: the change would reach every client using it."""
