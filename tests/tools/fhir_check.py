"""Parses FHIR resources with an independent R4 model: every line of NDJSON files, and
every `*.json` file (one resource each) of directories.

usage: python fhir_check.py FILE.ndjson|DIR [FILE.ndjson|DIR ...]

Resource types checked: MeasureReport, Measure, Library, ValueSet, List.

Uses fhir.resources 6.4.x (the last release modelling FHIR R4; it needs pydantic 1).
Prints one summary line per file; on a failure prints the file, line number and the
model's error (field paths only: the resources are synthetic, but the check never echoes
values) and exits 1. Exits 2 when the model cannot be imported.
"""

import collections
import json
import os
import sys

try:
    import fhir.resources
    from fhir.resources.library import Library
    from fhir.resources.list import List
    from fhir.resources.measure import Measure
    from fhir.resources.measurereport import MeasureReport
    from fhir.resources.valueset import ValueSet
except ImportError as e:  # pragma: no cover - environment problem
    print(f"cannot import fhir.resources: {e}", file=sys.stderr)
    sys.exit(2)

MODELS = {
    "MeasureReport": MeasureReport,
    "Measure": Measure,
    "Library": Library,
    "ValueSet": ValueSet,
    "List": List,
}


def parse(text, where, types, errors):
    try:
        data = json.loads(text)
        model = MODELS.get(data.get("resourceType"))
        if model is None:
            raise ValueError(f"resourceType is {data.get('resourceType')!r}")
        model.parse_obj(data)
        types[data["resourceType"]] += 1
    except Exception as e:  # the model's ValidationError, or bad JSON
        locs = []
        for err in getattr(e, "errors", lambda: [])() or []:
            locs.append(".".join(str(p) for p in err.get("loc", ())) + ": " + err.get("msg", ""))
        errors.append(f"{where}: " + ("; ".join(locs) if locs else type(e).__name__ + ": " + str(e)[:300]))


def check(path):
    types = collections.Counter()
    errors = []
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            if name.endswith(".json"):
                with open(os.path.join(path, name), encoding="utf-8") as f:
                    parse(f.read(), os.path.join(path, name), types, errors)
    else:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    parse(line, f"{path}:{number}", types, errors)
    return types, errors


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path in argv:
        types, errors = check(path)
        ok = sum(types.values())
        kinds = ", ".join(f"{n} {t}" for t, n in sorted(types.items())) or "0"
        print(f"{path}: {ok} resources parse with fhir.resources {fhir.resources.__version__} (R4): {kinds}")
        for e in errors[:20]:
            print(e)
        if errors:
            print(f"{path}: {len(errors)} resources do not parse")
            failed = True
        elif ok == 0:
            print(f"{path}: no resources")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
