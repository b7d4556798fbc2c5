"""Live cameras: the recognizer, tracks and stream sources (plain Python, no Django)."""
