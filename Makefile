# ackguard — see README.md. `make help` lists the targets.

# Tool versions (installed with `go install` into ./bin).
KUSTOMIZE_VERSION ?= v5.8.1
CONTROLLER_GEN_VERSION ?= v0.19.0
HELM_VERSION ?= v3.22.0
GOLANGCI_LINT_VERSION ?= v2.6.2
K8S_VERSION ?= 1.37.2

LOCALBIN ?= $(CURDIR)/bin
GO ?= go
# Packages whose fuzz targets `make test` runs briefly and `make fuzz` longer.
FUZZ_TARGETS ?= ./internal/jsonx:FuzzParse ./internal/jsonx:FuzzScanMatchesTokenizer ./internal/policy:FuzzPrincipalMatchers ./internal/view:FuzzNewBucket ./internal/view:FuzzNewKindViews ./internal/policy:FuzzParse ./internal/policy:FuzzQuickMatchesParse ./internal/scan:FuzzScanStream ./internal/scan:FuzzDecode ./webhooks:FuzzHandle ./webhooks:FuzzGovernanceHandle ./internal/policy:FuzzParseIAMARN ./internal/rules:FuzzSecurityGroup ./internal/unstructuredjson:FuzzDecode ./internal/policy:FuzzGlobsIntersect ./internal/rules:FuzzCanonicalStatement ./internal/rules:FuzzCanonicalStatementPlain ./internal/policy:FuzzAnalyze ./internal/view:FuzzNewRole ./controllers:FuzzRemediationAnnotation
FUZZTIME ?= 5s
# How long the fuzzer may shrink each new input it keeps: Go's default of 60s
# pauses the whole fuzzing run while one slow input (a scanned stream) is
# minimised, so a 5s run of FuzzScanStream judged its seeds and nothing else.
FUZZMINIMIZETIME ?= 10x
LONG_FUZZTIME ?= 60s
# Buckets the reconcile benchmark converges (make bench-reconcile).
RECONCILE_N ?= 10000
# Events, judged Buckets and (a quarter) patches per set of make bench-costs.
COSTS_N ?= 2600
# Clean Buckets the manager judges again on each resync (make bench-resync).
RESYNC_N ?= 10000

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: manifests
manifests: controller-gen ## Regenerate what derives from code: CRDs and deepcopy (controller-gen), the openreports Report CRD (go.mod's version), the chart's copies, the webhook configuration, the baseline policy, docs/rules.md, the chart README's values table (see hack/manifests.sh).
	CONTROLLER_GEN=$(CONTROLLER_GEN) GO=$(GO) hack/manifests.sh

.PHONY: docs
docs: ## Regenerate docs/rules.md, the rule reference (also part of make manifests).
	$(GO) run ./hack/genrulesdoc >docs/rules.md

.PHONY: envtest
envtest: ## Build kube-apiserver, etcd and kubectl from the Go module proxy into bin/k8s (idempotent).
	@K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh >/dev/null

.PHONY: test
test: envtest vet helm kustomize ## Run every test with the race detector (unit, fuzz seeds, integration against a real API server, installing the chart and config/), then each fuzz target briefly.
	@echo ">> unit and integration tests (envtest binaries: bin/k8s/$(K8S_VERSION))"
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" HELM=$(HELM) KUSTOMIZE=$(KUSTOMIZE) $(GO) test -race ./... -count=1 -coverprofile cover.out
	@echo ">> bench/engines: the engine, CEL and Rego give the same verdicts (TestVerdictsAgree)"
	cd bench/engines && $(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

.PHONY: test-unit
test-unit: ## Run the tests that need no API server.
	$(GO) test -short ./internal/...

.PHONY: test-integration
test-integration: envtest helm kustomize ## Run the envtest suites (webhook, reconciler, demo, install, governance snapshot, unstructured informers).
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" HELM=$(HELM) KUSTOMIZE=$(KUSTOMIZE) $(GO) test -count=1 ./webhooks/ ./controllers/ ./hack/demo/ ./test/install/ ./internal/govsource/ ./internal/unstructuredjson/

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 5s; LONG: make fuzz FUZZTIME=60s).
	@log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo ">> fuzz $$pkg $$fn for $(FUZZTIME)"; \
	  if ! $(GO) test $$pkg -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) >$$log 2>&1; then \
	    if grep -q "Failing input written to" $$log; then tail -40 $$log; echo "fuzz $$pkg $$fn found a crasher (saved under $$pkg/testdata/fuzz)"; exit 1; fi; \
	    echo "   (the fuzzer stopped without a failing input: $$(grep -m1 -E 'deadline|error' $$log))"; \
	  fi; \
	done

