"""The worker pool: real processes from a forkserver, fed over socket pairs by the event loop.

Tasks are stdlib functions (``pow``, ``eval``, ``time.sleep``, ...) so that a worker needs to
import nothing from the tests.
"""

from __future__ import annotations

import asyncio
import errno
import operator
import os
import pickle
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

import pytest

from ingester import workers
from ingester.workers import DEPTH, RemoteTraceback, WorkerDied, WorkerPool

T = TypeVar("T")


def with_pool(
    test: Callable[[WorkerPool], Awaitable[T]],
    workers: int = 2,
    *,
    start: bool = True,
    niceness: int = 0,
) -> T:
    """Run ``test`` on a new pool (started first, unless ``start`` is false), then close it."""

    async def main() -> T:
        pool = WorkerPool(workers, niceness=niceness)
        try:
            if start:
                await pool.start()
            return await test(pool)
        finally:
            pool.close()

    return asyncio.run(main())


def test_tasks_run_in_other_processes_and_return_their_results() -> None:
    async def test(pool: WorkerPool) -> None:
        pids = await asyncio.gather(*(pool.run(os.getpid) for _ in range(20)))
        assert os.getpid() not in pids
        assert set(pids) <= {p.pid for p in pool.processes}
        results = await asyncio.gather(*(pool.run(pow, n, 2) for n in range(200)))
        assert results == [n * n for n in range(200)]
        big = os.urandom(3_000_000)  # more than any socket buffer holds at once
        assert await pool.run(bytes, big) == big

    with_pool(test)


def test_an_exception_comes_back_with_the_workers_traceback() -> None:
    async def test(pool: WorkerPool) -> None:
        with pytest.raises(ZeroDivisionError) as caught:
            await pool.run(operator.truediv, 1, 0)
        assert isinstance(caught.value.__cause__, RemoteTraceback)
        assert "ZeroDivisionError" in str(caught.value.__cause__)
        assert await pool.run(pow, 3, 3) == 27  # the worker goes on

    with_pool(test)


def test_what_does_not_pickle_is_an_error_not_a_hang() -> None:
    async def test(pool: WorkerPool) -> None:
        with pytest.raises(pickle.PicklingError):
            await pool.run(eval, "lambda: 0")  # the result does not pickle
        local_error = "(_ for _ in ()).throw(type('Local', (Exception,), {})('boom'))"
        with pytest.raises(RuntimeError, match="boom"):
            await pool.run(eval, local_error)  # nor does the exception
        with pytest.raises((pickle.PicklingError, AttributeError)):
            await pool.run(id, lambda: 0)  # nor does the argument
        assert await pool.run(pow, 2, 5) == 32

    with_pool(test)


def test_a_slow_task_holds_up_at_most_the_one_queued_behind_it() -> None:
    """A worker holds DEPTH tasks (the next one ready when it finishes), so up to DEPTH - 1
    may wait behind a slow one; everything else goes to the idle worker."""

    async def test(pool: WorkerPool) -> None:
        slow = asyncio.ensure_future(pool.run(time.sleep, 3))
        await asyncio.sleep(0.2)
        quick = [asyncio.ensure_future(pool.run(pow, 2, n)) for n in range(4 * DEPTH)]
        _, waiting = await asyncio.wait(quick, timeout=2.5)
        assert len(waiting) <= DEPTH - 1
        assert not slow.done()
        await slow
        assert [task.result() for task in quick] == [2**n for n in range(4 * DEPTH)]

    with_pool(test)


def test_a_killed_worker_fails_its_tasks_and_is_replaced() -> None:
    async def test(pool: WorkerPool) -> None:
        held = asyncio.ensure_future(pool.run(time.sleep, 30))
        await asyncio.sleep(0.3)
        running_on = [p.pid for p in pool.processes]
        for pid in running_on:  # as the OOM killer would
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerDied):
            await asyncio.wait_for(held, timeout=10)
        for _ in range(200):  # the losses are noticed, and replacements started, in the background
            pids = {p.pid for p in pool.processes}
            if len(pids) == 2 and not pids & set(running_on):
                break
            await asyncio.sleep(0.05)
        assert len(pool.processes) == 2
        assert not {p.pid for p in pool.processes} & set(running_on)
        assert await asyncio.wait_for(pool.run(pow, 7, 2), timeout=10) == 49

    with_pool(test)


