#!/bin/sh
# Make sure the system can build mysqlclient (a C extension, no Linux wheels):
# pkg-config, the MySQL/MariaDB client headers and a C compiler.
# If any is missing, install them with apt-get (through sudo when not root).
# Used by the Makefile before pip, and by .ci/run.
set -eu

has_mysql_dev() {
    # mysqlclient's build reads MYSQLCLIENT_CFLAGS/LDFLAGS, else pkg-config.
    if [ -n "${MYSQLCLIENT_CFLAGS:-}" ] && [ -n "${MYSQLCLIENT_LDFLAGS:-}" ]; then
        return 0
    fi
    command -v pkg-config >/dev/null 2>&1 || return 1
    pkg-config --exists mysqlclient || pkg-config --exists mariadb || return 1
}

has_compiler() {
    command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1
}

if has_mysql_dev && has_compiler; then
    exit 0
fi

PKGS="pkg-config default-libmysqlclient-dev build-essential"
echo "ensure-build-deps: building mysqlclient needs: $PKGS"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-build-deps: apt-get not found. Install pkg-config, the MySQL or MariaDB" >&2
    echo "client development headers and a C compiler with your package manager, then retry." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ensure-build-deps: not root and sudo not found; as root run: apt-get install $PKGS" >&2
    exit 1
fi

apt_install() {
    # shellcheck disable=SC2086  # PKGS is a word list on purpose
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PKGS
}

if ! apt_install; then
    echo "ensure-build-deps: install failed; running apt-get update and retrying"
    $SUDO apt-get update
    apt_install
fi

if ! has_mysql_dev; then
    echo "ensure-build-deps: installed $PKGS but pkg-config still finds no mysqlclient" >&2
    exit 1
fi
echo "ensure-build-deps: ok"
