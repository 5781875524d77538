"""The 500 page: branded, in the reader's language, with the request id as the
reference that support finds in the log. Rendered without the request's context
processors, which may need the database or the cache that just failed."""

from django.conf import settings
from django.http import HttpRequest, HttpResponseServerError
from django.template import loader
from django.utils import translation

from .request_log import current_request_id


def server_error(request: HttpRequest) -> HttpResponseServerError:
    template = loader.get_template("500.html")
    body = template.render(
        {
            "program_name": settings.PROGRAM_NAME,
            "support_email": settings.SUPPORT_EMAIL,
            "reference": getattr(request, "request_id", "") or current_request_id(),
            "LANGUAGE_CODE": translation.get_language(),
        }
    )
    return HttpResponseServerError(body)
