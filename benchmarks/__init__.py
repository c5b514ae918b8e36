"""Benchmarks that drive the real app over HTTP (run them as modules: `python -m benchmarks.X`)."""
