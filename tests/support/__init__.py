"""Test helpers: certificate makers, TLS servers on 127.0.0.1, real server programs, hostile inputs."""
