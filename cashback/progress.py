"""Progress bars for long operator commands (`manage.py import_*`,
`send_reminders`, `schedule_payouts`, `rotate_field_keys`), drawn by tqdm on
the command's stderr so the summary line on stdout stays clean for scripts
and logs.

    with Progress(self.stderr, total=rows, unit="rows", enabled=verbosity > 0) as bar:
        service(progress=bar.update_to)   # or bar.advance(n) per batch

With no known total tqdm shows a running count and rate instead of a bar.
"""

from typing import TextIO

from tqdm import tqdm

REDRAW_SECONDS = 0.2


class _Unended:
    """A command's OutputWrapper ends every write with a newline; tqdm redraws
    its line with carriage returns, so write without one."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        if hasattr(self.stream, "ending"):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class Progress:
    """A tqdm bar with the two ways the services report progress."""

    def __init__(
        self,
        stream: TextIO,
        *,
        total: int | None = None,
        unit: str = "rows",
        enabled: bool = True,
    ) -> None:
        self._bar = tqdm(
            total=total,
            unit=f" {unit}",
            file=_Unended(stream),
            disable=not enabled,
            mininterval=REDRAW_SECONDS,
            ascii=True,
            dynamic_ncols=False,
            ncols=80,
        )

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        self._bar.close()

    @property
    def done(self) -> int:
        return int(self._bar.n)

    def advance(self, count: int = 1) -> None:
        """`count` more items done."""
        self._bar.update(count)

    def update_to(self, done: int) -> None:
        """`done` items done in all."""
        self._bar.update(done - self._bar.n)
