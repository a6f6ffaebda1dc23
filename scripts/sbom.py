#!/usr/bin/python3
"""sbom.py: the SPDX 2.3 (JSON) bill of materials of a tinyhook release.

  sbom.py --out FILE --version V --policy NAME --hash H --bearssl-src DIR
      [--with libyaml] ARTEFACT...

ARTEFACT is KIND:ARCH=PATH (bin:amd64=dist/.../tinyhook-...-linux-amd64) or
image=PATH. Each artefact is a package with its sha256; every binary
STATIC_LINKs the third-party code compiled into it, and the image CONTAINS
the binaries. The third-party versions are the Debian packages the build
used, read from dpkg (and BearSSL's from the unpacked source's changelog,
since it is built from Debian's source package, not from a binary package):

  BearSSL   source package bearssl, patched with patches/bearssl-*.patch
  jsmn      libjsmn-dev (header only), patched with patches/jsmn-linear.patch
  musl      musl-dev of each architecture (libc, statically linked)
  libyaml   only with --with libyaml (when the build links it)

Reproducible: `created` is SOURCE_DATE_EPOCH, the namespace is derived from
the artefacts' digests, keys are sorted. Standard library only.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
HOME = "https://github.com/tinyhook/tinyhook"
# Debian's dpkg architecture of each of our architecture names.
DPKG_ARCH = {"amd64": "amd64", "arm64": "arm64", "armv7": "armhf"}


def die(msg):
    sys.stderr.write("sbom: %s\n" % msg)
    sys.exit(1)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def dpkg_version(pkg):
    """The installed version of a Debian package (pkg or pkg:arch)."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                       capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout:
        die("%s is not installed: dpkg-query says %s" % (pkg, r.stderr.strip()))
    return r.stdout


