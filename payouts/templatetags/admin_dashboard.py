"""`{% staff_dashboard as dashboard %}`: the admin index's figures."""

from django import template

from payouts.admin_dashboard import Dashboard, dashboard_build

register = template.Library()


@register.simple_tag
def staff_dashboard() -> Dashboard:
    """Build the dashboard for the admin index (a fixed number of queries)."""
    return dashboard_build()
