# Shared by scripts/container/*.sh (sourced, not run). How podman runs on a machine like the CI one:
# Debian's podman with Debian's runc (crun refuses hybrid cgroups), cgroupfs, explicit ulimits
# (raising podman's defaults is refused), the host network, and the docker image format (the OCI
# format drops HEALTHCHECK). Every flag can be overridden from the environment.
PODMAN_RUNTIME="${PODMAN_RUNTIME:-/usr/sbin/runc}"
PODMAN_CGROUP_MANAGER="${PODMAN_CGROUP_MANAGER:-cgroupfs}"
PODMAN=(podman --runtime "$PODMAN_RUNTIME" --cgroup-manager="$PODMAN_CGROUP_MANAGER")
PODMAN_LIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096 --network=host)
# The name the Dockerfile's FROM uses: on a machine with a registry it is the official image; here
# scripts/container/base-image.sh makes an equivalent one locally under the same name.
BASE_IMAGE="${SIGNALBASE_BASE_IMAGE:-docker.io/library/node:20-bookworm-slim}"

log() { printf '[container %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[container] FAIL: %s\n' "$*" >&2; exit 1; }

# Installs Debian packages when a command is missing (CI may run on a machine without them).
need() { # need COMMAND PACKAGE...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $* (for $cmd)"
    if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
  command -v "$cmd" >/dev/null 2>&1
}
