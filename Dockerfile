# Multi-stage build of a static ackguard binary on a distroless, non-root
# base. No Docker engine runs on the project's build machines: `make build`
# builds the same binary reproducibly without one.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ackguard .

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/ackguard /ackguard
USER 65532:65532
ENTRYPOINT ["/ackguard"]
CMD ["manager"]
