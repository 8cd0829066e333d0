#!/usr/bin/env bash
# Brings a fresh checkout to the point where `npm run build` and the tests can run:
# npm packages (only when package-lock.json changed since the last install) and the
# Debian packages the tests use (only those missing, and only as root).
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]')
node_minor=$(node -p 'process.versions.node.split(".")[1]')
if (( node_major < 20 || (node_major == 20 && node_minor < 19) )); then
  echo "haven: Node.js >= 20.19 is required, this is $(node --version)." >&2
  exit 1
fi

stamp=.setup-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "haven setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

# Debian packages the test suite needs. Listed here, installed only when missing.
# iproute2 (ip netns, veth, addresses), iputils-arping (gratuitous ARP after an IP takeover),
# resource-agents (the OCF agents run unmodified; its Filesystem agent needs kmod's modprobe), util-linux (mount, losetup), e2fsprogs
# (mkfs and fsck for file system tests), psmisc (fuser, to find a busy mount's users).
debs=(iproute2 iputils-arping resource-agents kmod util-linux e2fsprogs psmisc ${HAVEN_DEBS:-})
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "haven setup: missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
  echo "haven setup: installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
