# One image for every OneDoor service; the container's command picks the service:
#   docker run --rm onedoor                                   -> onedoor --help
#   onedoor run intake | routing | notify
#   onedoor run department civil_affairs|education|hrss|housing|medical|federations
# Settings come from ONEDOOR_* environment variables (services/common/settings.py).
# docker-compose.yml runs the whole production topology from this image.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

# An unprivileged user that owns nothing but the data directory.
RUN groupadd --system --gid 10001 onedoor \
 && useradd --system --uid 10001 --gid onedoor --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin onedoor \
 && mkdir -p /var/lib/onedoor \
 && chown onedoor:onedoor /var/lib/onedoor

WORKDIR /src

# Dependencies first, in their own layer, so that a change to the code alone does not
# download them again: the ones pyproject.toml pins, with every transitive version held by
# constraints.txt (the same set `make` installs and the tests run against).
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install --no-cache-dir -c constraints.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the project itself (its dependencies are already satisfied), installed from /src
# while working elsewhere, so that the source tree can go: the installed package in
# site-packages is what runs.
WORKDIR /var/lib/onedoor
COPY . /src
RUN pip install --no-cache-dir -c /src/constraints.txt /src \
 && rm -rf /src

# By number: a host or an orchestrator checking "runs as non-root" cannot resolve a name.
USER 10001:10001

# Containers must listen on every interface (the default, 127.0.0.1, is for `onedoor up`).
# ONEDOOR_PORT is the HTTP port; compose gives every service its own.
ENV ONEDOOR_HOST=0.0.0.0 \
    ONEDOOR_PORT=8000 \
    ONEDOOR_DATA_DIR=/var/lib/onedoor

EXPOSE 8000

# Liveness only (/health answers once the service has started); /ready is for load
# balancers. No curl in the slim image, so python does the request; any error or non-2xx
# status raises, and python exits 1 (unhealthy).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('ONEDOOR_PORT', '8000'), timeout=4)"]

CMD ["onedoor", "--help"]
