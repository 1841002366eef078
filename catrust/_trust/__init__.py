"""The trust store's pipeline, one module per step, data flowing one way:

scan (which files) -> parse (which certificates) -> policy (accept, warn, reject, and why)
-> store (merged with the system roots, deduplicated) -> bundle and contexts
"""
