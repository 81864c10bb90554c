"""A local DeepSeek-compatible API server for tests, examples and the no-key quick start."""
