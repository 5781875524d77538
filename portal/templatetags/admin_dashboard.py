"""`{% staff_dashboard user as dashboard %}`: the admin index's figures."""

from django import template

from portal.admin_dashboard import Dashboard, dashboard_build

register = template.Library()


@register.simple_tag
def staff_dashboard(user) -> Dashboard:
    """Build the dashboard for the admin index (a fixed number of queries),
    with only the parts `user` may see: a changelist link they could not open
    would be a 403, and the figures themselves are what the permission guards."""
    return dashboard_build(
        claims=user.has_perm("claims.view_claim"),
        payouts=user.has_perm("payouts.view_payout"),
    )
