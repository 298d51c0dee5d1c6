"""The advisor HTTP service (FastAPI)."""