.PHONY: bench
bench: ## Run the benchmarks (engine, parsers, governance with 1,000 policies and 10,000 exceptions) with allocation counts, then the engine against CEL and Rego (bench/engines, its own module) with the ratios of that run.
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/... ./webhooks
	@out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	  (cd bench/engines && $(GO) test -run='^$$' -bench=. -benchmem) | tee $$out; \
	  echo; GO=$(GO) hack/bench-ratios.sh $$out

.PHONY: bench-admission
bench-admission: envtest ## Time Bucket admission through a real API server: none, ValidatingAdmissionPolicy, a no-op webhook, the ackguard manager process (and Kyverno with KYVERNO_BIN); BENCH_ARGS="-n 300 -json -pprof FILE".
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" $(GO) run ./hack/bench/admission $(BENCH_ARGS)

.PHONY: bench-reconcile
bench-reconcile: envtest ## Time the manager converging RECONCILE_N (10000) violating Buckets against a plain patch loop (run before and after it), with its peak RSS.
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" $(GO) run ./hack/bench/admission -reconcile $(RECONCILE_N) $(BENCH_ARGS)

.PHONY: bench-costs
bench-costs: envtest ## What the manager's other writes cost kube-apiserver and etcd (COSTS_N Events, its Report of COSTS_N judged Buckets written 5 times) and whether one more watcher of every Bucket makes patches dearer (balanced sets of COSTS_N/4 patches).
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" $(GO) run ./hack/bench/admission -costs $(COSTS_N) $(BENCH_ARGS)

.PHONY: bench-resync
bench-resync: envtest ## Admission latency while the manager judges RESYNC_N (10000) clean Buckets again on a short resync, against admissions while it is idle; BENCH_ARGS="-cpu-request 0" for the Go runtime's default GOMAXPROCS.
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" $(GO) run ./hack/bench/admission -resync $(RESYNC_N) $(BENCH_ARGS)

