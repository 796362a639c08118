"""Progress of a screen: a Rich bar with rate and ETA on a terminal, plain periodic lines otherwise (logs, CI).

Only counts are ever shown - never a patient identifier or a value from a record.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any


class Progress:
    def __init__(self, stream: IO[str] | None = None, *, interval: float = 10.0, enabled: bool = True,
                 rich: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self.enabled = enabled
        self.rich = self.stream.isatty() if rich is None else rich
        self._bar: Any = None
        self._task: Any = None
        self._label = ""
        self._unit = ""
        self._total = 0
        self._done = 0
        self._t0 = 0.0
        self._last = 0.0

    def note(self, text: str) -> None:
        if self.enabled:
            print(f"screen: {text}", file=self.stream, flush=True)

    def start(self, label: str, total: int, unit: str) -> None:
        self._label, self._total, self._unit, self._done = label, total, unit, 0
        self._t0 = self._last = time.monotonic()
        if not self.enabled:
            return
        if self.rich:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                     TextColumn("ETA"), TimeRemainingColumn(),
                                     console=Console(file=self.stream), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(label, total=total, rate="")
        else:
            self.note(f"{label}: 0/{total} {unit}")

    def update(self, done: int) -> None:
        self._done = done
        if not self.enabled:
            return
        now = time.monotonic()
        rate = done / (now - self._t0) if now > self._t0 else 0.0
        if self._bar is not None:
            self._bar.update(self._task, completed=done, rate=f"{rate:,.0f} {self._unit}/s")
        elif now - self._last >= self.interval:
            self._last = now
            eta = (self._total - done) / rate if rate > 0 else float("nan")
            self.note(f"{self._label}: {done}/{self._total} {self._unit} ({rate:,.0f}/s, ETA {eta:,.0f} s)")

    def finish(self) -> float:
        elapsed = time.monotonic() - self._t0
        if self._bar is not None:
            self._bar.update(self._task, completed=self._done)
            self._bar.stop()
            self._bar = None
        elif self.enabled:
            rate = self._done / elapsed if elapsed > 0 else 0.0
            self.note(f"{self._label}: {self._done}/{self._total} {self._unit} in {elapsed:,.1f} s "
                      f"({rate:,.0f}/s)")
        return elapsed
