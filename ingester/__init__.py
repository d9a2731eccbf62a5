"""feed-ingester: polls news feeds, removes duplicates, stores them in SQLite."""

__version__ = "0.1.0"
