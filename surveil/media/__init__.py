"""Recording and evidence: the pre-roll ring, clip writing, export packages."""
