"""Seeing: motion gate, optical flow, detection, tracking, and the per-camera pipeline."""
