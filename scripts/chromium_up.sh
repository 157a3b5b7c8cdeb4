#!/usr/bin/env bash
# Install Debian's headless browser for the report's page test (tests/python/test_report.py):
# chromium and chromium-driver, unless /usr/bin/chromium is already there. Run as root; idempotent.
# Nothing is downloaded but Debian packages: the test drives this binary with playwright's
# executable_path, never a browser build of playwright's own.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
echo "installing chromium and chromium-driver from Debian packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-liberation >/dev/null
echo "chromium is installed: $(/usr/bin/chromium --version)"
