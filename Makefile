# Latchkey. `make dev` runs the whole API locally; `make test` runs every test.
# Both install what they need (npm emulators into localstack/node_modules) on first use.

SHELL := /bin/bash
GO ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.PHONY: dev test deps vet build clean cleanup fuzz security freemail

# Fuzz targets as package:Target. `make fuzz` runs each for FUZZTIME; `make test` for 2000 inputs.
FUZZ_TARGETS := ./shared:FuzzOrganizationPatch ./shared:FuzzMemberPatch ./shared:FuzzNormalizeEmail \
	./shared:FuzzEmailChanges ./shared:FuzzValidateDocument ./shared:FuzzNames ./shared:FuzzEmailCharacters \
	./shared/authn:FuzzSessionToken ./shared/magiclink:FuzzRedirectAndPKCE ./shared/magiclink:FuzzAuthRequests \
	./shared/orgs:FuzzSearchRequest ./shared/api:FuzzDecode ./shared/scim:FuzzParseFilter ./shared/scim:FuzzApplyPatch \
	./shared/pwhash:FuzzImport ./shared/strength:FuzzZxcvbn ./shared/samlsp:FuzzVerify \
	./shared/sessionmigrate:FuzzUserinfoAnswer
FUZZTIME ?= 20s

# The public mailbox list compiled into every Lambda is a copy of one pinned npm package's list.
# npm runs with --ignore-scripts: the package's postinstall would overwrite the published list with
# a live download, so the copy would no longer match the version pinned here.
FREEMAIL_NPM := shared/freemail/_npm
FREEMAIL_PKG := $(FREEMAIL_NPM)/node_modules/free-email-domains/package.json

# stytch-node (npm `stytch`), pinned for the compatibility test shared/api/stytchnode_test.go,
# which runs localstack/stytchnode/b2b.test.mjs with node --test against the test stack.
STYTCHNODE_NPM := localstack/stytchnode
STYTCHNODE_PKG := $(STYTCHNODE_NPM)/node_modules/stytch/package.json

## deps: install the local emulators, the pinned mailbox-domain list and stytch-node (idempotent; quiet when installed)
deps: $(FREEMAIL_PKG) $(STYTCHNODE_PKG)
	@bash localstack/setup.sh

## dev: start emulators + the local gateway on LATCHKEY_PORT (default 8080)
dev: deps
	@$(GO) build -o bin/devserver ./localstack/devserver
	@bin/devserver

## test: vet, then unit and integration tests (the tests start and stop their own emulators)
test: deps vet
	$(GO) test -count=1 -timeout 15m ./...
	@# A count, not a duration: a duration's deadline races the fuzz workers and can fail a
	@# target with a bare "context deadline exceeded" (Go issue 75804, fixed in Go 1.27).
	@$(MAKE) --no-print-directory fuzz FUZZTIME=2000x

## security: run the security, isolation, concurrency and fault tests; rewrite docs/SECURITY.md
security: deps
	$(GO) run ./docs/securityreport

## openapi: rewrite docs/openapi.json from the route table and the handlers' types (a test fails while it is stale)
.PHONY: openapi
openapi:
	$(GO) run ./docs/openapigen

## errors: rewrite docs/ERRORS.md, every error_type with its status and Stytch alignment, from the code (a test fails while it is stale)
.PHONY: errors
errors:
	$(GO) run ./docs/errorsreport

## fuzz: every fuzz target for FUZZTIME each (default 20s; about 5 minutes in all); new crashers land in testdata/fuzz
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($(FUZZTIME))"; \
		$(GO) test $$pkg -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) > /tmp/latchkey-fuzz.log 2>&1 \
			|| { cat /tmp/latchkey-fuzz.log; exit 1; }; \
	done

vet:
	$(GO) vet ./...

## freemail: regenerate shared/freemail/domains.txt from the npm package pinned in shared/freemail/_npm
freemail: $(FREEMAIL_PKG)
	node -e 'for (const d of require("./$(FREEMAIL_NPM)/node_modules/free-email-domains/domains.json")) console.log(d)' \
		> shared/freemail/domains.txt
	@echo "shared/freemail/domains.txt: $$(wc -l < shared/freemail/domains.txt) domains"

$(FREEMAIL_PKG): $(FREEMAIL_NPM)/package.json $(FREEMAIL_NPM)/package-lock.json
	npm ci --prefix $(FREEMAIL_NPM) --ignore-scripts --no-audit --no-fund
	@touch $@

$(STYTCHNODE_PKG): $(STYTCHNODE_NPM)/package.json $(STYTCHNODE_NPM)/package-lock.json
	npm ci --prefix $(STYTCHNODE_NPM) --ignore-scripts --no-audit --no-fund
	@touch $@

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

