"""Worker processes for the CPU work (parsing feeds, extracting pages), fed by the event loop.

Each worker is a process started by a forkserver and joined to the main process by a socket
pair. The event loop itself writes a task (the pickled function and arguments) to an idle
worker and reads the result back; there are no helper threads. The stdlib's
``ProcessPoolExecutor`` runs two threads in the main process for this (one pickles and writes,
one reads and unpickles), and on a cold benchmark cycle those two and their contention for the
interpreter lock with the event loop and the store thread cost the main process 0.6-0.9
CPU-seconds per 1000 feeds, beside the 3-3.5 of the event loop and the store thread.

A worker holds at most ``DEPTH`` tasks (the one it runs and the next), so a slow page delays
at most ``DEPTH - 1`` others; the rest go to idle workers. A worker that dies (the OOM killer,
a crash in a C library) fails the tasks it held with ``WorkerDied`` and is replaced, after a
growing pause if workers keep dying young. While no worker can be started at all, tasks fail
with ``WorkerDied`` instead of waiting, and the pool keeps trying. No task is left waiting
forever. Workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group; the main
process decides when to stop) and exit when the main process closes its end, which also
happens when it is killed.

This module must stay light: each worker imports it, and nothing else but what its tasks
need. No I/O here beyond the worker sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

DEPTH = 2  # tasks a worker holds: the one it runs and the next, so it never waits for us
YOUNG = 10.0  # seconds: a worker that dies sooner is replaced after a growing pause ...
MAX_PAUSE = 30.0  # ... of at most this
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
    with contextlib.suppress(OSError):  # a seccomp filter may forbid it: run at our level
        os.nice(niceness)
    reader = sock.makefile("rb")
    writer = sock.makefile("wb")
    with contextlib.suppress(OSError):  # the main process went away: nothing to answer
        while True:
            head = reader.read(_HEADER.size)
            if len(head) < _HEADER.size:
                return
            (size,) = _HEADER.unpack(head)
            task = reader.read(size)
            if len(task) < size:
                return
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
        self.started = time.monotonic()
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
            if ok:
                future.set_result(value)
                return
            error, text = value
            if isinstance(error, StopIteration):  # a future cannot carry one
                error = RuntimeError(f"the task raised {error!r}")
            error.__cause__ = RemoteTraceback(text)
            future.set_exception(error)
        except Exception as exc:  # an answer that does not unpickle, or some other surprise
            if not future.done():
                future.set_exception(RuntimeError(f"a worker's answer was unreadable: {exc!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.pool._lost(self)
        self._fail_held("the worker process running this task ended")

    def abort(self) -> None:
        """Drop the connection: the worker sees the end of its input and exits."""
        self._fail_held("the worker pool was closed")
        if self.transport is not None:
            self.transport.abort()

    def _fail_held(self, reason: str) -> None:
        while self.held:
            future = self.held.popleft()
            if not future.done():
                future.set_exception(WorkerDied(reason))


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
        self._started = False
        self._spawning = 0
        self._replacing: set[asyncio.Task[None]] = set()
        self._pause = 0.0  # before the next replacement; grows while workers die young
        self._broken: str | None = None  # why no worker could be started, while none runs
        self._closed = False

    @property
    def processes(self) -> list[Any]:
        """The live workers' ``multiprocessing`` process objects."""
        return [worker.process for worker in self._workers]

    async def start(self) -> None:
        """Start every worker and wait until each has answered; after a failure, try again."""
        task = self._starting
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._starting = asyncio.get_running_loop().create_task(self._start())
        await asyncio.shield(task)

    async def _start(self) -> None:
        while len(self._workers) + self._spawning < self.size:
            await self._spawn()
        await asyncio.gather(*(self._submit(os.getpid) for _ in range(self.size)))
        self._started = True

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)`` in a worker; its exception, with the worker's traceback, if it raises."""
        if kwargs:
            raise TypeError("WorkerPool.run takes positional arguments only")
        if not self._started:
            await self.start()
        return await self._submit(fn, *args)

    async def _submit(self, fn: Callable[..., T], *args: object) -> T:
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        if not self._workers and self._broken is not None:
            raise WorkerDied(f"no worker process could be started: {self._broken}")
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
        self._spawning += 1
        try:
            ours, theirs = socket.socketpair()
            process = self._context.Process(
                target=_serve, args=(theirs, self.niceness), name="ingester-worker", daemon=True
            )
            try:
                process.start()  # the first one waits for the forkserver's imports (~0.4 s)
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()
            try:
                loop = asyncio.get_running_loop()
                _, worker = await loop.connect_accepted_socket(
                    lambda: _Worker(self, process), sock=ours
                )
            except BaseException:
                ours.close()
                process.kill()
                raise
        finally:
            self._spawning -= 1
        if self._closed:
            worker.abort()
            return
        self._workers.append(worker)
        self._broken = None
        self._dispatch(worker)

    def _lost(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        if self._closed:
            return
        # A worker that dies young (it cannot start, or every task kills it) is replaced
        # after a growing pause, not in a tight loop.
        young = time.monotonic() - worker.started < YOUNG
        self._pause = min(MAX_PAUSE, max(0.5, self._pause * 2)) if young else 0.0
        log.warning("a worker process ended; starting another in %.1fs", self._pause)
        task = asyncio.get_running_loop().create_task(self._replace(self._pause))
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _replace(self, pause: float) -> None:
        """Bring the pool back to its size; a start that fails is tried again, less often."""
        while True:
            if pause:
                await asyncio.sleep(pause)
            if self._closed or len(self._workers) + self._spawning >= self.size:
                return
            try:
                await self._spawn()
                return
            except Exception as exc:
                pause = min(MAX_PAUSE, max(1.0, pause * 2))
                log.warning("could not start a worker process (%r); next try in %.0fs", exc, pause)
                if not self._workers:  # nobody to run what waits: fail it, do not hang
                    self._broken = repr(exc)
                    self._fail_waiting(WorkerDied(f"no worker process could be started: {exc!r}"))

    def _fail_waiting(self, error: Exception) -> None:
        while self._queue:
            _, future = self._queue.popleft()
            if not future.done():
                future.set_exception(error)

    def close(self) -> None:
        """End every worker: each exits when it has finished its current task. Tasks still
        waiting are cancelled; those a worker holds fail with ``WorkerDied``."""
        self._closed = True
        for task in (self._starting, *self._replacing):
            if task is not None:
                task.cancel()
        while self._queue:
            _, future = self._queue.popleft()
            future.cancel()
        for worker in self._workers:
            worker.abort()
        self._workers.clear()
