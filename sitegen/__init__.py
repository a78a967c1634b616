"""sitegen: a static-site generator for a curated digest of reports."""

__version__ = "0.1.0"
