"""System checks that tell an operator at start-up what is unreachable."""

from django.core.checks import Tags, Warning, register

from .health import unreachable_services


@register(Tags.caches)
def services_reachable(app_configs, **kwargs):
    """Redis down is a warning, not a failure: the pages work without it."""
    return [Warning(message, id="cashback.W001") for message in unreachable_services()]
