"""The export's private speed path: pre-encoded lines for the common preference case and
several processes for big JSONL exports. Both produce the same bytes as the general path
(``engine.walk`` with the ``formats`` builders), which the tests check."""