.PHONY: lint
lint: golangci-lint ## Run golangci-lint.
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: vet helm kustomize controller-gen actionlint ## Check formatting, go.mod tidiness, generated files (CRDs, chart copies, webhooks, baseline, docs/rules.md), that the chart and config/ agree, helm lint, and the release machinery (workflows with actionlint, goreleaser's flags, the Dockerfile).
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "run make fmt"; exit 1; }
	@$(GO) mod tidy -diff || { echo "run go mod tidy"; exit 1; }
	@cd bench/engines && $(GO) mod tidy -diff || { echo "run go mod tidy in bench/engines"; exit 1; }
	@CONTROLLER_GEN=$(CONTROLLER_GEN) GO=$(GO) hack/manifests.sh --check
	HELM=$(HELM) KUSTOMIZE=$(KUSTOMIZE) $(GO) test -count=1 -run 'TestChartAndConfigAgree|TestRenderedRBACIsMinimal|TestChartAndConfigShipTheSameCRDs|TestShippedBaselineIsTheGoBaseline' ./test/install/
	$(HELM) lint --strict --namespace ackguard-system charts/ackguard
	@for f in charts/ackguard/ci/*-values.yaml; do $(HELM) lint --strict --quiet --namespace ackguard-system charts/ackguard -f $$f >/dev/null || { $(HELM) lint --strict --namespace ackguard-system charts/ackguard -f $$f; exit 1; }; done
	$(ACTIONLINT)
	$(GO) test -count=1 ./test/release/ && $(GO) test -count=1 -short -run 'TestDockerfile' ./hack/image/

##@ Build

# What every build stamps into the binary, the image and the chart:
# VERSION is the git tag without its v (hack/version.sh), COMMIT the commit,
# BUILD_DATE the commit's time (not the build's, so a commit always builds
# the same bytes).
VERSION ?= $(shell hack/version.sh)
VERSION := $(VERSION)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
COMMIT := $(COMMIT)
BUILD_DATE ?= $(shell TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || echo 1970-01-01T00:00:00Z)
BUILD_DATE := $(BUILD_DATE)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(BUILD_DATE)

.PHONY: build
build: ## Build bin/ackguard.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ackguard .

.PHONY: run
run: ## Run the manager against the cluster of the current kubeconfig: the drift reconciler alone, as the cluster cannot call a webhook served here (RUN_ARGS adds flags: docs/install.md).
	$(GO) run . manager --leader-elect=false --enable-webhook=false $(RUN_ARGS)

# The demo is built, then run by make itself (no shell in between): go run,
# or a shell waiting for the demo, turns Ctrl-C into a failure make reports
# after the demo's goodbye.
.PHONY: demo
demo: envtest ## Walk through ackguard on a local control plane (no Docker; hack/demo, not part of the ackguard binary); Ctrl-C stops it.
	$(GO) build -o $(LOCALBIN)/demo ./hack/demo
	$(LOCALBIN)/demo --examples examples

.PHONY: scan-examples
scan-examples: build ## Scan the example manifests (exit 1: the insecure example would be denied).
	bin/ackguard scan examples/ || true

.PHONY: docker-build
docker-build: ## Build the container image with a Docker engine (make image needs none).
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg BUILD_DATE=$(BUILD_DATE) \
	  --build-arg SOURCE_URL=$(SOURCE_URL) --build-arg LICENSE='$(LICENSE)' --build-arg DESCRIPTION='$(DESCRIPTION)' -t $(IMAGE):$(VERSION) .

##@ Release (docs/releasing.md)

# Where make image-push and make chart-push publish.
IMAGE ?= ghcr.io/ackguard/ackguard
CHART_REPO ?= oci://ghcr.io/ackguard/charts
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_ARCHIVE ?= dist/ackguard-image.tar
SOURCE_URL ?= https://github.com/ackguard/ackguard
# The SPDX expression of the project's license, for the image's labels.
LICENSE ?= NOASSERTION
DESCRIPTION := Admission and drift control that keeps ACK-managed AWS resources on the safe side of the shared-responsibility line.
GORELEASER_VERSION ?= v2.17.0
CYCLONEDX_GOMOD_VERSION ?= v1.10.0
ACTIONLINT_VERSION ?= v1.7.12

.PHONY: version
version: ## Print the version a build of this checkout stamps.
	@echo $(VERSION)

.PHONY: image
image: ## Build the image for IMAGE_PLATFORMS without a container engine into IMAGE_ARCHIVE (an OCI archive), then test it.
	@for p in $(IMAGE_PLATFORMS); do \
	  echo ">> build $$p"; \
	  GOOS=$${p%%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/image/$${p//\//_}/ackguard . ; \
	done
	$(GO) run ./hack/image build --output $(IMAGE_ARCHIVE) \
	  $(foreach p,$(IMAGE_PLATFORMS),--platform $(p)=dist/image/$(subst /,_,$(p))/ackguard) \
	  --version $(VERSION) --revision $(COMMIT) --created $(BUILD_DATE) \
	  --source $(SOURCE_URL) --licenses '$(LICENSE)' --description '$(DESCRIPTION)'
	IMAGE_ARCHIVE=$(abspath $(IMAGE_ARCHIVE)) $(GO) test -count=1 -run '^TestReleaseImage$$' ./hack/image/

.PHONY: image-push
image-push: image ## Build, test and push the image as IMAGE:VERSION (log in first: docker login); writes dist/image.digest.
	$(GO) run ./hack/image push --input $(IMAGE_ARCHIVE) --ref $(IMAGE):$(VERSION) --digest-file dist/image.digest

.PHONY: image-sbom
image-sbom: cyclonedx-gomod ## Write the CycloneDX SBOM of the image's binaries (make image first) to dist/image/sbom.cdx.json.
	$(CYCLONEDX_GOMOD) bin -json -version $(VERSION) -output dist/image/sbom.cdx.json dist/image/linux_amd64/ackguard

.PHONY: chart-package
chart-package: helm ## Package the chart into dist/chart/ with version and appVersion VERSION and the image IMAGE (the committed Chart.yaml stays as it is).
	@rm -rf dist/chart && mkdir -p dist/chart/src && cp -R charts/ackguard dist/chart/src/
	@IMAGE=$(IMAGE) VERSION=$(VERSION) hack/chart-image.sh dist/chart/src/ackguard/values.yaml dist/chart/src/ackguard/Chart.yaml
	$(HELM) package dist/chart/src/ackguard --version $(VERSION) --app-version $(VERSION) -d dist/chart
	@img=$$($(HELM) template ackguard dist/chart/ackguard-$(VERSION).tgz --namespace ackguard-system | sed -n 's/^ *image: *"\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' | sort -u); \
	  grep -qxF "$(IMAGE):$(VERSION)" <<<"$$img" || { echo "the packaged chart runs $$img, not $(IMAGE):$(VERSION)"; exit 1; }
	@$(HELM) show chart dist/chart/ackguard-$(VERSION).tgz | grep -qxF "      image: $(IMAGE):$(VERSION)" || { echo "the packaged chart's artifacthub.io/images does not list $(IMAGE):$(VERSION)"; exit 1; }
	@echo "dist/chart/ackguard-$(VERSION).tgz runs $(IMAGE):$(VERSION)"

.PHONY: chart-push
chart-push: chart-package ## Push the packaged chart to CHART_REPO (log in first: helm registry login, or docker login); writes dist/chart.digest.
	$(HELM) push dist/chart/ackguard-$(VERSION).tgz $(CHART_REPO) 2>&1 | tee dist/chart/push.log
	@d=$$(sed -n 's/^Digest: *//p' dist/chart/push.log); [ -n "$$d" ] || { echo "helm push printed no digest"; exit 1; }; \
	  echo "$(patsubst oci://%,%,$(CHART_REPO))/ackguard@$$d" > dist/chart.digest

