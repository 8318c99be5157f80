"""Benchmarks (not tests): matcher quality and latency."""
