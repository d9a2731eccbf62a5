"""The worker pool: real processes from a forkserver, fed over socket pairs by the event loop.

Tasks are stdlib functions (``pow``, ``eval``, ``time.sleep``, ...) so that a worker needs to
import nothing from the tests.
"""

from __future__ import annotations

import asyncio
import operator
import os
import pickle
import signal
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from ingester.workers import DEPTH, RemoteTraceback, WorkerDied, WorkerPool

T = TypeVar("T")


def with_pool(test: Callable[[WorkerPool], Awaitable[T]], workers: int = 2) -> T:
    async def main() -> T:
        pool = WorkerPool(workers)
        try:
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
