#!/usr/bin/env python3
"""Lists the Prow features that prow-rs reads but does not act on, as `prowctl checkconfig`
reports them (warnings naming "not implemented"), for every instance of the Prow config
corpus, with how many instances and places use each. The migration guide's list is this
script's output.

Usage: hack/unimplemented-features.py PROWCTL [CORPUS_DIR]
"""
import collections
import json
import os
import re
import subprocess
import sys


def instances(corpus):
    """(name, config, job dir or None, plugins) rows of SOURCES.md's instance table."""
    rows = []
    for line in open(os.path.join(corpus, "SOURCES.md")):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[1].endswith(".yaml") and cells[0] != "instance":
            name, config, jobs, plugins = cells[0], cells[1], cells[2], cells[3]
            rows.append((name, config, None if jobs == "(none)" else jobs, plugins))
    return rows


def hook_plugins(repo):
    """Plugin names hook answers to (from each plugin's `fn name`)."""
    names = set()
    for root, _, files in os.walk(os.path.join(repo, "crates/hook/src/plugins")):
        for f in files:
            if f.endswith(".rs"):
                text = open(os.path.join(root, f)).read()
                names.update(re.findall(r'fn name\(&self\) -> &\'static str \{\s*"([^"]+)"', text))
                names.update(re.findall(r'const PLUGIN_NAME: &str = "([^"]+)"', text))
    return names


def enabled_plugins(path):
    """Plugin names enabled anywhere in a plugins.yaml (both of Prow's forms)."""
    import yaml
    doc = yaml.safe_load(open(path)) or {}
    names = set()
    for entry in (doc.get("plugins") or {}).values():
        if isinstance(entry, dict):
            entry = entry.get("plugins") or []
        names.update(entry or [])
    return names


def main():
    prowctl = sys.argv[1]
    corpus = sys.argv[2] if len(sys.argv) > 2 else "../shared/corpus/prow-configs"
    features = collections.defaultdict(lambda: [set(), 0])
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    known = hook_plugins(repo)
    missing_plugins = collections.defaultdict(set)
    for name, config, jobs, plugins in instances(corpus):
        args = [prowctl, "checkconfig", "--config-path", config, "--plugin-config", plugins,
                "--output", "json"]
        if jobs:
            args += ["--job-config-path", jobs]
        out = subprocess.run(args, cwd=corpus, capture_output=True, text=True)
        report = json.loads(out.stdout)
        for plugin in enabled_plugins(os.path.join(corpus, plugins)) - known:
            missing_plugins[plugin].add(name)
        for warning in report["warnings"]:
            message = warning["message"] if isinstance(warning, dict) else warning
            match = re.search(r"([A-Za-z_.\-]+: [^:]*not implemented.*)$", message)
            if match:
                feature = features[match.group(1)]
                feature[0].add(name)
                feature[1] += 1
    for feature, (names, count) in sorted(features.items(), key=lambda f: (-len(f[1][0]), f[0])):
        print(f"- {feature} — {count} place(s) in {len(names)} instance(s): {', '.join(sorted(names))}")
    print()
    print("Plugins enabled in plugins.yaml that hook does not have (logged once and skipped):")
    print()
    for plugin, names in sorted(missing_plugins.items(), key=lambda p: (-len(p[1]), p[0])):
        print(f"- `{plugin}` — {len(names)} instance(s): {', '.join(sorted(names))}")


if __name__ == "__main__":
    main()
