"""Component certificates: a system's own CA and certificate, generated, rotated and used for mutual TLS."""
