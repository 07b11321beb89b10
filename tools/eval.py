#!/usr/bin/env python3
"""exfild's detection-quality benchmark (`make eval`).

Generates scenarios (tools/scengen.py) for several profiles and seeds,
replays each with `exfild replay` in both input formats, and scores the
alerts against the labels beside two naive baselines computed here on the
same records:
  static-500MB   alert when one destination IP receives 500 MB within a
                 clock hour (the Slips-style static threshold)
  new-country    alert on the first bytes to a country the host never sent
                 to before (after the same learning period)
Both baselines see what the host opened (egress), as the reference rule does.

Matching: an alert is a true positive when it is for the labelled host,
at or after the injection's first byte and at most GRACE after its last,
and names the injection's destination IP or its country. Every other alert
is a false alert. Delay: first matching alert minus the moment the
injected bytes became anomalous (their sum reached 50 MB, or all of it if
less; scengen.anomalous_at), in the format's own clock.

  tools/eval.py --exfild build/exfild --out build/eval [--seeds 1,2,3]
                [--profiles laptop,...] [--days 6] [--jobs 2] [--formats ndjson,zeek]
"""
import argparse
import gzip
import ipaddress
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scengen  # noqa: E402

MB = 1000 * 1000
GRACE = 6 * 3600
LEARN = 24 * 3600
TARGETS = [
    "recall >= 0.95 for >= 50 MB to a country the host had not used",
    "<= 1 false alert per host-day (aim 0.05)",
    "F1 at least 0.2 above the better naive baseline",
    "median delay within one drain interval (10 s)",
]


