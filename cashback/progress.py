"""A small progress bar for long operator commands (`manage.py import_*`,
`send_reminders`, `schedule_payouts`), written to the command's stderr so the
summary line on stdout stays clean for scripts and logs.

    with Progress(self.stderr, total=rows, unit="rows", enabled=verbosity > 0) as bar:
        service(progress=bar.update_to)   # or bar.advance(n) per batch

With no known total it shows a running count instead of a bar. Redraws are
throttled so a million-row import does not spend its time printing.
"""

import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.2


class Progress:
    """A one-line progress bar redrawn in place with a carriage return."""

    def __init__(
        self,
        stream: TextIO,
        *,
        total: int | None = None,
        unit: str = "rows",
        enabled: bool = True,
    ) -> None:
        self.stream = stream
        self.total = total
        self.unit = unit
        self.enabled = enabled
        self.done = 0
        self._drawn_at = 0.0
        self._started = time.monotonic()

    def __enter__(self) -> "Progress":
        self._draw(force=True)
        return self

    def __exit__(self, *exc_info) -> None:
        self._draw(force=True)
        if self.enabled:
            self._write("\n")

    def advance(self, count: int = 1) -> None:
        """`count` more items done."""
        self.update_to(self.done + count)

    def update_to(self, done: int) -> None:
        """`done` items done in all."""
        self.done = done
        self._draw()

    def line(self) -> str:
        """The text of the bar as it stands."""
        elapsed = time.monotonic() - self._started
        if self.total:
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * BAR_WIDTH)
            return (
                f"[{bar:<{BAR_WIDTH}}] {self.done:>,} / {self.total:,} {self.unit} "
                f"({share:.0%}, {elapsed:.0f} s)"
            )
        return f"{self.done:,} {self.unit} ({elapsed:.0f} s)"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < REDRAW_SECONDS:
            return
        self._drawn_at = now
        self._write("\r" + self.line())

    def _write(self, text: str) -> None:
        # A command's OutputWrapper would end every write with a newline.
        if hasattr(self.stream, "ending"):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()
