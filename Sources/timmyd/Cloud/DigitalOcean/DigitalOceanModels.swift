import Protocol

/// An SSH key in the DigitalOcean account (`/v2/account/keys`).
struct DOSSHKey: Sendable, Equatable {
    var id: String
    var fingerprint: String
    var name: String
}

/// A block storage volume (`/v2/volumes`).
struct DOVolume: Sendable, Equatable {
    var id: String
    var name: String
    var region: String?
    var sizeGigabytes: Int64
    var dropletIDs: [String]
    var tags: [String]
}

/// A droplet (`/v2/droplets`).
struct DODroplet: Sendable, Equatable {
    var id: String
    var name: String
    /// new, active, off or archive.
    var status: String
    var publicIPv4: String?
    var tags: [String]
    var volumeIDs: [String]

    var isActive: Bool { status == "active" && publicIPv4 != nil }
}

/// The body of `POST /v2/droplets` (single droplet).
struct DODropletRequest: Sendable, Equatable {
    var name: String
    var region: String
    var size: String
    var image: String
    var sshKeys: [String]
    var volumeIDs: [String]
    var tags: [String]
    var userData: String

    var json: JSONValue {
        [
            "name": .string(name), "region": .string(region), "size": .string(size), "image": .string(image),
            // DigitalOcean takes key ids as integers; a fingerprint is a string.
            "ssh_keys": .array(sshKeys.map { Int64($0).map(JSONValue.int) ?? .string($0) }),
            "volumes": .array(volumeIDs.map(JSONValue.string)), "tags": .array(tags.map(JSONValue.string)),
            "user_data": .string(userData), "ipv6": false, "monitoring": true,
        ]
    }
}

extension JSONValue {
    /// An id DigitalOcean sends as a number (keys, droplets) or a string (volumes), as a string.
    fileprivate var idText: String? {
        if let number = intValue { return String(number) }
        return stringValue
    }
}

extension DOSSHKey {
    init(json: JSONValue) throws(DigitalOceanError) {
        guard let id = json["id"]?.idText, let fingerprint = json["fingerprint"]?.stringValue else {
            throw .malformedReply("ssh_key without id or fingerprint")
        }
        self.init(id: id, fingerprint: fingerprint, name: json["name"]?.stringValue ?? "")
    }
}

extension DOVolume {
    init(json: JSONValue) throws(DigitalOceanError) {
        guard let id = json["id"]?.idText, let name = json["name"]?.stringValue else {
            throw .malformedReply("volume without id or name")
        }
        let region = json["region"]?["slug"]?.stringValue ?? json["region"]?.stringValue
        self.init(
            id: id, name: name, region: region, sizeGigabytes: json["size_gigabytes"]?.intValue ?? 0,
            dropletIDs: (json["droplet_ids"]?.arrayValue ?? []).compactMap(\.idText),
            tags: (json["tags"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}

extension DODroplet {
    init(json: JSONValue) throws(DigitalOceanError) {
        guard let id = json["id"]?.idText, let status = json["status"]?.stringValue else {
            throw .malformedReply("droplet without id or status")
        }
        let v4 = json["networks"]?["v4"]?.arrayValue ?? []
        let publicIP = v4.first { $0["type"]?.stringValue == "public" }?["ip_address"]?.stringValue
        self.init(
            id: id, name: json["name"]?.stringValue ?? "", status: status, publicIPv4: publicIP,
            tags: (json["tags"]?.arrayValue ?? []).compactMap(\.stringValue),
            volumeIDs: (json["volume_ids"]?.arrayValue ?? []).compactMap(\.idText))
    }
}
