#!/usr/bin/env bash
# The honest install test: a minimal Debian 12 root made with debootstrap, the .deb installed with apt (so its
# declared dependencies are all that makes it run), then the installed `tollgate --version`, and `tollgate serve`
# answering a chat completion through the built-in mock provider and stopping cleanly on SIGTERM.
#   test-deb.sh PACKAGE.deb          (as root; needs debootstrap and the Debian mirror)
set -euo pipefail
deb="$(realpath "$1")"
# 77: skipped (ctest SKIP_RETURN_CODE) when not root; CI runs as root.
[ "$(id -u)" -eq 0 ] || { echo "test-deb: skipped: must run as root (debootstrap, chroot)"; exit 77; }
command -v debootstrap >/dev/null || { echo "test-deb: needs debootstrap"; exit 1; }
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"

# The debootstrapped root is kept between runs (debootstrap is the slow part; CI starts without it); each run
# installs the package into a fresh copy of it.
base="${TOLLGATE_DEB_TEST_ROOT:-/var/tmp/tollgate-debian12-root}"
if [ ! -x "$base/usr/bin/apt-get" ]; then
    rm -rf "$base.new"
    debootstrap --variant=minbase bookworm "$base.new" "$mirror" >/dev/null
    mv "$base.new" "$base"
fi
root="$(mktemp -d /var/tmp/tollgate-deb-test.XXXXXX)"
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
cp -a "$base/." "$root/"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
chroot "$root" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >/dev/null
echo "installed: $(chroot "$root" dpkg-query -W -f='${Package} ${Version}' tollgate)"

version="$(chroot "$root" /usr/bin/tollgate --version)"
echo "tollgate --version: $version"
[[ "$version" == tollgate\ * ]] || { echo "unexpected --version output"; exit 1; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
chroot "$root" env HOME=/root QT_QPA_PLATFORM=offscreen /usr/bin/tollgate serve --demo --db /root/tollgate.db \
    --listen "127.0.0.1:$port" > "$root/tmp/serve.log" 2>&1 &
pid=$!
python3 - "$port" "$root/tmp/serve.log" <<'PY'
import json, re, sys, time, urllib.request
port, log = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 60
key = None
while time.monotonic() < deadline:
    text = open(log).read()
    m = re.search(r"A demo API key \(shown once\): (\S+)", text)
    if m and "gateway listening" in text:
        key = m.group(1)
        break
    time.sleep(0.05)
if not key:
    sys.exit("serve did not start:\n" + open(log).read())
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", method="POST",
    data=json.dumps({"model": "mock-small", "messages": [{"role": "user", "content": "hello"}]}).encode(),
    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
body = json.load(urllib.request.urlopen(req, timeout=30))
assert body["choices"][0]["message"]["content"], body
print("tollgate serve: answered a chat completion, usage", body["usage"])
PY
kill -TERM "$pid"
wait "$pid" && status=0 || status=$?
pid=""
echo "tollgate serve: exit status $status after SIGTERM"
[ "$status" -eq 0 ]
