#!/usr/bin/env python3
"""Test archives in the layout of `istioctl bug-report` (istio/istio tools/bug-report).

  make-bugreport.py SNAPSHOT OUT      what a meshmedic snapshot directory holds, as
                                      bug-report records it: OUT.tar.gz, or a directory
  make-bugreport.py --hostile KIND OUT.tar.gz
                                      an archive meshmedic must refuse: traversal, absolute,
                                      symlink, hardlink, device, huge, bomb, many

Exit status 3: the snapshot holds what a bug-report cannot (logs of application
containers, kinds recorded as unavailable), so findings would differ.
"""
import io
import json
import os
import re
import sys
import tarfile
import zlib

import yaml

TOP = "bug-report"


def status_of(cell):
    cell = cell.strip().upper()
    for word, canon in (("NOT SENT", "NOT_SENT"), ("NOT_SENT", "NOT_SENT"), ("SYNCED", "SYNCED"),
                        ("STALE", "STALE"), ("ERROR", "ERROR")):
        if cell.startswith(word):
            return canon
    return None  # IGNORED (not subscribed) is protojson's left-out UNKNOWN


TYPES = {"CDS": "envoy.config.cluster.v3.Cluster", "LDS": "envoy.config.listener.v3.Listener",
         "EDS": "envoy.config.endpoint.v3.ClusterLoadAssignment",
         "RDS": "envoy.config.route.v3.RouteConfiguration",
         "ECDS": "envoy.config.core.v3.TypedExtensionConfig"}


def syncz_from_table(text):
    """istioctl proxy-status's table as istiod's syncz answers (ClientConfig), per istiod."""
    lines = [l for l in text.splitlines() if l.strip()]
    head = next(i for i, l in enumerate(lines) if l.startswith("NAME"))
    header = lines[head]
    cols = [(m.start(), m.group()) for m in re.finditer(r"\S+", header)]
    by_istiod = {}
    for line in lines[head + 1:]:
        cells = {}
        for i, (start, name) in enumerate(cols):
            end = cols[i + 1][0] if i + 1 < len(cols) else len(line)
            cells[name] = line[start:end].strip()
        pod_ns = cells["NAME"]
        pod, ns = pod_ns.rsplit(".", 1)
        istiod = cells.get("ISTIOD") or cells.get("PILOT") or "istiod"
        xds = []
        for t, url in TYPES.items():
            if t not in cells:
                continue
            x = {"typeUrl": "type.googleapis.com/" + url}
            st = status_of(cells[t])
            if st:
                x["configStatus"] = st
            xds.append(x)
        by_istiod.setdefault(istiod, []).append({
            "@type": "type.googleapis.com/envoy.service.status.v3.ClientConfig",
            "node": {"id": pod_ns, "metadata": {"NAMESPACE": ns,
                                                "ISTIO_VERSION": cells.get("VERSION", "")}},
            "genericXdsConfigs": xds})
    out = {}
    for istiod, res in by_istiod.items():
        out[istiod] = json.dumps({"versionInfo": "", "resources": res, "typeUrl":
                                  "istio.io/debug/syncz", "controlPlane": {
                                      "identifier": json.dumps({"ID": istiod})}}, indent=1)
    return out


def clusters_text(doc):
    """/clusters?format=json back to Envoy's text form."""
    out = []
    for cl in doc.get("cluster_statuses", []):
        name = cl["name"]
        out.append("%s::observability_name::%s" % (name, name))
        for h in cl.get("host_statuses", []):
            sa = h.get("address", {}).get("socket_address", {})
            host = "%s:%s" % (sa.get("address", "?"), sa.get("port_value", 0))
            hs = h.get("health_status", {})
            flags = ""
            if hs.get("failed_active_health_check"):
                flags += "/failed_active_hc"
            if hs.get("failed_outlier_check"):
                flags += "/failed_outlier_check"
            eds = hs.get("eds_health_status", "HEALTHY")
            if eds == "UNHEALTHY":
                flags += "/failed_eds_health"
            elif eds == "DEGRADED":
                flags += "/degraded_eds_health"
            out.append("%s::%s::cx_active::0" % (name, host))
            out.append("%s::%s::health_flags::%s" % (name, host, flags or "healthy"))
    return "\n".join(out) + "\n"


def stats_prometheus(doc):
    """/stats?format=json as /stats/prometheus: cluster stats get their cluster_name tag."""
    out = []
    for st in doc.get("stats", []):
        if "value" not in st:
            continue
        m = re.match(r"^cluster\.(.+\.svc\.cluster\.local|[^.]+)\.(.+)$", st["name"])
        if m:
            out.append('envoy_cluster_%s{cluster_name="%s"} %d' % (
                m.group(2).replace(".", "_"), m.group(1), st["value"]))
        else:
            out.append("envoy_%s %d" % (re.sub(r"[^a-zA-Z0-9_]", "_", st["name"]), st["value"]))
    return "\n".join(out) + "\n"


