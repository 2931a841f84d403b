"""Parses every line of FHIR NDJSON files with an independent R4 model.

usage: python fhir_check.py FILE.ndjson [FILE.ndjson ...]

Uses fhir.resources 6.4.x (the last release modelling FHIR R4; it needs pydantic 1).
Prints one summary line per file; on a failure prints the file, line number and the
model's error (field paths only: the resources are synthetic, but the check never echoes
values) and exits 1. Exits 2 when the model cannot be imported.
"""

import json
import sys

try:
    import fhir.resources
    from fhir.resources.measurereport import MeasureReport
except ImportError as e:  # pragma: no cover - environment problem
    print(f"cannot import fhir.resources: {e}", file=sys.stderr)
    sys.exit(2)


def check(path):
    ok = 0
    errors = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if data.get("resourceType") != "MeasureReport":
                    raise ValueError(f"resourceType is {data.get('resourceType')!r}")
                MeasureReport.parse_obj(data)
                ok += 1
            except Exception as e:  # the model's ValidationError, or bad JSON
                locs = []
                for err in getattr(e, "errors", lambda: [])() or []:
                    locs.append(".".join(str(p) for p in err.get("loc", ())) + ": " + err.get("msg", ""))
                errors.append(f"{path}:{number}: " + ("; ".join(locs) if locs else type(e).__name__ + ": " + str(e)[:300]))
    return ok, errors


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path in argv:
        ok, errors = check(path)
        print(f"{path}: {ok} MeasureReport resources parse with fhir.resources {fhir.resources.__version__} (R4)")
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
