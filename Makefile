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
FUZZ_TARGETS ?= ./internal/jsonx:FuzzParse ./internal/view:FuzzNewBucket ./internal/policy:FuzzParse ./internal/scan:FuzzScanStream ./internal/scan:FuzzDecode ./webhooks:FuzzHandle ./webhooks:FuzzGovernanceHandle
FUZZTIME ?= 5s
LONG_FUZZTIME ?= 60s
# Buckets the reconcile benchmark converges (make bench-reconcile).
RECONCILE_N ?= 10000

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
test-integration: envtest helm kustomize ## Run the envtest suites (webhook, reconciler, demo, install).
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" HELM=$(HELM) KUSTOMIZE=$(KUSTOMIZE) $(GO) test -count=1 ./webhooks/ ./controllers/ ./hack/demo/ ./test/install/

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 5s; LONG: make fuzz FUZZTIME=60s).
	@log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo ">> fuzz $$pkg $$fn for $(FUZZTIME)"; \
	  if ! $(GO) test $$pkg -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) >$$log 2>&1; then \
	    if grep -q "Failing input written to" $$log; then tail -40 $$log; echo "fuzz $$pkg $$fn found a crasher (saved under $$pkg/testdata/fuzz)"; exit 1; fi; \
	    echo "   (the fuzzer stopped without a failing input: $$(grep -m1 -E 'deadline|error' $$log))"; \
	  fi; \
	done

.PHONY: bench
bench: ## Run the benchmarks (engine, parsers) with allocation counts, then the engine against CEL and Rego (bench/engines, its own module) with the ratios of that run.
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...
	@out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	  (cd bench/engines && $(GO) test -run='^$$' -bench=. -benchmem) | tee $$out; \
	  echo; GO=$(GO) hack/bench-ratios.sh $$out

.PHONY: bench-admission
bench-admission: envtest ## Time Bucket admission through a real API server: none, ValidatingAdmissionPolicy, the ackguard manager process (and Kyverno with KYVERNO_BIN); BENCH_ARGS="-n 300 -json -pprof FILE".
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" $(GO) run ./hack/bench/admission $(BENCH_ARGS)

.PHONY: bench-reconcile
bench-reconcile: envtest ## Time the manager converging RECONCILE_N (10000) violating Buckets against a plain patch loop, with its peak RSS.
	KUBEBUILDER_ASSETS="$$(K8S_VERSION=$(K8S_VERSION) hack/setup-envtest.sh)" $(GO) run ./hack/bench/admission -reconcile $(RECONCILE_N) $(BENCH_ARGS)

.PHONY: lint
lint: golangci-lint ## Run golangci-lint.
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: vet helm kustomize controller-gen ## Check formatting, go.mod tidiness, generated files (CRDs, chart copies, webhooks, baseline, docs/rules.md), that the chart and config/ agree, and helm lint.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "run make fmt"; exit 1; }
	@$(GO) mod tidy -diff || { echo "run go mod tidy"; exit 1; }
	@cd bench/engines && $(GO) mod tidy -diff || { echo "run go mod tidy in bench/engines"; exit 1; }
	@CONTROLLER_GEN=$(CONTROLLER_GEN) GO=$(GO) hack/manifests.sh --check
	HELM=$(HELM) KUSTOMIZE=$(KUSTOMIZE) $(GO) test -count=1 -run 'TestChartAndConfigAgree|TestRenderedRBACIsMinimal|TestChartAndConfigShipTheSameCRDs|TestShippedBaselineIsTheGoBaseline' ./test/install/
	$(HELM) lint --strict charts/ackguard
	@for f in charts/ackguard/ci/*-values.yaml; do $(HELM) lint --strict --quiet charts/ackguard -f $$f >/dev/null || { $(HELM) lint --strict charts/ackguard -f $$f; exit 1; }; done

##@ Build

.PHONY: build
build: ## Build bin/ackguard.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o bin/ackguard .

.PHONY: run
run: ## Run the manager against the cluster of the current kubeconfig.
	$(GO) run . manager --leader-elect=false

.PHONY: demo
demo: envtest ## Walk through ackguard on a local control plane (no Docker; hack/demo, not part of the ackguard binary); Ctrl-C stops it.
	$(GO) run ./hack/demo --examples examples

.PHONY: scan-examples
scan-examples: build ## Scan the example manifests (exit 1: the insecure example would be denied).
	bin/ackguard scan examples/ || true

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine; none runs on the project's build machines).
	docker build -t ackguard:dev .

##@ Deployment

.PHONY: deploy
deploy: kustomize ## Deploy to the cluster of the current kubeconfig (needs cert-manager): CRDs first, then the rest, server-side.
	$(KUSTOMIZE) build config/crd | kubectl apply --server-side --field-manager=ackguard-install -f -
	kubectl wait --for condition=Established --timeout=60s crd/guardrailpolicies.policy.ackguard.dev crd/guardrailexceptions.policy.ackguard.dev crd/reports.openreports.io
	$(KUSTOMIZE) build config/default | kubectl apply --server-side --field-manager=ackguard-install -f -

.PHONY: undeploy
undeploy: kustomize ## Remove the deployment; keeps the CRDs (and so every policy, exception and report, including other tools' Reports).
	$(KUSTOMIZE) build config/policies | kubectl delete --ignore-not-found -f -
	$(KUSTOMIZE) build config/install | kubectl delete --ignore-not-found -f -

##@ Tools

KUSTOMIZE ?= $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)

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
