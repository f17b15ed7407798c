# recsys: one image for every pipeline step (train, register, publish, serve).
# Build stage: Debian 12's compiler and -dev packages, the same as scripts/install-deps.sh.
FROM debian:12-slim AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config git ca-certificates \
        libeigen3-dev libpq-dev libcpp-httplib-dev libcurl4-openssl-dev nlohmann-json3-dev \
        libcli11-dev libspdlog-dev libyaml-cpp-dev libssl-dev libzip-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# The build context keeps .git (see .dockerignore) so that models record the commit.
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRECSYS_BUILD_TESTS=OFF \
        -DRECSYS_BUILD_BENCH=OFF \
    && cmake --build build --target recsys -j"$(nproc)" \
    && strip build/recsys

# Runtime stage: only the shared libraries that the program links, plus curl for the
# health check.
FROM debian:12-slim AS runtime

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates curl libpq5 libcurl4 libcpp-httplib0.11 libspdlog1.10 libfmt9 \
        libyaml-cpp0.7 libssl3 libzip4 \
    && rm -rf /var/lib/apt/lists/*

# The data directory exists in the image so that a new named volume mounted on it is owned
# by the recsys user.
RUN groupadd --system --gid 10001 recsys \
    && useradd --system --uid 10001 --gid recsys --home-dir /var/lib/recsys --create-home \
        --shell /usr/sbin/nologin recsys \
    && mkdir -p /var/lib/recsys/data \
    && chown recsys:recsys /var/lib/recsys/data

COPY --from=build /src/build/recsys /usr/local/bin/recsys
COPY scripts/compose-trainer.sh /usr/local/bin/recsys-compose-trainer

USER recsys
WORKDIR /var/lib/recsys
ENV RECSYS_DATA_DIR=/var/lib/recsys/data

# docker-compose.yml adds the health check for the API, because the trainer runs the same
# image without a server.
EXPOSE 8080

ENTRYPOINT ["recsys"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
