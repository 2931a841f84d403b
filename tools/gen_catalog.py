#!/usr/bin/env python3
"""Converts the measure catalog (shared/measures/catalog.toml) into the JSON data file the
crate ships (data/catalog.json): a list, in catalog order, of every entry's metadata (id,
title, module, tracks, direction, scoring, components for composites, source, evidence) and
its text (the population definitions, rationale and data elements, which the FHIR `Measure`
export publishes as description and guidance), each text field only when the catalog has it.
The output is deterministic. Run from the repository root:

    python3 tools/gen_catalog.py [../shared/measures/catalog.toml] [-o data/catalog.json]

The default paths are relative to the repository root, wherever the tool is run from.
"""
import argparse
import json
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIELDS = ["id", "title", "module", "tracks", "direction", "scoring"]
TEXT = [
    "initial_population",
    "denominator",
    "denominator_exclusions",
    "denominator_exceptions",
    "numerator",
    "numerator_exclusions",
    "rationale",
    "data_elements",
]


def entry(m):
    out = {k: m[k] for k in FIELDS}
    if "components" in m:
        out["components"] = m["components"]
    out["source"] = m["source"]
    out["evidence"] = m["evidence"]
    for k in TEXT:
        if k in m:
            out[k] = m[k]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "catalog",
        nargs="?",
        default=ROOT / ".." / "shared" / "measures" / "catalog.toml",
        type=pathlib.Path,
        help="the catalog (default: ../shared/measures/catalog.toml)",
    )
    ap.add_argument(
        "-o",
        "--out",
        default=ROOT / "data" / "catalog.json",
        type=pathlib.Path,
        help="the output file, or - for standard output (default: data/catalog.json)",
    )
    args = ap.parse_args()
    with open(args.catalog, "rb") as f:
        catalog = tomllib.load(f)
    measures = catalog.get("measure", [])
    missing = [
        (i, k)
        for i, m in enumerate(measures)
        for k in FIELDS + ["source", "evidence"]
        if k not in m
    ]
    if missing:
        i, k = missing[0]
        sys.exit(f"{args.catalog}: measure #{i + 1} has no `{k}`")
    text = json.dumps([entry(m) for m in measures], indent=2, ensure_ascii=False) + "\n"
    if str(args.out) == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print(f"wrote {len(measures)} entries to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
