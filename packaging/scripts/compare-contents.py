#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""compare-contents.py DEB_DIR RPM_DIR VERSION

Check that each .deb and the .rpm of the same package and architecture
ship the same files (regular files and symlinks), with the same modes, and
the same configuration files (deb conffiles, rpm %config(noreplace)).

What differs by design between the formats, and is set aside here:
- /lib/systemd/system (Debian 12's debhelper) is /usr/lib/systemd/system
  (rpm): one directory on a merged-/usr system.
- Debian's /usr/share/doc/PKG/{copyright,changelog.gz} and lintian
  overrides are rpm header data (License, %changelog) on the rpm side,
  and rpm's /usr/share/licenses/PKG/LICENSE (%license) is Debian's
  copyright;
  rpm's /usr/lib/.build-id links go with Debian's -dbgsym packages.
- dh_compress gzips documentation larger than 4 KiB; rpm does not: files
  under /usr/share/doc are compared without a .gz suffix.
- Directories: dpkg lists every parent directory, rpm only those a
  package owns; only files and symlinks are compared.
Exit status 0 when every pair matches, 1 otherwise.
"""
import io
import subprocess
import sys
import tarfile
from pathlib import Path

PACKAGES = ["verge-hypervisor", "verged", "verge-cli", "verge-guest-agent"]
# deb architecture -> rpm architecture
ARCHES = {"all": "noarch", "amd64": "x86_64", "arm64": "aarch64"}
DEB_ONLY = ("/usr/share/lintian/overrides/",)


def normalize(path):
    if path.startswith("/lib/systemd/"):
        return "/usr" + path
    if path.startswith("/usr/share/doc/") and path.endswith(".gz"):
        return path[:-3]
    return path


def deb_only(pkg, path):
    return path.startswith(DEB_ONLY) or path in (
        f"/usr/share/doc/{pkg}/copyright",
        f"/usr/share/doc/{pkg}/changelog.gz")


def deb_contents(pkg, deb):
    """{path: (type, mode)} and the set of conffiles of a .deb."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True,
                          capture_output=True).stdout
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            if m.isdir():
                continue
            path = m.name.lstrip(".")
            if deb_only(pkg, path):
                continue
            path = normalize(path)
            kind = "link" if m.issym() else "file"
            files[path] = (kind, "%04o" % (m.mode & 0o7777))
    ctrl = subprocess.run(["dpkg-deb", "-f", deb, "Package"], check=True,
                          capture_output=True, text=True).stdout.strip()
    assert ctrl == pkg, f"{deb}: package {ctrl}, expected {pkg}"
    conf = subprocess.run(
        ["sh", "-c", 'dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./conffiles '
         '2>/dev/null || true', "sh", deb],
        check=True, capture_output=True, text=True).stdout.split()
    return files, set(conf)


def rpm_contents(rpm):
    """{path: (type, mode)} and the set of %config(noreplace) files."""
    fmt = "[%{FILEMODES:octal} %{FILEFLAGS:fflags} %{FILENAMES}\\n]"
    out = subprocess.run(["rpm", "-qp", "--qf", fmt, rpm], check=True,
                         capture_output=True, text=True).stdout
    files, conf = {}, set()
    for line in out.splitlines():
        mode, rest = line.split(" ", 1)
        flags, path = rest.split(" ", 1) if not rest.startswith(" ") \
            else ("", rest[1:])
        mode = int(mode, 8)
        ftype = mode & 0o170000
        if ftype == 0o040000 or path.startswith(("/usr/lib/.build-id/",
                                                  "/usr/share/licenses/")):
            continue
        kind = "link" if ftype == 0o120000 else "file"
        files[normalize(path)] = (kind, "%04o" % (mode & 0o7777))
        if "c" in flags:
            if "n" not in flags:
                print(f"{rpm}: {path}: %config without noreplace")
                conf.add(path + " (replace)")
            else:
                conf.add(path)
    return files, conf


def compare(label, deb, rpm):
    errors = []
    for path in sorted(set(deb) | set(rpm)):
        d, r = deb.get(path), rpm.get(path)
        if d != r:
            errors.append(f"{label}: {path}: deb {d or 'absent'}, "
                          f"rpm {r or 'absent'}")
    return errors


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    debdir, rpmdir, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    errors, pairs = [], 0
    for pkg in PACKAGES:
        for darch, rarch in ARCHES.items():
            deb = debdir / f"{pkg}_{version}_{darch}.deb"
            rpms = list(rpmdir.glob(f"{pkg}-{version}-*.{rarch}.rpm"))
            if not deb.exists() and not rpms:
                continue
            if not deb.exists() or len(rpms) != 1:
                e = (f"{pkg} {darch}: deb {deb.name} "
                     f"{'found' if deb.exists() else 'missing'}, rpms "
                     f"{[r.name for r in rpms]}")
                print(f"  DIFFER  {e}")
                errors.append(e)
                continue
            pairs += 1
            dfiles, dconf = deb_contents(pkg, deb)
            rfiles, rconf = rpm_contents(rpms[0])
            label = f"{pkg} {darch}/{rarch}"
            diff = compare(label, dfiles, rfiles)
            if dconf != rconf:
                diff.append(f"{label}: conffiles deb {sorted(dconf)}, "
                            f"rpm {sorted(rconf)}")
            for e in diff:
                print(f"  DIFFER  {e}")
            if not diff:
                print(f"  SAME    {label}: {len(dfiles)} files, "
                      f"{len(dconf)} conffiles")
            errors += diff
    if pairs == 0:
        errors.append("no package pairs found")
        print("compare-contents: no package pairs found")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
