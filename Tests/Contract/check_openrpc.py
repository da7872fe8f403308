"""Checks timmyd's rpc.discover document, for the Swift tests (Tests/IntegrationTests/ContractTests.swift).

    python3 check_openrpc.py META_SCHEMA DOCUMENT [REPLIES]

1. DOCUMENT validates against the OpenRPC meta-schema (META_SCHEMA; lines starting
   with // are a provenance note and skipped). The meta-schema points at
   https://meta.json-schema.tools for JSON Schema itself; that is answered here with
   the draft-07 meta-schema that jsonschema ships, so nothing is fetched.
2. Every $ref in DOCUMENT resolves.
3. Each method's example params validate against its params' schemas (every
   required one present, no other), and its example result against its result schema.
4. REPLIES, if given, is {"method name": [reply, ...]}: each reply the daemon really
   sent validates against that method's result schema (a notification's name: its
   params schema under x-notifications).

Prints one line per problem and exits 1 if there was any. Needs python3-jsonschema.
"""

import json
import sys
import warnings

import jsonschema

warnings.simplefilter("ignore", DeprecationWarning)
META_SCHEMA_TOOLS = "https://meta.json-schema.tools"


def load_commented(path):
    with open(path, encoding="utf-8") as handle:
        return json.loads("".join(line for line in handle if not line.startswith("//")))


def json_schema_meta():
    meta = json.loads(json.dumps(jsonschema.Draft7Validator.META_SCHEMA))
    # The OpenRPC reference object points into this name of the JSON Schema meta-schema.
    meta.setdefault("definitions", {})["JSONSchemaObject"] = {
        "properties": {"$ref": {"type": "string", "format": "uri-reference"}}
    }
    return meta


def validator(schema, root, store=None):
    resolver = jsonschema.RefResolver.from_schema(root, store=store or {})
    # FORMAT_CHECKER is newer than Debian 12's jsonschema (4.10), which has draft7_format_checker.
    formats = getattr(jsonschema.Draft7Validator, "FORMAT_CHECKER", None) or jsonschema.draft7_format_checker
    return jsonschema.Draft7Validator(schema, resolver=resolver, format_checker=formats)


def errors_of(schema, root, instance):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator(schema, root).iter_errors(instance)]


def refs(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "$ref" and isinstance(inner, str):
                yield inner
            else:
                yield from refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from refs(inner)


def main(argv):
    meta = load_commented(argv[1])
    with open(argv[2], encoding="utf-8") as handle:
        document = json.load(handle)
    problems = []

    tools = json_schema_meta()
    store = {META_SCHEMA_TOOLS: tools, META_SCHEMA_TOOLS + "/": tools}
    for error in validator(meta, meta, store).iter_errors(document):
        problems.append(f"meta-schema: {'/'.join(map(str, error.absolute_path))}: {error.message}")

    resolver = jsonschema.RefResolver.from_schema(document)
    for ref in sorted(set(refs(document))):
        try:
            resolver.resolve(ref)
        except jsonschema.RefResolutionError as error:
            problems.append(f"unresolved $ref {ref}: {error}")

    methods = {method["name"]: method for method in document.get("methods", [])}
    for name, method in methods.items():
        params = {param["name"]: param for param in method.get("params", [])}
        if not method.get("examples"):
            problems.append(f"{name}: no example")
        for example in method.get("examples", []):
            given = {pair["name"]: pair["value"] for pair in example.get("params", [])}
            for param_name, param in params.items():
                if param.get("required") and param_name not in given:
                    problems.append(f"{name} example {example['name']!r}: required param {param_name} missing")
            for param_name, value in given.items():
                if param_name not in params:
                    problems.append(f"{name} example {example['name']!r}: unknown param {param_name}")
                    continue
                for error in errors_of(params[param_name]["schema"], document, value):
                    problems.append(f"{name} example {example['name']!r} param {param_name}: {error}")
            for error in errors_of(method["result"]["schema"], document, example["result"]["value"]):
                problems.append(f"{name} example {example['name']!r} result: {error}")

    if len(argv) > 3:
        with open(argv[3], encoding="utf-8") as handle:
            replies = json.load(handle)
        notifications = {n["name"]: n for n in document.get("x-notifications", [])}
        for name, values in replies.items():
            if name in methods:
                schema = methods[name]["result"]["schema"]
            elif name in notifications:
                schema = notifications[name]["params"]
            else:
                problems.append(f"reply for {name}, which the document does not describe")
                continue
            for index, value in enumerate(values):
                for error in errors_of(schema, document, value):
                    problems.append(f"{name} reply {index}: {error}")

    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
