"""What the platform benchmarks share: the app under test in a child process, metered from the inside.

The parent (the load and the fake platform) starts a child per measurement with `child()`; the child
serves, then obeys `start` and `stop` lines on its stdin (`serve_commands`), answering `stop` with what
its `Meter` saw as JSON: CPU of the process and of the loop's thread, and full garbage collections.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Meter:
    """CPU of the process and of the loop's thread, and full collections, from `start` to `stop`."""

    def __init__(self, freeze: bool, profile: str | None = None) -> None:
        self.freeze = freeze
        self.profile = profile
        self.profiler = cProfile.Profile(time.thread_time) if profile else None  # the loop's CPU, not waits
        self.cpu = self.loop_cpu = self.gc_started = 0.0
        self.gc_pauses: list[float] = []

    def start(self) -> None:
        """Freeze the GC if asked, as `phosphore run` does after start-up (what is loaded stays loaded)."""
        if self.freeze:
            gc.collect()
            gc.freeze()
        gc.callbacks.append(self.watch_gc)
        self.cpu, self.loop_cpu = time.process_time(), time.thread_time()
        if self.profiler:
            self.profiler.enable()

    def watch_gc(self, phase: str, info: dict[str, int]) -> None:
        """Time generation-2 collections: the loop stands still meanwhile."""
        if info["generation"] == 2:
            if phase == "start":
                self.gc_started = time.perf_counter()
            else:
                self.gc_pauses.append((time.perf_counter() - self.gc_started) * 1000)

    def stop(self) -> dict[str, float]:
        """The figures since start (the profile, if any, written to its file)."""
        if self.profiler:
            self.profiler.disable()
            self.profiler.dump_stats(self.profile)
        gc.callbacks.remove(self.watch_gc)
        return {
            "cpu": time.process_time() - self.cpu,
            "loop_cpu": time.thread_time() - self.loop_cpu,
            "gc2": len(self.gc_pauses),
            "gc2_max_ms": max(self.gc_pauses, default=0.0),
        }


async def serve_commands(meter: Meter) -> None:
    """In the child: `start` and `stop` from stdin until it closes (the parent's signal to end)."""
    loop = asyncio.get_running_loop()
    while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        if line == "start":
            meter.start()
            print("started", flush=True)
        elif line == "stop":
            print(json.dumps(meter.stop()), flush=True)


@asynccontextmanager
async def child(module: str, *args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m module args` from the repository root, stdin and stdout piped; stdin closed on exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdin is not None
    try:
        yield process
    finally:
        process.stdin.close()
        await process.wait()


async def read_line(process: asyncio.subprocess.Process) -> str:
    """The child's next line of output."""
    assert process.stdout is not None
    return (await process.stdout.readline()).decode().strip()


async def ask(process: asyncio.subprocess.Process, line: str) -> str:
    """Send a line to a child and read its one-line answer."""
    assert process.stdin is not None
    process.stdin.write(f"{line}\n".encode())
    await process.stdin.drain()
    return await read_line(process)


async def metered(process: asyncio.subprocess.Process) -> dict[str, Any]:
    """`stop`, and the figures the child measured since `start`."""
    return dict(json.loads(await ask(process, "stop")))


def spread(values: list[float]) -> str:
    """Median [min–max] of per-run figures."""
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"
