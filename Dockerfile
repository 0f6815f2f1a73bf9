# lockbot: slim, non-root, with a health check on /healthz.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
RUN python -m venv /opt/lockbot \
 && /opt/lockbot/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/lockbot/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lockbot \
 && mkdir -p /data && chown lockbot /data
COPY --from=build /opt/lockbot /opt/lockbot
ENV PATH=/opt/lockbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/lockbot.db \
    LOCKBOT_HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
USER lockbot
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=4)"]
ENTRYPOINT ["lockbot"]
CMD ["serve"]
