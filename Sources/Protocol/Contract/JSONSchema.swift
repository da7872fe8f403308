/// A JSON Schema (draft-07 vocabulary) as `rpc.discover` publishes it. Shared types
/// are written once under `components/schemas` and referred to with `$ref`.
public struct JSONSchema: Sendable, Equatable {
    public var json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    public static func string(
        _ description: String? = nil, format: String? = nil, pattern: String? = nil, minLength: Int? = nil,
        maxLength: Int? = nil, enum values: [String]? = nil, contentEncoding: String? = nil
    ) -> JSONSchema {
        JSONSchema(
            .object(dropping: [
                "type": "string", "description": description.map(JSONValue.string), "format": format.map(JSONValue.string),
                "pattern": pattern.map(JSONValue.string), "minLength": minLength.map { .int(Int64($0)) },
                "maxLength": maxLength.map { .int(Int64($0)) }, "enum": values.map { .array($0.map(JSONValue.string)) },
                "contentEncoding": contentEncoding.map(JSONValue.string),
            ]))
    }

    public static func integer(_ description: String? = nil, minimum: Int64? = nil, maximum: Int64? = nil) -> JSONSchema {
        JSONSchema(
            .object(dropping: [
                "type": "integer", "description": description.map(JSONValue.string), "minimum": minimum.map(JSONValue.int),
                "maximum": maximum.map(JSONValue.int),
            ]))
    }

    public static func number(_ description: String? = nil, minimum: Int64? = nil) -> JSONSchema {
        JSONSchema(
            .object(dropping: [
                "type": "number", "description": description.map(JSONValue.string), "minimum": minimum.map(JSONValue.int),
            ]))
    }

    public static func boolean(_ description: String? = nil) -> JSONSchema {
        JSONSchema(.object(dropping: ["type": "boolean", "description": description.map(JSONValue.string)]))
    }

    /// A value that is always exactly `value`.
    public static func constant(_ value: JSONValue, _ description: String? = nil) -> JSONSchema {
        JSONSchema(.object(dropping: ["const": value, "description": description.map(JSONValue.string)]))
    }

    public static func array(of items: JSONSchema, _ description: String? = nil) -> JSONSchema {
        JSONSchema(.object(dropping: ["type": "array", "items": items.json, "description": description.map(JSONValue.string)]))
    }

    /// A reference to `components/schemas/<name>`.
    public static func ref(_ name: String) -> JSONSchema {
        JSONSchema(["$ref": .string(RPCSchemaComponents.referencePrefix + name)])
    }

    /// A reference to a shared type's component.
    public static func ref(_ type: any RPCSchemaComponent.Type) -> JSONSchema { ref(type.componentName) }

    /// This schema, or JSON null (a member the daemon writes as `null` rather than leaving out).
    public func orNull() -> JSONSchema {
        if case .object(var members) = json, let type = members["type"]?.stringValue, members["$ref"] == nil {
            members["type"] = [.string(type), "null"]
            if let values = members["enum"]?.arrayValue { members["enum"] = .array(values + [.null]) }
            return JSONSchema(.object(members))
        }
        return JSONSchema(["anyOf": [json, ["type": "null"]]])
    }

    /// An object with these members. `closed` adds `additionalProperties: false`: the
    /// daemon refuses params it does not know; replies stay open so fields can be added.
    public static func object(_ description: String? = nil, _ fields: [RPCField], closed: Bool = false) -> JSONSchema {
        var properties: [String: JSONValue] = [:]
        for field in fields {
            var schema = field.schema.json
            if let summary = field.summary, case .object(var members) = schema, members["description"] == nil,
                members["$ref"] == nil
            {
                members["description"] = .string(summary)
                schema = .object(members)
            }
            properties[field.name] = schema
        }
        let required = fields.filter(\.required).map { JSONValue.string($0.name) }
        return JSONSchema(
            .object(dropping: [
                "type": "object", "description": description.map(JSONValue.string), "properties": .object(properties),
                "required": required.isEmpty ? nil : .array(required), "additionalProperties": closed ? .bool(false) : nil,
            ]))
    }

    /// An object whose member names are not fixed, each holding a `values` value.
    public static func map(of values: JSONSchema, keys: [String]? = nil, _ description: String? = nil) -> JSONSchema {
        var members: [String: JSONValue] = ["type": "object", "additionalProperties": values.json]
        if let keys {
            members["propertyNames"] = ["enum": .array(keys.map(JSONValue.string))]
            members["required"] = .array(keys.map(JSONValue.string))
        }
        if let description { members["description"] = .string(description) }
        return JSONSchema(.object(members))
    }

    /// Everything in `base` (a reference) and these further members.
    public static func extending(_ base: JSONSchema, _ more: JSONSchema) -> JSONSchema {
        JSONSchema(["allOf": [base.json, more.json]])
    }
}

/// One member of a params or result object.
public struct RPCField: Sendable, Equatable {
    public var name: String
    public var schema: JSONSchema
    public var required: Bool
    public var summary: String?

    public init(_ name: String, _ schema: JSONSchema, required: Bool = true, _ summary: String? = nil) {
        self.name = name
        self.schema = schema
        self.required = required
        self.summary = summary
    }

    public static func optional(_ name: String, _ schema: JSONSchema, _ summary: String? = nil) -> RPCField {
        RPCField(name, schema, required: false, summary)
    }
}