def with_previous(current, previous):
    if previous is None:
        return current
    return ("========= Previous log present (appended at the end) =========\n\n" + current +
            "\n\n========= Previous log =========\n\n" + previous)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def from_snapshot(snap):
    files = {}
    lossy = []
    items = json.loads(read(os.path.join(snap, "resources.json"))).get("items", [])
    core = [o for o in items if not o.get("apiVersion", "").split("/")[0].endswith("istio.io")]
    crs = [o for o in items if o not in core]
    dump = lambda objs: yaml.safe_dump({"apiVersion": "v1", "items": objs, "kind": "List",
                                        "metadata": {"resourceVersion": ""}}, sort_keys=False)
    files["cluster/k8s-resources"] = dump(core)
    files["cluster/crs"] = dump(crs)
    files["cluster/secrets"] = "NAMESPACE NAME TYPE DATA AGE\n"
    version = None
    meta = os.path.join(snap, "meta.json")
    if os.path.exists(meta):
        version = json.loads(read(meta)).get("versions", {}).get("istio")
    files["versions"] = "CLI version:\nversion.BuildInfo{Version:\"1.22.3\"}\n\n"
    if version:
        # as bug-report prints istiod's MeshInfo (Go's %#v)
        files["versions"] += (
            "The following Istio control plane revisions/versions were found in the cluster:\n"
            "Revision default:\n&version.MeshInfo{version.ServerInfo{Component:\"pilot\", "
            "Revision:\"default\", Info:version.BuildInfo{Version:\"%s\", GitRevision:\"x\"}}}"
            "\n\nThe following proxy revisions/versions were found in the cluster:\n"
            "Revision default: Versions {%s}\n" % (version, version))
    pods = {o["metadata"]["name"]: o["metadata"].get("namespace", "")
            for o in items if o.get("kind") == "Pod"}
    ps = os.path.join(snap, "proxy-status.txt")
    if os.path.exists(ps):
        for istiod, text in syncz_from_table(read(ps)).items():
            files["istio/%s/%s/debug/syncz" % (pods.get(istiod, "istio-system"), istiod)] = text
    logs = os.path.join(snap, "logs")
    for root, _, names in os.walk(logs):
        for n in names:
            if n.endswith(".previous.log"):
                continue
            ns, pod = os.path.relpath(root, logs).split(os.sep)
            ctr = n[:-len(".log")]
            prev = os.path.join(root, ctr + ".previous.log")
            text = with_previous(read(os.path.join(root, n)),
                                 read(prev) if os.path.exists(prev) else None)
            if ctr == "istio-proxy":
                files["proxies/%s/%s/istio-proxy.log" % (ns, pod)] = text
            elif ctr == "discovery":
                files["istio/%s/%s/discovery.log" % (ns, pod)] = text
            else:
                lossy.append("log of %s/%s/%s" % (ns, pod, ctr))
        for n in names:
            ctr = n[:-len(".previous.log")]
            if n.endswith(".previous.log") and not os.path.exists(os.path.join(root, ctr + ".log")):
                lossy.append("previous log alone of %s" % ctr)
    envoy = os.path.join(snap, "envoy")
    for root, _, names in os.walk(envoy):
        for n in names:
            ns, pod = os.path.relpath(root, envoy).split(os.sep)
            doc = json.loads(read(os.path.join(root, n)))
            base = "proxies/%s/%s/" % (ns, pod)
            if n == "clusters.json":
                files[base + "clusters"] = clusters_text(doc)
            elif n == "stats.json":
                files[base + "stats/prometheus"] = stats_prometheus(doc)
            elif n == "config_dump.json":
                files[base + "config_dump?include_eds"] = json.dumps(doc, indent=1)
            else:
                files[base + n[:-len(".json")]] = json.dumps(doc, indent=1)
    meta = os.path.join(snap, "meta.json")
    if os.path.exists(meta):
        m = json.loads(read(meta))
        if m.get("unavailable") or m.get("partial"):
            lossy.append("kinds recorded as unavailable")
    return files, lossy


def add(tar, name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if ti.type in (tarfile.REGTYPE,):
        ti.size = len(data)
    tar.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)


def write_archive(out, files):
    with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, text in sorted(files.items()):
            add(tar, TOP + "/" + name, text.encode())


def write_dir(out, files):
    for name, text in files.items():
        p = os.path.join(out, TOP, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)


def hostile(kind, out):
    base = {TOP + "/cluster/k8s-resources": b"apiVersion: v1\nkind: List\nitems: []\n"}
    if kind == "huge":
        # a header that declares 300 MiB, and no data after it
        ti = tarfile.TarInfo(TOP + "/proxies/default/p/config_dump")
        ti.size = 300 << 20
        raw = ti.tobuf(tarfile.GNU_FORMAT)
        with open(out, "wb") as f:
            import gzip
            f.write(gzip.compress(raw + b"\0" * 1024))
        return
    if kind == "bomb":
        # 100 MiB of zeros packs to about 100 KiB
        import gzip
        ti = tarfile.TarInfo(TOP + "/proxies/default/p/istio-proxy.log")
        ti.size = 100 << 20
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        with open(out, "wb") as f:
            f.write(comp.compress(ti.tobuf(tarfile.GNU_FORMAT)))
            chunk = b"\0" * (1 << 20)
            for _ in range(100):
                f.write(comp.compress(chunk))
            f.write(comp.compress(b"\0" * 1024))
            f.write(comp.flush())
        return
    with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for n, d in base.items():
            add(tar, n, d)
        if kind == "traversal":
            add(tar, TOP + "/../../etc/cron.d/x", b"boom\n")
        elif kind == "absolute":
            add(tar, "/etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        elif kind == "symlink":
            add(tar, TOP + "/cluster/crs", type=tarfile.SYMTYPE, linkname="/etc/shadow")
        elif kind == "hardlink":
            add(tar, TOP + "/cluster/crs", type=tarfile.LNKTYPE, linkname="/etc/shadow")
        elif kind == "device":
            add(tar, TOP + "/cluster/crs", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        elif kind == "many":
            for i in range(100001):
                add(tar, "%s/analyze/m%06d" % (TOP, i))
        else:
            sys.exit("unknown hostile kind " + kind)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--hostile":
        hostile(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    files, lossy = from_snapshot(sys.argv[1])
    out = sys.argv[2]
    if out.endswith(".tar.gz"):
        write_archive(out, files)
    else:
        write_dir(out, files)
    if lossy:
        print("a bug-report cannot hold: " + ", ".join(sorted(set(lossy))), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
