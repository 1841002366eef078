"""Component certificates: the folder, checks, rotation, mutual TLS and the certs commands."""
