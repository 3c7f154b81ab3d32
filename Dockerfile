# Phosphore in a container: `docker build -t phosphore .`, then see the README's "Deploy".
# Tokens and the database URL come from the environment at run time: none is baked into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE MANIFEST.in ./
COPY bot ./bot
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin phosphore \
    && mkdir -p /data \
    && chown phosphore:phosphore /data

# The SQLite file (and its lock) live on the volume: without one, every poll and sign-up is lost at each restart.
VOLUME ["/data"]
WORKDIR /data
USER phosphore

ENV PHOSPHORE_DB=/data/phosphore.db \
    PHOSPHORE_OPS_PORT=9464
# 3000: Slack's HTTP mode ($PORT); 8080: the live pages; 9464: /healthz and /metrics alone.
EXPOSE 3000 8080 9464

# 503 (database not answering, scheduler stopped) or no answer makes urlopen raise: the container turns unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]

ENTRYPOINT ["phosphore"]
CMD ["run"]
