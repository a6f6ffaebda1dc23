# The same image as `make image` (scripts/mkimage.sh), for those who build
# with Docker: a static musl binary alone in a scratch image, run as 65532.
#   docker build -t tinyhook:dev --build-arg POLICY=policies/x.h \
#       --build-arg VERSION=$(sh scripts/version.sh) .
# `make image` needs no Docker and is reproducible; prefer it.
# .dockerignore keeps certs/ (keys), build/, .git and the artefacts out of
# the context, so the version comes in as VERSION (without it: 0.0.0).

FROM debian:bookworm-slim AS build
# The Makefile installs the rest (musl-tools, libjsmn-dev, the BearSSL source).
RUN apt-get update && apt-get install -y --no-install-recommends \
        make gcc libc6-dev git ca-certificates file \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG POLICY=policy.h
ARG VERSION=0.0.0
RUN make POLICY=$POLICY VERSION=$VERSION tinyhook && ./tinyhook --version

FROM scratch
ARG VERSION=0.0.0
COPY --from=build /src/tinyhook /tinyhook
LABEL org.opencontainers.image.title="tinyhook" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/tinyhook/tinyhook"
USER 65532:65532
EXPOSE 9443
ENTRYPOINT ["/tinyhook", "--listen", ":9443", "--cert-dir", "/etc/tinyhook/certs"]