def test_workers_ignore_ctrl_c_and_end_when_the_pool_closes() -> None:
    async def main() -> None:
        pool = WorkerPool(2)
        await pool.start()
        processes = pool.processes
        for process in processes:
            assert process.pid is not None
            os.kill(process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
        await asyncio.sleep(0.2)
        assert await pool.run(pow, 2, 2) == 4
        assert all(process.is_alive() for process in processes)
        pool.close()
        for process in processes:
            await asyncio.to_thread(process.join, 10)
            assert not process.is_alive()
        with pytest.raises(RuntimeError, match="closed"):
            await pool.run(pow, 2, 2)

    asyncio.run(main())


def test_a_task_raising_stop_iteration_fails_instead_of_hanging() -> None:
    async def test(pool: WorkerPool) -> None:
        with pytest.raises(RuntimeError, match="StopIteration"):
            await asyncio.wait_for(pool.run(next, iter(())), timeout=10)
        assert await pool.run(pow, 2, 3) == 8

    with_pool(test)


class Spawns:
    """Counts the workers a pool starts, and can make starting one fail (as when the process
    is out of file descriptors: the socket pair is the first thing a start needs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.failing = False

        def socketpair() -> tuple[socket.socket, socket.socket]:
            if self.failing:
                raise OSError(errno.EMFILE, "too many open files (simulated)")
            self.count += 1
            return socket.socketpair()

        monkeypatch.setattr(workers, "socket", SimpleNamespace(socketpair=socketpair))


def worker_processes() -> list[int]:
    """The live children of this process's forkserver: every worker of every pool here."""
    from multiprocessing import forkserver

    server = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    if server is None:
        return []
    try:
        children = Path(f"/proc/{server}/task/{server}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in children.split()]


def test_a_pool_that_cannot_start_a_worker_fails_tasks_and_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spawns = Spawns(monkeypatch)

    async def test(pool: WorkerPool) -> None:
        spawns.failing = True
        with pytest.raises(OSError, match="simulated"):
            await pool.start()
        assert pool.processes == []
        with pytest.raises(OSError, match="simulated"):  # tried again, not a hang
            await asyncio.wait_for(pool.run(pow, 2, 2), timeout=10)
        spawns.failing = False
        assert await asyncio.wait_for(pool.run(pow, 2, 2), timeout=10) == 4

    with_pool(test, 1, start=False)


def test_when_no_worker_can_be_replaced_tasks_fail_and_the_pool_keeps_trying(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "YOUNG", 0.0)  # replace at once, without the young pause
    spawns = Spawns(monkeypatch)

    async def test(pool: WorkerPool) -> None:
        held = asyncio.ensure_future(pool.run(time.sleep, 30))
        waiting = [asyncio.ensure_future(pool.run(pow, 2, n)) for n in range(5)]
        await asyncio.sleep(0.3)
        spawns.failing = True
        pid = pool.processes[0].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        for task in [held, *waiting]:
            with pytest.raises(WorkerDied):
                await asyncio.wait_for(task, timeout=10)
        with pytest.raises(WorkerDied, match="could be started"):
            await asyncio.wait_for(pool.run(pow, 2, 2), timeout=10)
        spawns.failing = False  # the next try (after a second) succeeds
        for _ in range(100):
            if pool.processes:
                break
            await asyncio.sleep(0.1)
        assert await asyncio.wait_for(pool.run(pow, 2, 2), timeout=10) == 4

    with_pool(test, 1)


def test_workers_that_die_young_are_replaced_after_a_growing_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spawns = Spawns(monkeypatch)

    async def test(pool: WorkerPool) -> None:
        with pytest.raises(WorkerDied):
            await asyncio.wait_for(pool.start(), timeout=10)
        await asyncio.sleep(2.5)
        assert 2 <= spawns.count <= 5  # pauses of 0.5, 1, 2 s: not a tight loop

    # Every worker dies as it starts: os.nice raises TypeError.
    with_pool(test, 1, start=False, niceness="not a number")  # type: ignore[arg-type]


def test_closing_settles_held_tasks_at_once_and_stops_replacements() -> None:
    async def main() -> None:
        pool = WorkerPool(2)
        await pool.start()
        held = [asyncio.ensure_future(pool.run(time.sleep, 1)) for _ in range(2 * DEPTH)]
        waiting = asyncio.ensure_future(pool.run(pow, 2, 2))
        await asyncio.sleep(0.3)
        pid = pool.processes[0].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.1)  # the loss is noticed; a replacement is on its way
        pool.close()
        results = await asyncio.wait_for(
            asyncio.gather(*held, waiting, return_exceptions=True), timeout=1
        )
        assert all(isinstance(r, WorkerDied | asyncio.CancelledError) for r in results)
        assert pool.processes == []
        for _ in range(100):  # each worker exits once its current task is done
            if not worker_processes():
                break
            await asyncio.sleep(0.1)
        assert worker_processes() == []

    asyncio.run(main())


def test_closing_does_not_wait_on_a_worker_busy_writing_a_large_answer() -> None:
    """The worker's answer and our next task both fill a socket buffer: a close that waited
    to finish sending would wait on a worker that waits on us."""

    async def main() -> None:
        pool = WorkerPool(1)
        await pool.start()
        process = pool.processes[0]
        big_answer = asyncio.ensure_future(
            pool.run(eval, "__import__('time').sleep(0.5) or b'x' * 4_000_000")
        )
        big_task = asyncio.ensure_future(pool.run(len, os.urandom(4_000_000)))
        await asyncio.sleep(0.1)
        pool.close()
        results = await asyncio.wait_for(
            asyncio.gather(big_answer, big_task, return_exceptions=True), timeout=1
        )
        assert all(isinstance(r, WorkerDied) for r in results)
        await asyncio.to_thread(process.join, 10)
        assert not process.is_alive()

    asyncio.run(main())
