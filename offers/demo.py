"""Demo data for this app (grows with the app)."""


def seed() -> list[tuple[str, str]]:
    """Create the demo rows once; returns the log-ins to print as (role, e-mail)."""
    return []
