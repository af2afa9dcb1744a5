"""Resident memory of one process, sampled in a thread while a benchmark step runs."""

import contextlib
import threading
import time

import psutil

SAMPLE_SECONDS = 0.05


class RssSampler:
    """RSS of one process (alone) every 50 ms, with the time of each sample; with `tools`, also
    the peak RSS of each of its descendants by name. `lost` tells that the process went away."""

    def __init__(self, process: psutil.Process | int, tools: bool = False) -> None:
        self.process = process if isinstance(process, psutil.Process) else psutil.Process(process)
        self.with_tools = tools
        self.samples: list[tuple[float, int]] = []  # (time.monotonic(), rss)
        self.tools: dict[str, int] = {}
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    @property
    def first(self) -> int | None:
        """The first sample: taken before the step was asked for."""
        return self.samples[0][1] if self.samples else None

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), self.process.memory_info().rss))
                children = self.process.children(recursive=True) if self.with_tools else []
            except psutil.Error:
                self.lost = True
                return
            for child in children:
                with contextlib.suppress(psutil.Error):
                    name, rss = child.name(), child.memory_info().rss
                    self.tools[name] = max(self.tools.get(name, 0), rss)
            self._stop.wait(SAMPLE_SECONDS)
