# pvhub application image (used by compose.yaml for both `migrate` and `app`).
# Front-end libraries come from the npm registry at build time (package-lock.json), Python packages from
# requirements.lock with their hashes checked.

FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
 && mkdir -p /vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js /vendor/ \
 && cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css /vendor/ \
 && cp -r node_modules/leaflet/dist/images /vendor/images

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
COPY --from=assets /vendor web/static/vendor
RUN pip install --no-deps -e . \
 && if [ -d web/translations ]; then pybabel compile -d web/translations -f; fi \
 && useradd --system --home-dir /app --no-create-home pvhub \
 && mkdir -p /app/var && chown pvhub: /app/var

USER pvhub
EXPOSE 8000
CMD ["pvhub", "serve", "--host", "0.0.0.0", "--port", "8000"]
