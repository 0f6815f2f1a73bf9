# lockbot: slim, multi-stage, non-root, with a health check on /healthz.
#   docker build -t lockbot .
#   docker run --env-file .env -v lockbot-data:/data -p 127.0.0.1:3000:3000 lockbot

# --- build: install lockbot and its dependencies into a self-contained venv ---------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/lockbot
# Every dependency at the version requirements.lock pins, its hash checked; then lockbot alone.
COPY requirements.lock ./
RUN /opt/lockbot/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
# The wheel (hatchling) force-includes the top-level migrations/ as bot/migrations.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
RUN /opt/lockbot/bin/pip install --no-cache-dir --no-deps .

# --- runtime: the venv, a non-root user, and a writable /data for SQLite ------------------------
FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 lockbot \
 && useradd --system --uid 10001 --gid lockbot --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin lockbot \
 && mkdir -p /app /data \
 && chown lockbot:lockbot /data
COPY --from=build /opt/lockbot /opt/lockbot
ENV PATH=/opt/lockbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite:////data/lockbot.db \
    LOCKBOT_HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
# No curl in slim images: ask /healthz with urllib; a non-2xx answer (503) raises, so exit 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["lockbot"]
CMD ["serve"]
