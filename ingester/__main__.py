"""``python -m ingester``: the same as the ``ingester`` command."""

from .cli import main

main()
