#!/usr/bin/env python3
"""Converts the certification standards catalog (shared/certification/standards.toml) into
the JSON data file the crate ships (data/standards.json). Run from the repository root:

    python3 tools/gen_standards.py ../shared/certification/standards.toml > data/standards.json
"""
import json
import sys
import tomllib

with open(sys.argv[1], "rb") as f:
    catalog = tomllib.load(f)
out = {
    "source": "shared/certification/standards.toml",
    "domains": [{"id": d["id"], "title": d["title"]} for d in catalog["domain"]],
    "standards": [
        {
            "id": s["id"],
            "domain": s["domain"],
            "title": s["title"],
            "methods": s["methods"],
            "elements": s["elements"],
        }
        for s in catalog["standard"]
    ],
}
json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
sys.stdout.write("\n")
