"""The render budget (issue 33): CPU per render of each reseller page's
template, with the context its view built, in this process.

Each page is requested once through Django's test client; the outermost
template render of that request is caught with its context, request and
language. That render is then repeated `repeat` times and timed with the
process's CPU clock: template work only, no view, middleware or network.
A queryset the view passed is evaluated by the first render and cached; a
statement the template runs on every render (a related manager, `.count`, a
tag that queries) is counted per render, because its CPU is the template's.
"""

import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

# Each page's renders per run: enough for a steady figure at about 1 ms each.
REPEAT = 200
# The budget: CPU per render of each reseller page.
BUDGET_MS = 1.5


@dataclass
class Caught:
    template: object
    context: dict
    request: object
    language: str


@contextlib.contextmanager
def outermost_render() -> Iterator[list[Caught]]:
    """Catch the first outermost `Template.render` (of the Django backend)
    made inside the block; renders nested in it (form widgets, includes
    rendered through the backend) belong to it and are not caught."""
    from django.template.backends.django import Template
    from django.utils import translation

    caught: list[Caught] = []
    original = Template.render
    depth = [0]

    def render(self, context=None, request=None):
        if depth[0] == 0 and not caught:
            caught.append(
                Caught(self, dict(context or {}), request, translation.get_language())
            )
        depth[0] += 1
        try:
            return original(self, context, request)
        finally:
            depth[0] -= 1

    Template.render = render
    try:
        yield caught
    finally:
        Template.render = original


def render_cost(client, url: str, *, runs: int, repeat: int) -> dict:
    """CPU ms per render of `url`'s template (median of `runs`, each the mean
    of `repeat` renders), the statements each render runs, and its size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    with outermost_render() as caught:
        response = client.get(url, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}, not 200")
    if not caught:
        raise SystemExit(f"{url} rendered no template")
    page = caught[0]
    with translation.override(page.language):
        html = page.template.render(page.context, page.request)
        per_run = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.process_time()
                for _ in range(repeat):
                    page.template.render(page.context, page.request)
                per_run.append((time.process_time() - started) * 1000 / repeat)
    return {
        "path": url,
        "template": page.template.origin.template_name,
        "cpu_ms": round(statistics.median(per_run), 3),
        "cpu_ms_min": round(min(per_run), 3),
        "queries": len(queries) / repeat,
        "bytes": len(html.encode()),
    }


def render_costs(user, pages: dict[str, str], *, runs: int, repeat: int) -> dict:
    """`render_cost` of each page, signed in as `user`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        name: render_cost(client, url, runs=runs, repeat=repeat)
        for name, url in pages.items()
    }


def load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load: the figures are CPU time, but a
    busy machine still slows them (caches, frequency)."""
    with open("/proc/loadavg") as loadavg:
        return [float(figure) for figure in loadavg.read().split()[:3]]
