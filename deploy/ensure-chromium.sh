#!/bin/sh
# Make sure Debian's chromium is installed for the browser tests (tests/browser), which
# Playwright drives as a system executable: Playwright never downloads a browser here.
# If it is missing, install it with apt-get (through sudo when not root).
# Also, best effort, a CJK font, so the screenshots of the Chinese ranking page are legible.
# Used by .ci/run before its "Browser tests" step. CHROMIUM_BIN names another binary.
set -eu

CHROMIUM="${CHROMIUM_BIN:-chromium}"

has_chromium() {
    command -v "$CHROMIUM" >/dev/null 2>&1
}

has_cjk_font() {
    command -v fc-list >/dev/null 2>&1 || return 0  # no fontconfig tools: cannot tell, do not guess
    [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]
}

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO="none"
fi

apt_install() {
    # shellcheck disable=SC2086  # SUDO is empty or one word
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

install_pkgs() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "ensure-chromium: apt-get not found; install $* with your package manager, then retry." >&2
        return 1
    fi
    if [ "$SUDO" = "none" ]; then
        echo "ensure-chromium: not root and sudo not found; as root run: apt-get install -y $*" >&2
        return 1
    fi
    if ! apt_install "$@"; then
        echo "ensure-chromium: install failed; running apt-get update and retrying"
        $SUDO apt-get update
        apt_install "$@"
    fi
}

if ! has_chromium; then
    echo "ensure-chromium: $CHROMIUM not found; installing Debian's chromium"
    install_pkgs chromium
    has_chromium || { echo "ensure-chromium: installed chromium but '$CHROMIUM' is still not on PATH" >&2; exit 1; }
fi

if ! has_cjk_font; then
    echo "ensure-chromium: no CJK font; installing fonts-wqy-microhei (screenshots only, not required)"
    install_pkgs fonts-wqy-microhei || echo "ensure-chromium: no CJK font; screenshots will show boxes for Chinese text" >&2
fi

echo "ensure-chromium: ok ($(command -v "$CHROMIUM"))"
