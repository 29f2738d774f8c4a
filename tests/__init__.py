"""pitch-jury tests."""
