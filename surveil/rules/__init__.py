"""Alert rules: the rule model, calibrated CLIP scoring, conditions and the event state machine."""