.PHONY: release-preflight
release-preflight: ## Check that the checkout is a clean commit tagged vVERSION (the release workflow's first step).
	@git diff --quiet HEAD || { echo "uncommitted changes: a release is built from its tag alone"; exit 1; }
	@tag=$$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null) || { echo "HEAD carries no v* tag"; exit 1; }; \
	  [ "$$tag" = "v$(VERSION)" ] || { echo "HEAD is tagged $$tag but would build version $(VERSION)"; exit 1; }; \
	  [ -z "$${GITHUB_REF_NAME:-}" ] || [ "$$GITHUB_REF_NAME" = "$$tag" ] || { echo "the workflow runs for $$GITHUB_REF_NAME, HEAD builds $$tag"; exit 1; }; \
	  echo "releasing $(VERSION) from $$tag ($(COMMIT))"

.PHONY: release-check
release-check: goreleaser ## Check .goreleaser.yaml.
	$(GORELEASER) check

.PHONY: release-snapshot
release-snapshot: goreleaser cyclonedx-gomod ## Build the release archives, checksums and SBOMs of this checkout into dist/release (nothing is published or signed).
	PATH="$(LOCALBIN):$$PATH" VERSION=$(VERSION) $(GORELEASER) release --snapshot --clean --skip=publish,sign

.PHONY: release
release: goreleaser cyclonedx-gomod ## Publish the GitHub release of the current tag: archives, checksums, SBOMs, signatures (the release workflow runs it; needs GITHUB_TOKEN and cosign).
	PATH="$(LOCALBIN):$$PATH" $(GORELEASER) release --clean

.PHONY: lint-workflows
lint-workflows: actionlint ## Check .github/workflows with actionlint.
	$(ACTIONLINT)

##@ Deployment

# The image make deploy runs: what make image-push IMAGE=... publishes.
DEPLOY_IMAGE ?= $(IMAGE):$(VERSION)

