"""Worker processes for the CPU work (parsing feeds, extracting pages), fed by the event loop.

Each worker is a process started by a forkserver and joined to the main process by a socket
pair. The event loop itself writes a task (the pickled function and arguments) to an idle
worker and reads the result back; there are no helper threads. The stdlib's
``ProcessPoolExecutor`` runs two threads in the main process for this (one pickles and writes,
one reads and unpickles), and on a cold benchmark cycle those two and their contention for the
interpreter lock with the event loop and the store thread cost the main process about 0.8
CPU-seconds per 1000 feeds, beside its own 3.5.

A worker holds at most ``DEPTH`` tasks, so a slow page on one worker never holds up tasks that
another, idle worker could take. A worker that dies (the OOM killer, a crash in a C library)
fails the tasks it held with ``WorkerDied`` and is replaced. Workers ignore SIGINT (a
terminal's Ctrl-C reaches the whole process group; the main process decides when to stop):
they finish their task and exit when the main process closes its end, which also happens when
it is killed.

This module must stay light: each worker imports it, and nothing else but what its tasks
need. No I/O here beyond the worker sockets.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

DEPTH = 2  # tasks a worker holds: the one it runs and the next, so it never waits for us
_HEADER = struct.Struct("!Q")
_PICKLE = pickle.HIGHEST_PROTOCOL


class WorkerDied(RuntimeError):
    """The worker process running a task ended before it answered."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, as its ``__cause__``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


# -- in the worker process ---------------------------------------------------------------------


def _serve(sock: socket.socket, niceness: int) -> None:
    """A worker's life: read a task, run it, write the result; stop at end of input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(niceness)
    reader = sock.makefile("rb")
    writer = sock.makefile("wb")
    while True:
        head = reader.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(head)
        task = reader.read(size)
        try:
            fn, args = pickle.loads(task)
            answer = pickle.dumps((True, fn(*args)), _PICKLE)
        except Exception as exc:
            answer = _pickled_error(exc)
        writer.write(_HEADER.pack(len(answer)))
        writer.write(answer)
        writer.flush()


def _pickled_error(exc: Exception) -> bytes:
    text = "".join(traceback.format_exception(exc))
    try:
        return pickle.dumps((False, (exc, text)), _PICKLE)
    except Exception:  # an exception that does not pickle: its description does
        return pickle.dumps((False, (RuntimeError(repr(exc)), text)), _PICKLE)


# -- in the main process -----------------------------------------------------------------------


class _Worker(asyncio.Protocol):
    """The main process's end of one worker: frames results and settles their futures."""

    def __init__(self, pool: WorkerPool, process: Any) -> None:
        self.pool = pool
        self.process = process
        self.held: deque[asyncio.Future[Any]] = deque()
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._size = -1  # of the answer being read; -1 while its header is incomplete

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def send(self, task: bytes, future: asyncio.Future[Any]) -> None:
        assert self.transport is not None
        self.held.append(future)
        self.transport.writelines((_HEADER.pack(len(task)), task))

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            if self._size < 0:
                if len(buffer) < _HEADER.size:
                    return
                (self._size,) = _HEADER.unpack_from(buffer)
                del buffer[: _HEADER.size]
            if len(buffer) < self._size:
                return
            answer = bytes(buffer[: self._size])
            del buffer[: self._size]
            self._size = -1
            self._settle(self.held.popleft(), answer)
            self.pool._dispatch(self)

    @staticmethod
    def _settle(future: asyncio.Future[Any], answer: bytes) -> None:
        if future.done():  # its caller was cancelled meanwhile
            return
        try:
            ok, value = pickle.loads(answer)
        except Exception as exc:
            future.set_exception(RuntimeError(f"a worker's answer did not unpickle: {exc!r}"))
            return
        if ok:
            future.set_result(value)
        else:
            error, text = value
            error.__cause__ = RemoteTraceback(text)
            future.set_exception(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self.pool._lost(self)
        while self.held:
            future = self.held.popleft()
            if not future.done():
                future.set_exception(WorkerDied("the worker process running this task ended"))


class WorkerPool:
    """``workers`` processes that run picklable functions for the event loop.

    ``await pool.start()`` starts them all (before the first poll, so that their start does
    not compete with it; ``run`` starts them otherwise); ``await pool.run(fn, *args)`` runs
    one task; ``pool.close()`` ends them. ``preload`` names modules the forkserver imports
    once for every worker.
    """

    def __init__(self, workers: int, *, niceness: int = 0, preload: tuple[str, ...] = ()):
        self.size = max(1, workers)
        self.niceness = niceness
        self._context = multiprocessing.get_context("forkserver")
        # forkserver: workers start clean, not as copies of a process holding threads and
        # sockets; those forked from the server share the pages of what it preloaded.
        self._context.set_forkserver_preload([*preload, __name__])
        self._workers: list[_Worker] = []
        # Tasks waiting for a worker, pickled only when one takes them: a poll's body is not
        # held twice meanwhile.
        self._queue: deque[tuple[tuple[object, ...], asyncio.Future[Any]]] = deque()
        self._starting: asyncio.Task[None] | None = None
        self._replacing: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def processes(self) -> list[Any]:
        """The live workers' ``multiprocessing`` process objects."""
        return [worker.process for worker in self._workers]

    async def start(self) -> None:
        """Start every worker and wait until each has answered."""
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start())
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        while len(self._workers) < self.size:
            await self._spawn()
        await asyncio.gather(*(self._submit(os.getpid) for _ in range(self.size)))

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)`` in a worker; its exception, with the worker's traceback, if it raises."""
        if kwargs:
            raise TypeError("WorkerPool.run takes positional arguments only")
        if self._starting is None or not self._starting.done():
            await self.start()
        return await self._submit(fn, *args)

    async def _submit(self, fn: Callable[..., T], *args: object) -> T:
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(((fn, args), future))
        for worker in sorted(self._workers, key=lambda worker: len(worker.held)):
            self._dispatch(worker)
        return await future

    def _dispatch(self, worker: _Worker) -> None:
        """Give ``worker`` waiting tasks, up to ``DEPTH``."""
        while self._queue and len(worker.held) < DEPTH:
            task, future = self._queue.popleft()
            if future.done():  # cancelled while it waited
                continue
            try:
                data = pickle.dumps(task, _PICKLE)
            except Exception as exc:  # a function or argument that does not pickle
                future.set_exception(exc)
                continue
            worker.send(data, future)

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        process = self._context.Process(
            target=_serve, args=(theirs, self.niceness), name="ingester-worker", daemon=True
        )
        try:
            process.start()
        finally:
            theirs.close()
        loop = asyncio.get_running_loop()
        _, worker = await loop.connect_accepted_socket(lambda: _Worker(self, process), sock=ours)
        self._workers.append(worker)
        self._dispatch(worker)

    def _lost(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        if self._closed:
            return
        log.warning("a worker process ended; starting another")
        task = asyncio.get_running_loop().create_task(self._replace())
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _replace(self) -> None:
        try:
            await self._spawn()
        except Exception as exc:
            log.exception("could not start a worker process")
            if not self._workers:  # nobody left to run what waits: fail it, do not hang
                while self._queue:
                    _, future = self._queue.popleft()
                    if not future.done():
                        future.set_exception(WorkerDied(f"no worker process: {exc!r}"))

    def close(self) -> None:
        """End every worker: each exits once it has finished its current task."""
        self._closed = True
        while self._queue:
            _, future = self._queue.popleft()
            future.cancel()
        for worker in list(self._workers):
            if worker.transport is not None:
                worker.transport.close()
        self._workers.clear()
