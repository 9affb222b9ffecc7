"""The live engine: cameras in, alerts out, incidents stored with their clips."""
