# Latchkey. `make dev` runs the whole API locally; `make test` runs every test.
# Both install what they need (npm emulators into localstack/node_modules) on first use.

SHELL := /bin/bash
GO ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.PHONY: dev test deps vet build clean cleanup

## deps: install the local emulators (idempotent; quiet when already installed)
deps:
	@bash localstack/setup.sh

## dev: start emulators + the local gateway on LATCHKEY_PORT (default 8080)
dev: deps
	@$(GO) build -o bin/devserver ./localstack/devserver
	@bin/devserver

## test: vet, then unit and integration tests (the tests start and stop their own emulators)
test: deps vet
	$(GO) test -count=1 -timeout 15m ./...

vet:
	$(GO) vet ./...

## cleanup: one run of the expired-session cleanup against the `make dev` table
cleanup:
	LATCHKEY_DYNAMODB_ENDPOINT=http://127.0.0.1:$${LATCHKEY_DYNAMODB_PORT:-8000} \
	LATCHKEY_PROJECT_ID=$${LATCHKEY_PROJECT_ID:-project-test-00000000-0000-4000-8000-000000000000} \
	$(GO) run ./functions/cleanup

## build: one Lambda bootstrap per function, linux/arm64, in dist/<function>/bootstrap
build:
	@for f in $(FUNCTIONS); do \
		echo "build $$f"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
			-o dist/$$f/bootstrap ./functions/$$f || exit 1; \
	done

clean:
	rm -rf dist cdk.out
