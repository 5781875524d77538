"""A state machine's timeline on its object's admin page (claims, payouts).

The event tables keep states as codes (`StateChangeEvent.from_status` and
`to_status` have no choices: the shared columns serve both machines); the
timeline names each by its label in the reader's language (issue 28), and the
message by the event's own words where the event has them.
"""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _


class StateChangeEventInline(admin.TabularInline):
    """Read-only timeline: when, what, from which state to which, who, why."""

    # The machine's states (the event's object's Status choices).
    states: type[models.TextChoices]

    fields = ["created_at", "kind", "from_state", "to_state", "actor", "words"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def state_label(self, code: str) -> str | None:
        """A state's label; an unknown code (a state since removed) as stored."""
        if not code:
            return None  # the admin's empty marker: the first event has no "from"
        return str(dict(self.states.choices).get(code, code))

    def event_words(self, event: models.Model) -> str:
        """The event's message in the reader's language; override where an
        event keeps a reason code beside the person's words."""
        return event.message

    @admin.display(description=_("from"))
    def from_state(self, event) -> str | None:
        return self.state_label(event.from_status)

    @admin.display(description=_("to"))
    def to_state(self, event) -> str | None:
        return self.state_label(event.to_status)

    @admin.display(description=_("message"))
    def words(self, event) -> str:
        return self.event_words(event)
