#!/usr/bin/env bash
# Chromium (Debian's; `playwright install` cannot download browsers here), CJK and emoji fonts, and the
# Python playwright package, for tests/test_ui_browser.py. Idempotent. Logs go to stderr; stdout carries
# only `export` lines, since .ci/run evals it:
#   eval "$(bash .ci/browser.sh)"    # sets XXGK_CHROMIUM
set -euo pipefail
log() { echo "browser.sh: $*" >&2; }

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -qi "noto color emoji" || need+=(fonts-noto-color-emoji)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need[@]}" >&2
fi

if ! python3 -c "import playwright.sync_api" 2>/dev/null; then
  log "installing the playwright Python package (no browser download: the test uses /usr/bin/chromium)"
  python3 -m pip install -q "playwright>=1.45" >&2
fi

echo "export XXGK_CHROMIUM=/usr/bin/chromium"
