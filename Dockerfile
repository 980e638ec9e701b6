# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
RUN apt-get update && apt-get install -y --no-install-recommends \
        gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic and compilemessages need settings but no secrets.
RUN export SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1rZXktbmV2ZXItZm9yLWRhdGEhISE= FIELD_HASH_KEY=build-only \
    && python manage.py collectstatic --noinput -v0 \
    && python manage.py compilemessages --ignore=.venv -v0

RUN useradd --create-home portal && mkdir -p /app/media /app/media-private && chown portal /app/media /app/media-private
USER portal
EXPOSE 8000
# Web workers: WEB_CONCURRENCY (gunicorn reads it), 3 by default; posting is CPU-bound, so on a
# busy ledger as many workers as cores post the most (README, "National scale: measured").
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "mha_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60"]
