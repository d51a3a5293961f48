#!/usr/bin/env python3
"""Builds prow-rs's container images as an OCI image layout, without a container engine.

Usage: hack/build-images.py --bin-dir DIR --out DIR [--tag TAG]

One filesystem layer holds every prow-rs binary from --bin-dir (debug sections stripped)
under /usr/local/bin, the shared libraries they (and /bin/cp, which Prow's place-entrypoint container runs) load, the
system's CA certificates, /etc/passwd and /etc/group with the non-root user 65532, and /tmp.
The layout's index names these images (org.opencontainers.image.ref.name):

  prow-rs:TAG          every component (the Helm chart runs /usr/local/bin/<component>)
  clonerefs:TAG        entrypoint /clonerefs   (Prow's utility images: one per role, same layer;
  initupload:TAG       entrypoint /initupload   the prow-utils binary picks its role from its
  entrypoint:TAG       entrypoint /entrypoint   name)
  sidecar:TAG          entrypoint /sidecar

Load the layout with any OCI tool, e.g. `crane push <out> <registry>/prow-rs:TAG` per image or
`skopeo copy oci:<out>:prow-rs:TAG docker://...`. The layer is reproducible: fixed mtimes,
owners and order.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

COMPONENTS = ["hook", "plank", "crier", "horologium", "sinker", "deck", "branch-protector",
              "prowctl", "prow-utils"]
ROLES = ["clonerefs", "initupload", "entrypoint", "sidecar"]
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
UID = 65532


def shared_libraries(binary):
    """Absolute paths of the libraries `binary` loads (ldd), including the dynamic loader."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        if "not a dynamic executable" in out.stdout + out.stderr:
            return []
        sys.exit(f"ldd {binary} failed: {out.stderr.strip()}")
    libs = []
    for line in out.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def stripped(path):
    """The binary without debug sections (`strip --strip-debug`; as is when strip is missing)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "bin")
        shutil.copyfile(path, copy)
        try:
            subprocess.run(["strip", "--strip-debug", copy], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"not stripping {path}: {e}", file=sys.stderr)
        with open(copy, "rb") as f:
            return f.read()


class Layer:
    """An uncompressed tar built in memory with deterministic headers."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)
        self.dirs = set()

    def _dir(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                info = tarfile.TarInfo(d)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                self.tar.addfile(info)

    def file(self, path, data, mode=0o644):
        self._dir(path)
        info = tarfile.TarInfo(path.strip("/"))
        info.size, info.mode, info.mtime = len(data), mode, 0
        self.tar.addfile(info, io.BytesIO(data))

    def directory(self, path, mode=0o755):
        self._dir(path + "/x")
        if mode != 0o755:
            info = tarfile.TarInfo(path.strip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, 0
            self.tar.addfile(info)

    def symlink(self, path, target):
        self._dir(path)
        info = tarfile.TarInfo(path.strip("/"))
        info.type, info.linkname, info.mtime = tarfile.SYMTYPE, target, 0
        self.tar.addfile(info)

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(out, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--tag", default="latest")
    args = parser.parse_args()

    binaries = [os.path.join(args.bin_dir, c) for c in COMPONENTS]
    missing = [b for b in binaries if not os.path.isfile(b)]
    if missing:
        sys.exit("missing binaries (build them first): " + ", ".join(missing))

    layer = Layer()
    libraries = set()
    for path in binaries + ["/bin/cp"]:
        libraries.update(shared_libraries(path))
    for path in binaries:
        layer.file("/usr/local/bin/" + os.path.basename(path), stripped(path), 0o755)
    for role in ROLES:
        layer.symlink("/" + role, "/usr/local/bin/prow-utils")
    with open("/bin/cp", "rb") as f:
        layer.file("/bin/cp", f.read(), 0o755)
    for lib in sorted(libraries):
        with open(lib, "rb") as f:
            layer.file(lib, f.read(), 0o755)
    with open(CA_BUNDLE, "rb") as f:
        layer.file(CA_BUNDLE, f.read())
    layer.file("/etc/passwd", f"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{UID}:{UID}:nonroot:/home/nonroot:/sbin/nologin\n".encode())
    layer.file("/etc/group", f"root:x:0:\nnonroot:x:{UID}:\n".encode())
    layer.directory("/tmp", 0o1777)
    layer.directory("/home/nonroot")
    tar = layer.bytes()
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    compressed = gzip.compress(tar, mtime=0)

    os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(args.out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(args.out, compressed)}

    manifests = []
    images = [("prow-rs", None)] + [(role, ["/" + role]) for role in ROLES]
    for name, entrypoint in images:
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "User": f"{UID}:{UID}",
                "Env": ["PATH=/usr/local/bin:/bin", "SSL_CERT_FILE=" + CA_BUNDLE],
                "WorkingDir": "/",
                **({"Entrypoint": entrypoint} if entrypoint else {}),
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
        config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json",
                       **blob(args.out, json.dumps(config, sort_keys=True).encode())}
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": config_desc, "layers": [layer_desc]}
        manifest_desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                         **blob(args.out, json.dumps(manifest, sort_keys=True).encode()),
                         "annotations": {"org.opencontainers.image.ref.name": f"{name}:{args.tag}"}}
        manifests.append(manifest_desc)
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": manifests}, f, indent=1, sort_keys=True)
    print(f"{args.out}: {len(manifests)} images, layer {len(compressed)} bytes ({layer_desc['digest']})")


if __name__ == "__main__":
    main()
