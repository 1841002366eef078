"""catrust's tests: one file per behaviour; helpers in tests/support, component certificates in tests/certs."""