def parse_time(s):
    # RFC 3339 with Z, as exfild writes it
    import calendar
    base, _, frac = s.rstrip("Z").partition(".")
    t = calendar.timegm(__import__("time").strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return t + (float("0." + frac) if frac else 0.0)


def get(o, path):
    for k in path.split("."):
        if not isinstance(o, dict) or k not in o:
            return None
        o = o[k]
    return o


# ---- reading what was replayed (for the naive baselines) -------------------

def egress_ndjson(path):
    with gzip.open(path, "rt") as f:
        for line in f:
            r = json.loads(line)
            if get(r, "network.direction") != "egress":
                continue
            yield (parse_time(r["event"]["end"]), r["host"]["name"], r["destination"]["ip"],
                   int(get(r, "source.bytes") or 0))


def egress_zeek(path, local_prefix="fd"):
    cols = None
    out = []
    with gzip.open(path, "rt") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                cols = {k: i for i, k in enumerate(line.split("\t")[1:])}
                continue
            if line.startswith("#") or not cols:
                continue
            v = line.split("\t")
            if not v[cols["id.orig_h"]].startswith(local_prefix):
                continue
            ob = v[cols["orig_bytes"]]
            dur = v[cols["duration"]]
            end = float(v[cols["ts"]]) + (float(dur) if dur != "-" else 0.0)
            if ob not in ("-", "0"):
                out.append((end, v[cols["id.orig_h"]], v[cols["id.resp_h"]], int(ob)))
    out.sort()
    return out


def country_of(ip, geo_index):
    return geo_index.get(":".join(ip.split(":")[:3]))


def naive_static(events, start):
    alerts, sums = [], {}
    for t, host, ip, b in events:
        key = (host, ip, int(t // 3600))
        before = sums.get(key, 0)
        sums[key] = before + b
        if t >= start + LEARN and before < 500 * MB <= before + b:
            alerts.append({"t": t, "host": host, "ip": ip})
    return alerts


def naive_new_country(events, start, geo_index):
    alerts, seen = [], {}
    for t, host, ip, b in events:
        c = country_of(ip, geo_index)
        s = seen.setdefault(host, set())
        if c in s:
            continue
        s.add(c)
        if t >= start + LEARN:
            alerts.append({"t": t, "host": host, "ip": ip, "country": c})
    return alerts


# ---- exfild's alerts ---------------------------------------------------------

def exfild_alerts(path):
    out = []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if get(r, "event.kind") != "alert":
                continue
            t = get(r, "@timestamp") or get(r, "event.end")
            # the peer: ECS puts the side that opened the connection in source
            peer = "source" if get(r, "network.direction") == "ingress" else "destination"
            out.append({"t": parse_time(t), "host": get(r, "host.name"),
                        "ip": get(r, peer + ".ip"),
                        "country": get(r, peer + ".geo.country_iso_code"),
                        "direction": get(r, "network.direction"),
                        "score": get(r, "exfild.anomaly.score")})
    return out


# ---- scoring -----------------------------------------------------------------

def same_ip(a, b):
    try:
        return a is not None and ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def score(alerts, labels, fmt, host_days):
    """Precision, recall, false alerts per host-day, F1, delays."""
    hostkey = "host" if fmt == "ndjson" else "host_ip"
    first = {}
    tp = 0
    for a in alerts:
        hit = None
        for lab in labels:
            if a["host"] != lab[hostkey]:
                continue
            if not (lab["start"] - 1 <= a["t"] <= lab["end"] + GRACE):
                continue
            if same_ip(a.get("ip"), lab["ip"]) or (a.get("country") and a.get("country") == lab["country"]):
                hit = lab
                break
        a["_tp"] = bool(hit)
        if hit:
            tp += 1
            first[hit["id"]] = min(first.get(hit["id"], a["t"]), a["t"])
    fp = len(alerts) - tp
    falses = [a for a in alerts if not a.get("_tp")]
    rec = len(first) / len(labels) if labels else 0.0
    prec = tp / len(alerts) if alerts else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    # the same counting repeated alerts of one injection once: no method
    # gains by saying the same true thing again
    iprec = len(first) / (len(first) + fp) if first or fp else 0.0
    if1 = 2 * iprec * rec / (iprec + rec) if iprec + rec else 0.0
    delays = [first[lab["id"]] - lab["anomalous_at_" + fmt] for lab in labels if lab["id"] in first]
    target = [lab for lab in labels if lab["bytes"] >= 50 * MB and lab["country_kind"] == "new"]
    trec = sum(1 for lab in target if lab["id"] in first) / len(target) if target else None
    return {"labels": len(labels), "detected": len(first), "recall": rec, "precision": prec,
            "f1": f1, "incident_precision": iprec, "incident_f1": if1, "alerts": len(alerts), "false": fp, "fp_per_host_day": fp / host_days,
            "median_delay": statistics.median(delays) if delays else None,
            "target_recall": trec, "target_n": len(target), "host_days": host_days,
            "detected_ids": sorted(first), "false_alerts": falses,
            "missed": [lab for lab in labels if lab["id"] not in first]}


def fmt_row(name, s):
    d = "-" if s["median_delay"] is None else "%d s" % (int(round(s["median_delay"])) or 0)
    tr = "-" if s["target_recall"] is None else "%.2f (%d)" % (s["target_recall"], s["target_n"])
    return "| %s | %.2f | %.2f | %.2f | %.2f | %.3f | %d | %s | %s |" % (
        name, s["precision"], s["recall"], s["f1"], s["incident_f1"], s["fp_per_host_day"],
        s["alerts"], tr, d)


HEADER = ("| method | precision | recall | F1 | F1 (incidents) | false alerts per host-day | alerts | "
          "recall, >= 50 MB to a new country (n) | median delay |\n|---|---|---|---|---|---|---|---|---|")


def run(cmd, log):
    with open(log, "w") as lf:
        return subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT).returncode


def main():
    ap = argparse.ArgumentParser(description="exfild detection-quality benchmark")
    ap.add_argument("--exfild", default="build/exfild")
    ap.add_argument("--out", default="build/eval")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--profiles", default=",".join(scengen.PROFILES))
    ap.add_argument("--days", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--formats", default="ndjson,zeek")
    ap.add_argument("--replay-args", default="", help="extra arguments for exfild replay")
    ap.add_argument("--perturb", action="store_true",
                    help="held-out scenarios: scengen --perturb (other sizes and activity)")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    profiles = a.profiles.split(",")
    formats = a.formats.split(",")
    os.makedirs(a.out, exist_ok=True)

    # the invented world's geo database
    geo_json = os.path.join(a.out, "geo.json")
    with open(geo_json, "w") as f:
        json.dump(scengen.world_geo(), f, sort_keys=True)
    mmdb = os.path.join(a.out, "world.mmdb")
    if run(["perl", os.path.join(HERE, "mkmmdb.pl"), "--schema", "city", "--in", geo_json,
            "--out", mmdb], os.path.join(a.out, "mkmmdb.log")):
        sys.exit("eval: mkmmdb.pl failed, see %s/mkmmdb.log" % a.out)
    geo_index = {k.split("::")[0]: v["country"] for k, v in scengen.world_geo().items()
                 if not k.startswith("_")}

    scen = [(p, s) for p in profiles for s in seeds]

    def gen(ps):
        p, s = ps
        d = os.path.join(a.out, "%s-%d" % (p, s))
        if run([sys.executable, os.path.join(HERE, "scengen.py"), "--profile", p, "--seed", str(s),
                "--days", str(a.days), "--out", d] + (["--perturb"] if a.perturb else []),
               os.path.join(d + ".gen.log")):
            sys.exit("eval: scengen failed for %s-%d" % (p, s))
        return d

    def replay(job):
        d, fmt = job
        inp = os.path.join(d, "flows.ndjson.gz" if fmt == "ndjson" else "conn.log.gz")
        out = os.path.join(d, "alerts-%s.json" % fmt)
        if os.path.exists(out):
            os.unlink(out)
        cmd = [a.exfild, "replay", "--geoip", mmdb, "--include-reserved",
               "--output", "file:" + os.path.abspath(out)] + a.replay_args.split() + [inp]
        rc = run(cmd, os.path.join(d, "replay-%s.log" % fmt))
        if rc:
            sys.exit("eval: exfild replay failed (%d) on %s, see %s/replay-%s.log" % (rc, inp, d, fmt))
        return out

    with ThreadPoolExecutor(a.jobs) as ex:
        dirs = list(ex.map(gen, scen))
        list(ex.map(replay, [(d, f) for d in dirs for f in formats]))

    results = {}
    print("exfild detection quality: %d profiles x %d seeds%s, %d days each (first %d h learning)"
          % (len(profiles), len(seeds), " (perturbed)" if a.perturb else "", a.days, LEARN // 3600))
    for fmt in formats:
        per = {}
        for (p, s), d in zip(scen, dirs):
            meta = json.load(open(os.path.join(d, "labels.json")))
            labels = meta["labels"]
            host_days = (meta["days"] * 86400 - LEARN) / 86400
            ev = (list(egress_ndjson(os.path.join(d, "flows.ndjson.gz"))) if fmt == "ndjson"
                  else egress_zeek(os.path.join(d, "conn.log.gz")))
            al = exfild_alerts(os.path.join(d, "alerts-%s.json" % fmt))
            methods = {"exfild": al, "static-500MB": naive_static(ev, meta["start"]),
                       "new-country": naive_new_country(ev, meta["start"], geo_index)}
            for m, alerts in methods.items():
                per.setdefault(p, {}).setdefault(m, []).append((alerts, labels, host_days))
        results[fmt] = {}
        print("\n### %s input\n" % ("exfild NDJSON" if fmt == "ndjson" else "Zeek conn.log"))
        print(HEADER)
        allm = {}
        for p in profiles:
            for m in ("exfild", "static-500MB", "new-country"):
                runs = per[p][m]
                s = combine(runs, fmt)
                results[fmt].setdefault(p, {})[m] = s
                allm.setdefault(m, []).extend(runs)
                print(fmt_row("%s %s" % (p, m), s))
        for m in ("exfild", "static-500MB", "new-country"):
            s = combine(allm[m], fmt)
            results[fmt].setdefault("overall", {})[m] = s
            print(fmt_row("ALL %s" % m, s))
        print_breakdown(allm["exfild"], fmt)
        o = results[fmt]["overall"]
        best_naive = max(o["static-500MB"]["f1"], o["new-country"]["f1"])
        ex = o["exfild"]
        print("\ntargets (%s):" % fmt)
        checks = [
            ex["target_recall"] is not None and ex["target_recall"] >= 0.95,
            ex["fp_per_host_day"] <= 1.0,
            ex["f1"] >= best_naive + 0.2,
            ex["median_delay"] is not None and ex["median_delay"] <= 10,
        ]
        for t, ok in zip(TARGETS, checks):
            print("  [%s] %s" % ("met" if ok else "MISSED", t))
        best_inc = max(o["static-500MB"]["incident_f1"], o["new-country"]["incident_f1"])
        print("  F1 %.2f vs %.2f per alert; %.2f vs %.2f with repeats of an injection counted once"
              % (ex["f1"], best_naive, ex["incident_f1"], best_inc))
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    print("\nper-alert detail (false alerts, missed injections): %s/results.json"
          % a.out)


def size_band(b):
    return ("5-50 MB" if b < 50 * MB else "50-500 MB" if b < 500 * MB else "0.5-5 GB")


def print_breakdown(runs, fmt):
    """exfild's recall by kind of injection: where it misses."""
    labels, detected = [], set()
    for al, lab, hd in runs:
        s = score(al, lab, fmt, hd)
        labels.extend(lab)
        detected.update(s["detected_ids"])
    rows = []
    for key, fn in (("country", lambda l: l["country_kind"]), ("shape", lambda l: l["shape"]),
                    ("size", lambda l: size_band(l["bytes"])),
                    ("process", lambda l: l["process_kind"]), ("port", lambda l: l["port_kind"])):
        groups = {}
        for lab in labels:
            groups.setdefault(fn(lab), []).append(lab)
        for g in sorted(groups):
            n = len(groups[g])
            d = sum(1 for lab in groups[g] if lab["id"] in detected)
            rows.append("%s %s: %d/%d" % (key, g, d, n))
    print("\nexfild recall by injection kind (%s): %s" % (fmt, "; ".join(rows)))


def combine(runs, fmt):
    """Score several hosts' runs as one (labels and alerts pooled)."""
    alerts, labels, hd = [], [], 0.0
    for al, lab, host_days in runs:
        alerts.extend(al)
        labels.extend(lab)
        hd += host_days
    return score(alerts, labels, fmt, hd)


if __name__ == "__main__":
    main()