def changelog_version(src):
    r = subprocess.run(["dpkg-parsechangelog", "-l", os.path.join(src, "debian", "changelog"),
                        "-S", "Version"], capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        die("cannot read the version of %s: %s" % (src, r.stderr.strip()))
    return r.stdout.strip()


def purl(name, version, arch):
    return "pkg:deb/debian/%s@%s?arch=%s" % (name, urllib.parse.quote(version, safe=""), arch)


def patches(prefix):
    out = []
    pdir = os.path.join(ROOT, "patches")
    for f in sorted(os.listdir(pdir)):
        if f.startswith(prefix) and f.endswith(".patch"):
            out.append("patches/%s (sha256 %s)" % (f, sha256(os.path.join(pdir, f))))
    return out


def component(spdxid, name, version, deb, arch, summary, patch_prefix=None):
    p = {
        "SPDXID": spdxid, "name": name, "versionInfo": version,
        "supplier": "Organization: Debian", "downloadLocation":
        "https://snapshot.debian.org/package/%s/%s/" % (deb, urllib.parse.quote(version, safe="")),
        "filesAnalyzed": False, "licenseConcluded": "MIT", "licenseDeclared": "MIT",
        "copyrightText": "NOASSERTION", "primaryPackagePurpose": "LIBRARY",
        "summary": summary,
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": purl(deb, version, arch)}],
    }
    if patch_prefix:
        p["sourceInfo"] = "Debian package %s %s with tinyhook's %s" % (
            deb, version, ", ".join(patches(patch_prefix)))
    return p


def main(argv):
    opts = {"--out": None, "--version": None, "--policy": None, "--hash": None,
            "--bearssl-src": None}
    extra, arts = set(), []
    args = list(argv[1:])
    while args:
        a = args.pop(0)
        if a in opts and args:
            opts[a] = args.pop(0)
        elif a == "--with" and args:
            extra.add(args.pop(0))
        elif "=" in a and not a.startswith("-"):
            arts.append(a)
        else:
            die("bad argument %s (usage: see the top of scripts/sbom.py)" % a)
    if None in opts.values() or not arts:
        die("needs --out --version --policy --hash --bearssl-src and artefacts")
    if extra - {"libyaml"}:
        die("--with: only libyaml is known")
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    ver = opts["--version"]

    pkgs, rels, bins, image = [], [], [], None
    bearssl = changelog_version(opts["--bearssl-src"])
    jsmn = dpkg_version("libjsmn-dev")
    pkgs.append(component("SPDXRef-BearSSL", "BearSSL", bearssl, "bearssl", "source",
                          "TLS library, compiled from Debian's source package with musl",
                          "bearssl-"))
    pkgs.append(component("SPDXRef-jsmn", "jsmn", jsmn, "jsmn", "all",
                          "JSON tokenizer (header-only, libjsmn-dev)", "jsmn-"))
    if "libyaml" in extra:
        y = dpkg_version("libyaml-dev")
        pkgs.append(component("SPDXRef-libyaml", "libyaml", y, "libyaml", "source",
                              "YAML parser, compiled with musl"))
    for a in sorted(arts):
        kind, _, path = a.partition("=")
        if not os.path.isfile(path):
            die("%s: no such file" % path)
        entry = {"packageFileName": os.path.basename(path),
                 "checksums": [{"algorithm": "SHA256", "checksumValue": sha256(path)}]}
        if kind.startswith("bin:"):
            arch = kind[4:]
            if arch not in DPKG_ARCH:
                die("unknown architecture %s" % arch)
            musl = dpkg_version("musl-dev:" + DPKG_ARCH[arch])
            mid = "SPDXRef-musl-" + arch
            pkgs.append(component(mid, "musl", musl, "musl", DPKG_ARCH[arch],
                                  "C library (musl-dev:%s), statically linked" % DPKG_ARCH[arch]))
            bid = "SPDXRef-tinyhook-linux-" + arch
            entry.update({"SPDXID": bid, "name": "tinyhook-linux-" + arch,
                          "primaryPackagePurpose": "APPLICATION",
                          "summary": "static binary for linux/%s, policy %s (sha256 %s)"
                          % (arch, opts["--policy"], opts["--hash"])})
            bins.append(bid)
            for dep in ["SPDXRef-BearSSL", "SPDXRef-jsmn", mid] + (
                    ["SPDXRef-libyaml"] if "libyaml" in extra else []):
                rels.append((bid, "STATIC_LINK", dep))
        elif kind == "image":
            image = "SPDXRef-image"
            entry.update({"SPDXID": image, "name": "tinyhook-image",
                          "primaryPackagePurpose": "CONTAINER",
                          "summary": "OCI image index (archive) of the binaries"})
        else:
            die("artefact kind %s: bin:ARCH or image" % kind)
        entry.update({"versionInfo": ver, "supplier": "Organization: tinyhook",
                      "downloadLocation": HOME + "/releases/tag/v" + ver,
                      "filesAnalyzed": False, "licenseConcluded": "Apache-2.0",
                      "licenseDeclared": "Apache-2.0", "copyrightText": "NOASSERTION"})
        pkgs.append(entry)
    if image:
        rels += [(image, "CONTAINS", b) for b in bins]
    digest = hashlib.sha256("".join(p["checksums"][0]["checksumValue"] for p in pkgs
                                    if "checksums" in p).encode()).hexdigest()[:16]
    name = "tinyhook-%s-%s-%s" % (ver, opts["--policy"], opts["--hash"])
    described = [p["SPDXID"] for p in pkgs if "checksums" in p]
    doc = {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": name, "documentNamespace": "%s/spdx/%s-%s" % (HOME, name, digest),
        "creationInfo": {"created": created, "creators": ["Tool: tinyhook scripts/sbom.py"]},
        "documentDescribes": described,
        "packages": sorted(pkgs, key=lambda p: p["SPDXID"]),
        "relationships": [{"spdxElementId": a, "relationshipType": t, "relatedSpdxElement": b}
                          for a, t, b in [("SPDXRef-DOCUMENT", "DESCRIBES", d) for d in described]
                          + sorted(rels)],
    }
    with open(opts["--out"] + ".new", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(opts["--out"] + ".new", opts["--out"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
