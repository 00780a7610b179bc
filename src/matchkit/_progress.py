"""Progress on the command line for steps that take more than about a second.

The library never prints: it logs through ``logging.getLogger("matchkit")``. The command
line (and scripts) may wrap a long step in :func:`step` or count through items with
:class:`Progress`. Both write to stderr, and only when stderr is a terminal, so logs,
pipes and CI output stay clean; ``MATCHKIT_PROGRESS=0`` turns them off, ``=1`` forces
them on. Nothing appears for a step that ends within ``delay`` seconds (default 1 s).

>>> import io
>>> with step("building", stream=io.StringIO()):  # not a terminal: silent
...     pass
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import IO, TypeVar

__all__ = ["LineSafeHandler", "Progress", "enabled_for", "install_log_handler", "step", "track"]

T = TypeVar("T")

#: Seconds a step or a count runs before its line appears (unless given ``delay``).
DELAY = 1.0

# The line on screen now (drawn, not yet ended), and a lock shared by the redraws of a
# step's thread and the log records written between them.
_on_screen: Progress | None = None
_screen = threading.RLock()


def enabled_for(stream: IO[str] | None) -> bool:
    """Whether progress should be drawn on ``stream``: a terminal, unless overridden.

    ``MATCHKIT_PROGRESS=0`` disables it everywhere, ``MATCHKIT_PROGRESS=1`` enables it
    even when ``stream`` is not a terminal.

    Examples
    --------
    >>> import io
    >>> enabled_for(io.StringIO()) in (False, True)
    True
    """
    env = os.environ.get("MATCHKIT_PROGRESS", "").strip()
    if env == "0":
        return False
    if env == "1":
        return stream is not None
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def _fmt(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


class Progress:
    """A one-line counter ``label: 3/10 (30%), 2.1 s, ~4.9 s left  note`` on stderr.

    Parameters
    ----------
    total : int, optional
        Number of items, when known (otherwise only the count and time are shown).
    label : str
        What is being done.
    stream : text stream, optional
        Where to draw (default ``sys.stderr``).
    enabled : bool, optional
        Force on or off; default :func:`enabled_for` ``(stream)``.
    delay : float, optional
        Seconds before the line appears (default ``DELAY``, 1 s).
        Nothing is drawn before this many seconds have passed.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(3, "solving", stream=out, enabled=True, delay=0) as bar:
    ...     for _ in range(3):
    ...         bar.update()
    >>> out.getvalue().rstrip().split("\\r")[-1].startswith("solving: 3/3 (100%)")
    True
    """

    def __init__(
        self,
        total: int | None = None,
        label: str = "",
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        delay: float | None = None,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled_for(self.stream) if enabled is None else enabled
        self.delay = DELAY if delay is None else delay
        self.count = 0
        self.note = ""
        self._start = time.perf_counter()
        self._last_draw = -1.0
        self._drawn = False
        self._width = 0

    def __enter__(self) -> Progress:  # noqa: PYI034
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self._start

    def text(self) -> str:
        """The line as it would be drawn now."""
        t = self.elapsed
        head = f"{self.label}: " if self.label else ""
        if self.total:
            done = self.count / self.total
            left = f", ~{_fmt(t / done - t)} left" if 0 < done < 1 else ""
            body = f"{self.count}/{self.total} ({done:.0%}), {_fmt(t)}{left}"
        else:
            body = f"{self.count} done, {_fmt(t)}" if self.count else _fmt(t)
        return head + body + (f"  {self.note}" if self.note else "")

    def update(self, n: int = 1, note: str | None = None) -> None:
        """Count ``n`` more items done; optionally change the note shown after the count."""
        self.count += n
        if note is not None:
            self.note = note
        self.draw()

    def draw(self, *, force: bool = False) -> None:
        """Redraw the line (at most ten times a second, and not before ``delay``)."""
        if not self.enabled:
            return
        t = self.elapsed
        if not force and (t < self.delay or t - self._last_draw < 0.1):
            return
        global _on_screen
        with _screen:
            line = self.text()
            pad = " " * max(0, self._width - len(line))
            self.stream.write("\r" + line + pad)
            self.stream.flush()
            self._width = len(line)
            self._last_draw = t
            self._drawn = True
            _on_screen = self

    def close(self) -> None:
        """Draw the final line and end it, if anything was drawn (or it took long enough)."""
        global _on_screen
        with _screen:
            if self.enabled and (self._drawn or self.elapsed >= self.delay):
                self.draw(force=True)
                self.stream.write("\n")
                self.stream.flush()
            if _on_screen is self:
                _on_screen = None
            self.enabled = False


class step:  # used as a context manager, like open()
    """Show ``label: 3.2 s`` while a single long step runs, then ``label: done in 4.0 s``.

    A background thread redraws the elapsed time; nothing is drawn for a step that
    ends within ``delay`` seconds or when the stream is not a terminal.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with step("building", stream=out, enabled=True, delay=0):
    ...     pass
    >>> out.getvalue().rstrip().split("\\r")[-1].startswith("building: done in")
    True
    """

    def __init__(
        self,
        label: str,
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        delay: float | None = None,
    ) -> None:
        self.label = label
        self._bar = Progress(None, label, stream=stream, enabled=enabled, delay=delay)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            self._bar.draw()

    def __enter__(self) -> step:  # noqa: PYI034
        if self._bar.enabled:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        bar = self._bar
        if bar.enabled and (bar._drawn or bar.elapsed >= bar.delay):
            verb = "failed after" if exc_type is not None else "done in"
            line = f"{self.label}: {verb} {_fmt(bar.elapsed)}"
            bar.stream.write("\r" + line + " " * max(0, bar._width - len(line)) + "\n")
            bar.stream.flush()
        bar.enabled = False


def track(
    items: Iterable[T],
    label: str = "",
    *,
    total: int | None = None,
    stream: IO[str] | None = None,
    enabled: bool | None = None,
    delay: float | None = None,
) -> Iterator[T]:
    """Yield ``items`` while counting them on a :class:`Progress` line.

    Examples
    --------
    >>> import io
    >>> list(track(range(3), "rounds", stream=io.StringIO()))
    [0, 1, 2]
    """
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with Progress(total, label, stream=stream, enabled=enabled, delay=delay) as bar:
        for item in items:
            yield item
            bar.update()


class LineSafeHandler(logging.Handler):
    """Write log records to stderr on lines of their own, also while a progress line is
    shown: the line is cleared, the record written, and the line drawn again below it.

    Examples
    --------
    >>> import logging
    >>> LineSafeHandler().format(logging.makeLogRecord({"msg": "solving every edge"}))
    'solving every edge'
    """

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            stream = sys.stderr  # (looked up each time: it may have been replaced)
            with _screen:
                bar = _on_screen if _on_screen is not None and _on_screen.stream is stream else None
                if bar is not None:
                    stream.write("\r" + " " * bar._width + "\r")
                stream.write(text + "\n")
                stream.flush()
                if bar is not None:
                    bar.draw(force=True)
        except Exception:  # noqa: BLE001 - as logging.StreamHandler does
            self.handleError(record)


def install_log_handler() -> None:
    """For the command line: matchkit's warnings on stderr through a
    :class:`LineSafeHandler`, unless logging is configured already (then nothing changes).
    Without a handler, Python would print them with its last-resort handler, in the middle
    of a progress line."""
    log = logging.getLogger("matchkit")
    if log.handlers or logging.getLogger().handlers:
        return
    log.addHandler(LineSafeHandler())
