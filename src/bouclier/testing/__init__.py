"""Real models and servers for tests and examples (optional dependencies, loaded lazily)."""
