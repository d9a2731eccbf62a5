"""The ``ingester`` command, and ``python -m ingester``.

The console script imports ``main`` from here rather than from ``ingester.cli``: a worker
process that multiprocessing starts imports the parent's main script again (as
``__mp_main__``), and importing the CLI imports the daemon, the store, the fetcher and all
their libraries, about 55 MB in every parser process. Here the CLI is imported only when the
command runs.
"""


def main() -> None:
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
