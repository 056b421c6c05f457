#!/usr/bin/env bash
# Runs the vendors' own test collections (shared/vendor-suites, see its README) with
# newman against a fresh scimhq on the embedded database. Okta's SPEC test must pass
# whole; Microsoft's collection may fail only the deliberate deviations the README lists
# (.ci/vendor-deviations.txt). Each run must also run all the collection's assertions
# (conformance/coverage.md counts them), or it checked nothing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
suites="$repo/../shared/vendor-suites"
if [ ! -d "$suites" ]; then
  echo "vendor suites: $suites not found; skipped"
  exit 0
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --no-audit --no-fund newman@6.2.2 >/dev/null)
newman="$work/node_modules/.bin/newman"
go build -o "$work/scimhq" "$repo/cmd/scimhq"

token=vendor-suite-token-0001
serve() { # serve PORT DIR: a fresh server, waited for
  "$work/scimhq" serve --addr "127.0.0.1:$1" --data-dir "$2" --token "$token" >"$2.log" 2>&1 &
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "scimhq did not start:"; cat "$2.log"; return 1
}

echo "Okta SPEC test"
serve 18390 "$work/okta"
base=http://127.0.0.1:18390/scim/v2
# The SPEC test expects one user with name, emails and active to exist.
curl -sf -o /dev/null -X POST "$base/Users" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"okta-spec@example.com","name":{"givenName":"Okta","familyName":"Spec"},"emails":[{"value":"okta-spec@example.com","primary":true,"type":"work"}],"active":true}'
"$newman" run "$suites/okta-spec.postman_collection.json" --env-var "SCIMBaseURL=$base" --env-var "auth=Bearer $token" \
  --reporters json --reporter-json-export "$work/okta.json" >/dev/null || true
# The SPEC test's 12 requests assert 52 times.
node "$repo/.ci/check-newman.js" "$work/okta.json" 52

echo "Microsoft SCIM validator collection"
serve 18391 "$work/microsoft"
"$newman" run "$suites/microsoft-scim-validator.postman_collection.json" \
  --env-var Protocol=http --env-var Server=127.0.0.1 --env-var Port=:18391 --env-var Api=scim/v2 --env-var "token=$token" \
  --folder "Endpoint tests" --folder "User tests" --folder "Group tests" --folder "ComplexAttribute tests" \
  --folder "User tests with garbage" --folder "Group tests with garbage" --folder "Teardown garbage" \
  --reporters json --reporter-json-export "$work/microsoft.json" >/dev/null || true
# The seven folders assert 103 times: the collection's 107 without the top-level Get all
# users and Get all groups (2 each), which --folder does not run.
node "$repo/.ci/check-newman.js" "$work/microsoft.json" 103 "$repo/.ci/vendor-deviations.txt"