# ---- AWS deployment: the CDK app in infra/ (see infra/README.md) -------------------------------
# Stack settings are CDK context. Pass them as make variables (below), as CDK_CONTEXT="-c key=value ...",
# or keep them in the "context" block of infra/cdk.json. `make synth` needs neither AWS nor the cdk CLI.
CDK_CLI := infra/_cdk/node_modules/.bin/cdk
cdk_ctx = $(if $($(1)),-c '$(2)=$($(1))')
CDK_ARGS = $(call cdk_ctx,STACK,stackName) $(call cdk_ctx,PROJECT_ID,projectId) \
	$(call cdk_ctx,SENDER,sender) $(call cdk_ctx,SENDER_IDENTITY,senderIdentity) \
	$(call cdk_ctx,REDIRECT_URLS,redirectUrls) $(call cdk_ctx,DEFAULT_REDIRECT_URL,defaultRedirectUrl) \
	$(call cdk_ctx,ALARM_EMAIL,alarmEmail) $(call cdk_ctx,TABLE,tableName) \
	$(call cdk_ctx,DELETION_PROTECTION,deletionProtection) $(call cdk_ctx,SANDBOX_RECIPIENTS,sandboxRecipients) \
	$(call cdk_ctx,DOMAIN_NAME,domainName) $(call cdk_ctx,CERTIFICATE_ARN,certificateArn) \
	$(call cdk_ctx,BASE_URL,baseUrl) $(call cdk_ctx,RBAC_POLICY,rbacPolicy) $(CDK_CONTEXT)
# The audit trail's retention in days (webhook events; default 30).
CDK_ARGS += $(call cdk_ctx,EVENT_RETENTION_DAYS,eventRetentionDays)
CDK_RUN = cd infra && CDK_DISABLE_CLI_TELEMETRY=true _cdk/node_modules/.bin/cdk

.PHONY: synth deploy destroy diff cdk-bootstrap cdk-cli project-secret project-secret-list project-secret-revoke

## synth: write cdk.out/<stack>.template.json offline (placeholder code if make build has not run); fails on cdk-nag findings
synth:
	$(GO) run ./infra/cmd/cdk $(CDK_ARGS)

## cdk-cli: install the pinned aws-cdk CLI into infra/_cdk/node_modules (deploy/destroy/diff do this)
cdk-cli: $(CDK_CLI)
$(CDK_CLI): infra/_cdk/package.json infra/_cdk/package-lock.json
	npm ci --prefix infra/_cdk --no-audit --no-fund
	@# The CLI ships `cdk init` Go templates that are not valid Go; drop them so `gofmt -l .` stays clean.
	@rm -rf infra/_cdk/node_modules/aws-cdk/lib/init-templates/*/go
	@touch $@

## cdk-bootstrap: once per AWS account and region, before the first deploy
cdk-bootstrap: cdk-cli
	$(CDK_RUN) bootstrap $(CDK_ARGS)

## diff: what make deploy would change (AWS credentials)
diff: build cdk-cli
	$(CDK_RUN) diff -c strict=true $(CDK_ARGS)

## deploy: make build, then cdk deploy (AWS credentials; PROJECT_ID=project-live-<uuid> SENDER=no-reply@your.domain)
deploy: build cdk-cli
	$(CDK_RUN) deploy -c strict=true $(CDK_ARGS) $(CDK_DEPLOY_FLAGS)

## destroy: delete the stack (the table is kept unless it was deployed with DELETION_PROTECTION=false)
destroy: cdk-cli
	$(CDK_RUN) destroy $(CDK_ARGS) $(CDK_DESTROY_FLAGS)

## project-secret: create a project secret in the deployed table and print it once (AWS credentials)
SECRET_FLAGS = $(if $(PROJECT_ID),-project-id '$(PROJECT_ID)') $(if $(TABLE),-table '$(TABLE)')
project-secret:
	@$(GO) run ./infra/cmd/project-secret create $(SECRET_FLAGS)

## project-secret-list: list the project's secrets (id, last four, created; never the secret)
project-secret-list:
	@$(GO) run ./infra/cmd/project-secret list $(SECRET_FLAGS)

## project-secret-revoke: revoke one secret by id (SECRET_ID=secret-...; FORCE=1 for the last one)
project-secret-revoke:
	@$(GO) run ./infra/cmd/project-secret revoke $(SECRET_FLAGS) $(if $(FORCE),-force) '$(SECRET_ID)'

# ---- Moving in: latchkey-migrate (README "Migrating to Latchkey") --------------------------------
# AWS credentials as for project-secret; PROJECT_ID and TABLE as there. MIGRATE_FLAGS adds flags
# (--dry-run, --update, --report report.json, --include-secrets, --endpoint for DynamoDB Local).
.PHONY: import export
MIGRATE_FLAGS ?=

## import: import organizations and members from FILE (JSON Lines or CSV) into the table; idempotent, resumable
import:
	@$(GO) run ./infra/cmd/latchkey-migrate import --file '$(FILE)' $(SECRET_FLAGS) $(MIGRATE_FLAGS)

## export: write the table's organizations and members to OUT as JSON Lines (MIGRATE_FLAGS=--include-secrets for credentials)
export:
	@$(GO) run ./infra/cmd/latchkey-migrate export --out '$(OUT)' $(if $(TABLE),-table '$(TABLE)') $(MIGRATE_FLAGS)

## bench: Go benchmarks, HTTP load, cold starts and the cost model; rewrites docs/PERFORMANCE.md (< 5 min)
.PHONY: bench
bench: deps
	$(GO) run ./docs/perfreport
