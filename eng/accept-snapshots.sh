#!/usr/bin/env bash
# Accepts snapshot changes after you have reviewed them: renames every Name.received.ext to
# Name.verified.ext under the given directories (default: the repository), skipping bin/ and obj/.
# Nothing runs this on its own. The other way to accept: run the tests with SQLSYNC_ACCEPT_SNAPSHOTS=1.
#
#   eng/accept-snapshots.sh                 # everything in the repository
#   eng/accept-snapshots.sh examples/TodoApp.Tests
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || set -- .

count=0
while IFS= read -r -d '' received; do
  verified="${received%.received.*}.verified.${received##*.received.}"
  mv -f -- "$received" "$verified"
  echo "accepted ${verified#./}"
  count=$((count + 1))
done < <(find "$@" \( -name bin -o -name obj -o -name .git \) -prune -o -type f -name '*.received.*' -print0 | sort -z)

echo "$count snapshot(s) accepted"
