#!/usr/bin/env bash
# Runs the API (port 8080, or pass -Dquarkus.http.port=N) against a fresh dev stack: real Kafka, Redis
# and an S3 server on loopback ports. Ctrl-C stops both; the stack deletes its data on exit.
# Secrets default to throwaway dev values: admin token "dev-admin-token", key pepper "dev-pepper-not-secret".
# (Runs the packaged app: quarkus:dev needs Maven >= 3.9.)
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -pl api-service -am install -DskipTests
stack_out=$(mktemp)
mvn -B -q -pl dev-stack exec:java >"$stack_out" 2>&1 &
stack_pid=$!
trap 'kill "$stack_pid" 2>/dev/null || true; rm -f "$stack_out"' EXIT
# Wait for the stack's own readiness line (it prints the settings first).
until grep -q '^kiln.devstack.ready=true' "$stack_out"; do
  if ! kill -0 "$stack_pid" 2>/dev/null; then cat "$stack_out"; exit 1; fi
  sleep 1
done
mapfile -t settings < <(grep -E '^(kafka\.bootstrap\.servers|kiln\.api\.)' "$stack_out" | sed 's/^/-D/')
echo "dev stack up: ${settings[*]}"
java "${settings[@]}" \
  -Dkiln.api.admin-token="${KILN_API_ADMIN_TOKEN:-dev-admin-token}" \
  -Dkiln.api.key-pepper="${KILN_API_KEY_PEPPER:-dev-pepper-not-secret}" \
  -Dquarkus.log.console.json.enabled=false \
  "$@" -jar api-service/target/quarkus-app/quarkus-run.jar
