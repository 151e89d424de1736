# The container image for hosts with a Docker engine: `make docker-build`.
# The release image is built without one (`make image`, hack/image) and has
# the same shape, which hack/image's tests check this file against: the
# static binary alone on an empty base as /ackguard, run as 65532:65532
# (no /etc/passwd needed), the manager by default, nothing written outside
# mounted volumes.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=1970-01-01T00:00:00Z
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${BUILD_DATE}" -o /out/ackguard .

FROM scratch
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=1970-01-01T00:00:00Z
ARG SOURCE_URL=https://github.com/ackguard/ackguard
ARG LICENSE=NOASSERTION
ARG DESCRIPTION="Admission and drift control that keeps ACK-managed AWS resources on the safe side of the shared-responsibility line."
LABEL org.opencontainers.image.title="ackguard" \
      org.opencontainers.image.description="${DESCRIPTION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="${LICENSE}"
COPY --from=build /out/ackguard /ackguard
USER 65532:65532
ENTRYPOINT ["/ackguard"]
CMD ["manager"]
