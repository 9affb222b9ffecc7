"""Evaluation harnesses: how well the app's own pipeline does on footage with ground truth."""
