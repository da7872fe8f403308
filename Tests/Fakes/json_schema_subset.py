"""A small JSON Schema (2020-12) validator for the fakes in the tests.

It implements exactly the keywords that the request schemas in do-ops.json and
the fake's own schemas use. Any other keyword makes it raise
UnsupportedKeyword when the schema is loaded, so a schema it cannot check
never passes silently. Standard library only.
"""

import re

# Keywords that constrain the instance; each one has a checker below.
ASSERTIONS = {
    "type", "enum", "const",
    "properties", "required", "additionalProperties",
    "items", "minItems", "maxItems",
    "pattern", "minLength", "maxLength",
    "minimum", "maximum",
    "anyOf", "oneOf", "allOf",
}
# Keywords that only describe (annotations in 2020-12, "format" included, which
# 2020-12 treats as an annotation unless a format vocabulary is asked for).
# "discriminator" is OpenAPI's hint for oneOf/anyOf; the branches still decide.
ANNOTATIONS = {
    "$schema", "$comment", "title", "description", "default", "examples",
    "example", "readOnly", "writeOnly", "deprecated", "format", "discriminator",
}

JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


class UnsupportedKeyword(Exception):
    """The schema uses a keyword this validator does not implement."""


def check_schema(schema, where="#"):
    """Raises UnsupportedKeyword for any keyword not implemented (recursively)."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise UnsupportedKeyword(f"{where}: a schema must be an object or a boolean")
    for keyword, value in schema.items():
        if keyword in ANNOTATIONS:
            continue
        if keyword not in ASSERTIONS:
            raise UnsupportedKeyword(f"{where}: keyword {keyword!r} is not implemented")
        if keyword == "type":
            names = value if isinstance(value, list) else [value]
            unknown = [n for n in names if n not in JSON_TYPES]
            if unknown:
                raise UnsupportedKeyword(f"{where}: unknown type {unknown}")
        elif keyword == "properties":
            for name, sub in value.items():
                check_schema(sub, f"{where}/properties/{name}")
        elif keyword in ("additionalProperties", "items"):
            check_schema(value, f"{where}/{keyword}")
        elif keyword in ("anyOf", "oneOf", "allOf"):
            for index, sub in enumerate(value):
                check_schema(sub, f"{where}/{keyword}/{index}")
        elif keyword == "pattern":
            re.compile(ecma_pattern_to_python(value))


def ecma_pattern_to_python(pattern):
    """Python's `$` also matches before a final newline, ECMA-262's does not
    (so "name\\n" would pass a `^...$` name pattern); use `\\Z` outside classes."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "]":
            in_class = False
            out.append(char)
        elif char == "$" and not in_class:
            out.append(r"\Z")
        else:
            out.append(char)
    return "".join(out)


def type_matches(name, instance):
    # bool is a subclass of int in Python but not a number in JSON.
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if name == "number":
        return isinstance(instance, (int, float)) and not isinstance(instance, bool)
    if name == "integer":
        if isinstance(instance, bool):
            return False
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    return False


def json_equal(a, b):
    # 1 == True in Python; JSON keeps them apart.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


