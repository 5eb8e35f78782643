# A small gcsync image: built from source with the stripped `dist` profile, run on
# distroless (glibc, CA certificates for HTTPS to Genesys Cloud, no shell, non-root).
#   docker build -t gcsync .
#   docker run --rm -v "$PWD:/work" -e GENESYS_CLOUD_REGION -e GENESYS_CLOUD_CLIENT_ID \
#     -e GENESYS_CLOUD_CLIENT_SECRET gcsync plan
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --profile dist --locked && cp target/dist/gcsync /gcsync

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /gcsync /usr/local/bin/gcsync
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/gcsync"]
CMD ["--help"]
