"""Recording and evidence: segments of each camera's own stream, clips and exports cut from them, retention."""
