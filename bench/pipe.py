"""The benchmarks' client processes and their command pipe. Not a test.

A driver (bench/fanout.py, bench/alert_e2e.py, bench/soak.py) starts client processes
(bench/fanout_client.py, bench/soak_client.py) that each hold thousands of phone sockets. It
sends each one JSON command per line on stdin; the client answers each with one JSON line on
stdout. `Workers` is the driver's side, `commands` and `reply` the client's.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench.support import open_files_to_the_hard_limit

ROOT = Path(__file__).resolve().parents[1]


class Workers:
    """`count` processes of a client script; `ask` gives each its own command and collects the answers."""

    def __init__(self, script: str, count: int, *, log_dir: Path | None = None, nice: int = 0) -> None:
        self.procs: list[subprocess.Popen[str]] = []
        for i in range(count):
            log = (log_dir / f"client-{i}.log").open("ab") if log_dir is not None else None
            try:
                self.procs.append(
                    subprocess.Popen(
                        [*(["nice", "-n", str(nice)] if nice else []), sys.executable, str(ROOT / "bench" / script)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=log,
                        text=True,
                        cwd=ROOT,
                    )
                )
            finally:
                if log is not None:
                    log.close()  # the child holds its own copy

    def ask(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for proc, command in zip(self.procs, commands, strict=True):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(command) + "\n")
            proc.stdin.flush()
        answers = []
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"client {proc.pid} exited ({proc.poll()})")
            answers.append(json.loads(line))
        return answers

    def close(self) -> None:
        for proc in self.procs:
            try:
                assert proc.stdin is not None
                proc.stdin.write('{"cmd": "quit"}\n')
                proc.stdin.flush()
                proc.wait(timeout=30)
            except Exception:
                proc.kill()
                proc.wait(timeout=10)


async def commands(*, limit: int) -> AsyncIterator[dict[str, Any]]:
    """The driver's commands, at most `limit` of them, until it closes the pipe.

    Raises this process's open-file limit to the hard limit first: a client holds thousands of sockets.
    """
    open_files_to_the_hard_limit()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)  # a connect command carries thousands of tokens
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    for _ in range(limit):
        line = await reader.readline()
        if not line:
            return
        yield json.loads(line)


def reply(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()
