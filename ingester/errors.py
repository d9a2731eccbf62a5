"""The error tree of feed-ingester.

    IngesterError
    ├── ConfigError(path, key)        the config file is unreadable or invalid
    ├── StorageError                  the database cannot be opened or written
    ├── QueryError(query)             a search or watch query is not valid
    ├── AlertError(channel)           a notifier could not deliver
    └── FeedError(url)                one feed failed; recorded on its row, the run goes on
        ├── FetchError                network, HTTP status, size cap, deadline, address guard
        └── ParseError                the body is not a feed we can read

Library exceptions are wrapped where they enter (``raise FetchError(url, ...) from exc``).
Only ``cli`` turns these into exit codes and messages for people.
"""

from __future__ import annotations


class IngesterError(Exception):
    """Base of every error that feed-ingester raises on purpose."""


class ConfigError(IngesterError):
    """The configuration is invalid; names the file and, where known, the key."""

    def __init__(self, path: str, problem: str, key: str | None = None) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class StorageError(IngesterError):
    """The database could not be opened, migrated or written."""


class AlertError(IngesterError):
    """A notifier failed to deliver an alert.

    ``permanent``: sending the same alert again will not help. ``gone``: the route itself is
    gone (a webhook answered 410), so the notifier is disabled until its config changes or
    its alerts are retried by hand. ``retry_after``: the receiver asked for that many seconds.
    """

    def __init__(
        self,
        channel: str,
        problem: str,
        *,
        permanent: bool = False,
        gone: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.channel = channel
        self.problem = problem
        self.permanent = permanent or gone
        self.gone = gone
        self.retry_after = retry_after
        super().__init__(f"{channel}: {problem}")


class FeedError(IngesterError):
    """One feed failed. The failure is stored on the feed and other feeds go on."""

    def __init__(self, url: str, problem: str) -> None:
        self.url = url
        self.problem = problem
        super().__init__(problem)

    def __reduce__(self) -> tuple[object, ...]:
        # Parse errors cross process boundaries; keep every attribute on the way.
        return (self.__class__, (self.url, self.problem), self.__dict__)


class FetchError(FeedError):
    """The feed could not be fetched.

    ``retry_after`` carries a server's Retry-After (seconds) when it sent one; ``gone`` is set
    for 410 Gone, which disables the feed.
    """

    def __init__(
        self,
        url: str,
        problem: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        gone: bool = False,
    ) -> None:
        super().__init__(url, problem)
        self.status = status
        self.retry_after = retry_after
        self.gone = gone


class ParseError(FeedError):
    """The body is not a feed: an HTML page, an empty or truncated document, bad JSON."""


class QueryError(IngesterError):
    """A search or watch query is not valid."""

    def __init__(self, query: str, problem: str) -> None:
        self.query = query
        self.problem = problem
        super().__init__(f"bad query {query!r}: {problem}")