class Validator:
    """validate(instance) returns a list of error strings (empty when valid).

    forbid_unknown_properties treats every object schema that lists
    "properties" as if it said additionalProperties: false. The DigitalOcean
    API ignores unknown fields, which would hide a misspelt field in a client.
    """

    def __init__(self, schema, forbid_unknown_properties=False):
        check_schema(schema)
        self.schema = schema
        self.forbid_unknown_properties = forbid_unknown_properties

    def validate(self, instance):
        return self._errors(self.schema, instance, "$")

    def _errors(self, schema, instance, where):
        if schema is True:
            return []
        if schema is False:
            return [f"{where}: no value is allowed here"]
        errors = []
        for keyword, value in schema.items():
            check = getattr(self, "_check_" + keyword, None)
            if check is not None:
                errors.extend(check(value, instance, where, schema))
        if (self.forbid_unknown_properties and "properties" in schema
                and "additionalProperties" not in schema):
            errors.extend(self._check_additionalProperties(False, instance, where, schema))
        return errors

    def _check_type(self, value, instance, where, _schema):
        names = value if isinstance(value, list) else [value]
        if any(type_matches(n, instance) for n in names):
            return []
        return [f"{where}: expected {' or '.join(names)}, got {json_type_name(instance)}"]

    def _check_enum(self, value, instance, where, _schema):
        if any(json_equal(instance, option) for option in value):
            return []
        return [f"{where}: {instance!r} is not one of {value}"]

    def _check_const(self, value, instance, where, _schema):
        return [] if json_equal(instance, value) else [f"{where}: must be {value!r}"]

    def _check_properties(self, value, instance, where, _schema):
        if not isinstance(instance, dict):
            return []
        errors = []
        for name, sub in value.items():
            if name in instance:
                errors.extend(self._errors(sub, instance[name], f"{where}.{name}"))
        return errors

    def _check_required(self, value, instance, where, _schema):
        if not isinstance(instance, dict):
            return []
        return [f"{where}: missing required property {name!r}" for name in value if name not in instance]

    def _check_additionalProperties(self, value, instance, where, schema):
        if not isinstance(instance, dict):
            return []
        known = schema.get("properties", {})
        errors = []
        for name in instance:
            if name in known:
                continue
            if value is False:
                errors.append(f"{where}: unknown property {name!r}")
            elif value is not True:
                errors.extend(self._errors(value, instance[name], f"{where}.{name}"))
        return errors

    def _check_items(self, value, instance, where, _schema):
        if not isinstance(instance, list):
            return []
        errors = []
        for index, item in enumerate(instance):
            errors.extend(self._errors(value, item, f"{where}[{index}]"))
        return errors

    def _check_minItems(self, value, instance, where, _schema):
        if isinstance(instance, list) and len(instance) < value:
            return [f"{where}: fewer than {value} items"]
        return []

    def _check_maxItems(self, value, instance, where, _schema):
        if isinstance(instance, list) and len(instance) > value:
            return [f"{where}: more than {value} items"]
        return []

    def _check_pattern(self, value, instance, where, _schema):
        if isinstance(instance, str) and not re.search(ecma_pattern_to_python(value), instance):
            return [f"{where}: {shorten(instance)!r} does not match {value}"]
        return []

    def _check_minLength(self, value, instance, where, _schema):
        # JSON Schema counts code points, as len() on a str does.
        if isinstance(instance, str) and len(instance) < value:
            return [f"{where}: shorter than {value} characters"]
        return []

    def _check_maxLength(self, value, instance, where, _schema):
        if isinstance(instance, str) and len(instance) > value:
            return [f"{where}: longer than {value} characters"]
        return []

    def _check_minimum(self, value, instance, where, _schema):
        if type_matches("number", instance) and instance < value:
            return [f"{where}: {instance} is less than {value}"]
        return []

    def _check_maximum(self, value, instance, where, _schema):
        if type_matches("number", instance) and instance > value:
            return [f"{where}: {instance} is greater than {value}"]
        return []

    def _check_allOf(self, value, instance, where, _schema):
        errors = []
        for sub in value:
            errors.extend(self._errors(sub, instance, where))
        return errors

    def _check_anyOf(self, value, instance, where, _schema):
        branch_errors = [self._errors(sub, instance, where) for sub in value]
        if any(not errors for errors in branch_errors):
            return []
        return [f"{where}: matches none of anyOf ({describe_branches(branch_errors)})"]

    def _check_oneOf(self, value, instance, where, _schema):
        branch_errors = [self._errors(sub, instance, where) for sub in value]
        passing = sum(1 for errors in branch_errors if not errors)
        if passing == 1:
            return []
        if passing == 0:
            return [f"{where}: matches none of oneOf ({describe_branches(branch_errors)})"]
        return [f"{where}: matches {passing} branches of oneOf, exactly one is allowed"]


def describe_branches(branch_errors):
    return "; ".join(f"[{i}] " + ", ".join(errors) for i, errors in enumerate(branch_errors))


def json_type_name(instance):
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if type_matches(name, instance):
            return name
    return type(instance).__name__


def shorten(text, limit=60):
    return text if len(text) <= limit else text[:limit] + "…"
