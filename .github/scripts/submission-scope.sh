#!/usr/bin/env bash
# Reads the changed paths of a pull request (one per line, on stdin) and prints the id of the one
# submission folder they are all inside. Exits 1 with a message when a path lies outside
# `submissions/<id>/`, when more or fewer than one folder is changed, or when the id is not a
# plain name (`[a-z0-9][a-z0-9._-]*`, without the `--` reserved for built-in submissions).
# Used by .github/workflows/score-submission.yml; tested by tests/workflow_scope.rs.
set -euo pipefail
changed=$(cat)
outside=$(printf '%s\n' "$changed" | grep -v '^submissions/[^/]*/.' | grep . || true)
if [ -n "$outside" ]; then
  echo "a submission pull request may change only its own submissions/<id>/ folder; it also changes: $outside" >&2
  exit 1
fi
ids=$(printf '%s\n' "$changed" | sed -n 's#^submissions/\([^/]*\)/.*#\1#p' | sort -u)
if [ "$(printf '%s\n' "$ids" | grep -c .)" -ne 1 ]; then
  echo "a submission pull request changes exactly one submissions/<id>/ folder; found: $(echo $ids)" >&2
  exit 1
fi
if ! printf '%s\n' "$ids" | grep -Eqx '[a-z0-9][a-z0-9._-]{0,63}' || printf '%s' "$ids" | grep -q -- '--'; then
  echo "submission id '$ids' must match [a-z0-9][a-z0-9._-]* and must not contain '--' (reserved for built-in submissions)" >&2
  exit 1
fi
printf '%s\n' "$ids"
