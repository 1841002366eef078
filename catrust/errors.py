"""The one exception family catrust raises, so callers can catch user errors in one place."""


class CatrustError(Exception):
    """A problem a person can fix: bad configuration, an unwritable path, an unusable argument."""


class ConfigError(CatrustError):
    """An invalid setting (argument or environment variable); raised at load, never defaulted silently."""
