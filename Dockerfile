FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CXM_DATA_DIR=/data CXM_STATIC_MANIFEST=1 CXM_STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY cxm cxm
COPY listening listening
COPY publishing publishing
COPY care care
COPY ads ads
COPY transformation transformation
COPY templates templates
COPY static static
COPY locale locale
RUN pip install --no-cache-dir . \
 && CXM_SECRET_KEY=build-only DATABASE_URL=postgresql://build@localhost/build REDIS_URL=redis://localhost \
    python manage.py collectstatic --no-input -v 0
RUN useradd --create-home cxm && mkdir -p /data && chown cxm /data
# Set after the build step: the running platform refuses to start without CXM_SECRET_KEYS.
ENV CXM_REQUIRE_SECRET_KEYS=1
USER cxm
EXPOSE 8000
CMD ["gunicorn", "cxm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]
