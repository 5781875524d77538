# Production-like image: gunicorn serving the portal; the same image runs the
# Celery worker and beat with another command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=cashback.settings.production

# pango and DejaVu: WeasyPrint's PDF statements (statements/).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 cashback

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cashback cashback
COPY resellers resellers
COPY offers offers
COPY claims claims
COPY payouts payouts
RUN pip install .
COPY . .
RUN python manage.py compilemessages --ignore=.venv -v0 \
    && DJANGO_SECRET_KEY=build-only-$(python -c 'import secrets; print(secrets.token_hex(32))') \
       DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --no-input -v0 \
    && mkdir -p /app/var/media /app/var/private && chown -R cashback /app/var

USER cashback
EXPOSE 8000
# Workers, threads and binding: gunicorn.conf.py (threaded, see why there).
CMD ["gunicorn", "cashback.wsgi:application"]
