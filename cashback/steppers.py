"""Progress as steps: done, current, still to come, for the steppers of the
claim page and the payout list.

Generic on purpose: which steps a claim or a payout has is decided in
portal/steppers.py, above the apps whose states it names.
"""

from dataclasses import dataclass

DONE, CURRENT, NEXT = "done", "current", "next"


@dataclass(frozen=True)
class Step:
    """One step of a stepper; `stopped` marks a current step that ends the path."""

    label: str
    state: str
    stopped: bool = False

    @property
    def is_current(self) -> bool:
        return self.state == CURRENT


def steps(labels: list, current: int, *, stopped: bool = False) -> list[Step]:
    """The steps named by `labels`, those before `current` done; `stopped` marks
    the current one as the end of the path."""
    return [
        Step(
            label=label,
            state=DONE if i < current else CURRENT if i == current else NEXT,
            stopped=stopped and i == current,
        )
        for i, label in enumerate(labels)
    ]
