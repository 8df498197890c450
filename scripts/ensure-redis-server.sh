#!/usr/bin/env bash
# Makes sure a redis-server binary is on PATH for the integration and stress
# tests. Installs Debian's redis-server with apt-get when it is missing and
# installing is allowed (running as root, or sudo without a password, and
# REDMUX_NO_INSTALL unset). Otherwise it fails and says how to install it.
# It never starts a server: the tests start their own on free loopback ports.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

how="install it with: sudo apt-get install redis-server (Debian/Ubuntu), or put a redis-server binary on PATH"

if [ -n "${REDMUX_NO_INSTALL:-}" ]; then
  echo "redis-server is not installed and REDMUX_NO_INSTALL is set; $how" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is not installed and apt-get is not available; $how" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "redis-server is not installed and this user may not run apt-get; $how" >&2
    exit 1
  fi
fi

echo "redis-server is missing: installing Debian's redis-server with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq redis-server redis-tools >/dev/null
command -v redis-server >/dev/null 2>&1 || { echo "apt-get finished but redis-server is still missing; $how" >&2; exit 1; }
echo "installed: $(redis-server --version)" >&2
