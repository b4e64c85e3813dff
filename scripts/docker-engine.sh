#!/usr/bin/env bash
# Make sure a Docker engine answers and that the local base image lockctl's tests build from
# exists. Run by .ci/run before pytest, and by developers; idempotent, and fast when both are
# already there.
#
# These machines reach no image registry, so the base image is built locally: a minimal Debian
# bookworm root (debootstrap, default mirror) with python3, pip and venv, made to behave like
# the official python:3.11-slim image (a `python` symlink, no EXTERNALLY-MANAGED marker) and
# carrying the host's CA bundle so pip inside reaches the index. It is tagged
# lockctl-test-base:bookworm and python:3.11-slim, so unmodified project Dockerfiles build.
#
# When no engine answers, Debian's docker.io is installed and dockerd is started in the
# background without a bridge or iptables rules (containers use host networking).
#
# Environment:
#   DOCKER_HOST                     an engine to use; a non-local one is never started here
#   LOCKCTL_BASE_IMAGE              the base image tag (default lockctl-test-base:bookworm)
#   LOCKCTL_DOCKERD_LOG             dockerd's log (default /var/log/lockctl-dockerd.log)
#   LOCKCTL_ENGINE_WAIT             seconds to wait for dockerd to answer (default 60)
set -euo pipefail

base_image="${LOCKCTL_BASE_IMAGE:-lockctl-test-base:bookworm}"
slim_alias="python:3.11-slim"
dockerd_log="${LOCKCTL_DOCKERD_LOG:-/var/log/lockctl-dockerd.log}"
wait_seconds="${LOCKCTL_ENGINE_WAIT:-60}"
ca_bundle="/etc/ssl/certs/ca-certificates.crt"

say() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "needs root for: $* (run this script as root, or install sudo)"
    fi
}

# One run at a time: two engineers (or two CI steps) starting dockerd or debootstrapping at
# once would fight over the socket and the image tag.
exec 9>"${TMPDIR:-/tmp}/lockctl-docker-engine.lock"
flock 9

engine_answers() { docker info >/dev/null 2>&1; }

is_local_engine() {
    case "${DOCKER_HOST:-}" in
        "" | unix:///var/run/docker.sock | unix:///run/docker.sock) return 0 ;;
        *) return 1 ;;
    esac
}

install_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing ${missing[*]} with apt-get"
    as_root apt-get update -qq
    # policy-rc.d keeps the package scripts from starting a service manager that is not here.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

start_engine() {
    command -v docker >/dev/null 2>&1 || install_packages
    command -v dockerd >/dev/null 2>&1 || install_packages
    say "starting dockerd (log: $dockerd_log)"
    as_root mkdir -p "$(dirname "$dockerd_log")"
    # A dockerd that was killed leaves its pid file, and a new one refuses to start over it.
    local pidfile=/var/run/docker.pid
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
        as_root rm -f "$pidfile"
    fi
    # setsid: the engine outlives this script and is not killed with its process group;
    # 9>&-: it must not inherit (and hold forever) this script's lock.
    as_root setsid -f dockerd --bridge=none --iptables=false --ip6tables=false \
        >>"$dockerd_log" 2>&1 </dev/null 9>&-
    local waited=0
    until engine_answers; do
        if [ "$waited" -ge "$wait_seconds" ]; then
            tail -n 20 "$dockerd_log" >&2 || true
            die "dockerd did not answer within ${wait_seconds}s (log: $dockerd_log)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "dockerd answers after ${waited}s"
}

build_base_image() {
    command -v debootstrap >/dev/null 2>&1 || install_packages
    [ -r "$ca_bundle" ] || die "no CA bundle at $ca_bundle to copy into the image"
    local rootfs
    rootfs="$(mktemp -d "${TMPDIR:-/tmp}/lockctl-rootfs.XXXXXX")"
    # The root file system is owned by root; remove it whatever happens.
    trap 'as_root rm -rf "$rootfs"' EXIT
    say "building $base_image with debootstrap (about a minute)"
    as_root debootstrap --variant=minbase \
        --include=python3,python3-pip,python3-venv,ca-certificates \
        bookworm "$rootfs" >"$rootfs.log" 2>&1 || {
        tail -n 20 "$rootfs.log" >&2
        die "debootstrap failed (log: $rootfs.log)"
    }
    rm -f "$rootfs.log"
    as_root ln -sf python3 "$rootfs/usr/bin/python"
    # PEP 668: the official python images carry no marker, so `pip install` works as root.
    as_root find "$rootfs/usr/lib" -maxdepth 2 -name EXTERNALLY-MANAGED -delete
    as_root cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
    as_root rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
    as_root tar -C "$rootfs" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        - "$base_image" >/dev/null
    as_root rm -rf "$rootfs"
    trap - EXIT
}

if ! engine_answers; then
    is_local_engine || die "no engine answers at DOCKER_HOST=$DOCKER_HOST (not started here: it is not local)"
    start_engine
fi

if docker image inspect "$base_image" >/dev/null 2>&1; then
    say "$base_image is there"
else
    build_base_image
fi
if ! docker image inspect "$slim_alias" >/dev/null 2>&1; then
    docker tag "$base_image" "$slim_alias"
    say "tagged $base_image as $slim_alias"
fi
say "ready: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?') with $base_image"
