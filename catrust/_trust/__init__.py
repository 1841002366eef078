"""The trust store's pipeline, one module per step, data flowing one way:

    scan (which files) -> parse (which certificates) -> policy (accept, warn, reject, and why)
    -> store (merged with the system roots, deduplicated) -> bundle text and SSL contexts

`loader` drives the first three steps for every folder, `judge` is steps 2 and 3 for one file,
and `reloader` builds a new store when the folders change.
"""
