import Protocol

/// What a daemon publishes about its methods (`rpc.discover`), read as a checker reads
/// it: the schema of each method's result and of each notification it documents.
/// Nothing here names a method's fields: today's document says little (results are
/// `{"type": "object"}`) and every check grows strict by itself as the document does.
struct RPCContract {
    let document: JSONValue
    let validator: JSONSchemaValidator

    init(document: JSONValue) {
        self.document = document
        validator = JSONSchemaValidator(root: document)
    }

    var methodNames: [String] { (document["methods"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }

    private func method(_ name: String) -> JSONValue? {
        document["methods"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    /// The schema of `method`'s result, following an OpenRPC `$ref` to a content descriptor.
    func resultSchema(_ name: String) -> JSONValue? {
        guard var result = method(name)?["result"] else { return nil }
        if let reference = result["$ref"]?.stringValue, let target = validator.resolve(reference) { result = target }
        return result["schema"]
    }

    /// How `result` breaks the schema the document gives for `method`'s result.
    func violations(result: JSONValue, of name: String) -> [SchemaViolation] {
        guard let schema = resultSchema(name) else { return [] }
        return validator.validate(result, against: schema)
    }

    /// The schema of a notification's params, wherever the document describes it: a
    /// top-level or per-method `x-notifications` list, or a method entry of that name
    /// (its params as a by-name object). Nil when the document does not describe it.
    func notificationSchema(_ name: String) -> JSONValue? {
        let lists = [document["x-notifications"]] + (document["methods"]?.arrayValue ?? []).map { $0["x-notifications"] }
        let described = lists.compactMap { $0?.arrayValue }.joined().first { $0["name"]?.stringValue == name } ?? method(name)
        guard let described else { return nil }
        if let schema = described["schema"] { return schema }
        if let params = described["params"], params.objectValue != nil { return params["schema"] ?? params }
        guard let descriptors = described["params"]?.arrayValue else { return nil }
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for descriptor in descriptors {
            guard let member = descriptor["name"]?.stringValue else { continue }
            properties[member] = descriptor["schema"] ?? .bool(true)
            if descriptor["required"] == .bool(true) { required.append(.string(member)) }
        }
        return ["type": "object", "properties": .object(properties), "required": .array(required)]
    }

    func violations(notification name: String, params: JSONValue?) -> [SchemaViolation] {
        guard let schema = notificationSchema(name) else { return [] }
        return validator.validate(params ?? .null, against: schema)
    }

    /// Every JSON-RPC error timmyd sends has the same shape, whatever the method:
    /// an integer code, a message, and `data.reason`, a stable word (snake_case).
    /// Application errors (-32099…-32000) carry the code their reason has.
    static func violations(error: JSONValue) -> [SchemaViolation] {
        let shape: JSONValue = [
            "type": "object", "required": ["code", "message", "data"],
            "properties": [
                "code": ["type": "integer"],
                "message": ["type": "string", "minLength": 1],
                "data": [
                    "type": "object", "required": ["reason"],
                    "properties": ["reason": ["type": "string", "pattern": "^[a-z][a-z0-9_]*$"]],
                ],
            ],
        ]
        var found = JSONSchemaValidator(root: shape).validate(error, against: shape)
        if let code = error["code"]?.intValue, (-32099 ... -32000).contains(code),
            let reason = error["data"]?["reason"]?.stringValue,
            let known = ApplicationErrorReason(rawValue: reason), Int64(known.code) != code
        {
            found.append(SchemaViolation(pointer: "/code", expected: "\(known.code), the code of reason \(reason)", got: "\(code)"))
        }
        return found
    }
}