.PHONY: deploy-manifests
deploy-manifests: kustomize ## Write config/default with the manager's image set to DEPLOY_IMAGE to dist/deploy/ackguard.yaml.
	@rm -rf dist/deploy && mkdir -p dist/deploy/overlay
	@printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../../config/default\n' > dist/deploy/overlay/kustomization.yaml
	@cd dist/deploy/overlay && $(KUSTOMIZE) edit set image ackguard=$(DEPLOY_IMAGE)
	$(KUSTOMIZE) build dist/deploy/overlay > dist/deploy/ackguard.yaml
	@echo "dist/deploy/ackguard.yaml runs $(DEPLOY_IMAGE)"

.PHONY: deploy
deploy: deploy-manifests ## Deploy to the cluster of the current kubeconfig (needs cert-manager), running DEPLOY_IMAGE: CRDs first, then the rest, server-side.
	$(KUSTOMIZE) build config/crd | kubectl apply --server-side --field-manager=ackguard-install -f -
	kubectl wait --for condition=Established --timeout=60s crd/guardrailpolicies.policy.ackguard.dev crd/guardrailexceptions.policy.ackguard.dev crd/reports.openreports.io
	kubectl apply --server-side --field-manager=ackguard-install -f dist/deploy/ackguard.yaml

.PHONY: undeploy
undeploy: kustomize ## Remove the deployment, the webhook configuration first; keeps the CRDs (and so every policy, exception and report, including other tools' Reports).
	kubectl delete --ignore-not-found validatingwebhookconfiguration ackguard-validating-webhook-configuration
	$(KUSTOMIZE) build config/policies | kubectl delete --ignore-not-found -f -
	$(KUSTOMIZE) build config/install | kubectl delete --ignore-not-found -f -

##@ Tools

KUSTOMIZE ?= $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
GORELEASER ?= $(LOCALBIN)/goreleaser-$(GORELEASER_VERSION)
CYCLONEDX_GOMOD ?= $(LOCALBIN)/cyclonedx-gomod-$(CYCLONEDX_GOMOD_VERSION)
ACTIONLINT ?= $(LOCALBIN)/actionlint-$(ACTIONLINT_VERSION)

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Install kustomize into bin/.
$(KUSTOMIZE):
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: helm
helm: $(HELM) ## Install helm into bin/.
$(HELM):
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen

.PHONY: controller-gen
controller-gen: ## Install controller-gen into bin/ (unless bin/controller-gen is CONTROLLER_GEN_VERSION already).
	@[ "$$($(CONTROLLER_GEN) --version 2>/dev/null)" = "Version: $(CONTROLLER_GEN_VERSION)" ] || { \
	echo "Downloading sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)"; \
	GOBIN=$(LOCALBIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION); }

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint into bin/.
$(GOLANGCI_LINT):
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

.PHONY: goreleaser
goreleaser: $(GORELEASER) ## Install goreleaser into bin/.
$(GORELEASER):
	$(call go-install-tool,$(GORELEASER),github.com/goreleaser/goreleaser/v2,$(GORELEASER_VERSION))

.PHONY: cyclonedx-gomod
cyclonedx-gomod: $(CYCLONEDX_GOMOD) ## Install cyclonedx-gomod (the SBOM generator) into bin/.
$(CYCLONEDX_GOMOD):
	$(call go-install-tool,$(CYCLONEDX_GOMOD),github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod,$(CYCLONEDX_GOMOD_VERSION))

.PHONY: actionlint
actionlint: $(ACTIONLINT) ## Install actionlint into bin/.
$(ACTIONLINT):
	$(call go-install-tool,$(ACTIONLINT),github.com/rhysd/actionlint/cmd/actionlint,$(ACTIONLINT_VERSION))

# go-install-tool installs package $2 at version $3 as $1 (with a symlink
# without the version), as kubebuilder's scaffold does.
define go-install-tool
@[ -f "$(1)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f $(1) || true ;\
GOBIN=$(LOCALBIN) $(GO) install $${package} ;\
mv $(LOCALBIN)/$$(basename "$$(echo "$(2)" | sed "s/\/v[0-9]*$$//")") $(1) ;\
} ;\
ln -sf $$(basename $(1)) $(LOCALBIN)/$$(basename $(1) | sed 's/-v[0-9.]*$$//')
endef
