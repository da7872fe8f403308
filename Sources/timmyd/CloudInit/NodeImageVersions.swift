/// Every container image a buyer's node runs, pinned here and nowhere else, so
/// a version change is one reviewed line (and shows in `timmyctl render-user-data`
/// and in the README's "What the buyer's node runs"). An operator may replace any
/// of them, typically with a digest they verified, through `NODE_*_IMAGE`.
enum NodeImageVersions {
    /// Bitcoin Core release binaries from bitcoincore.org, checked against the guix.sigs
    /// builder signatures when the image is built (Docker Hub `bitcoin/bitcoin`, an
    /// unofficial image; data dir `/home/bitcoin/.bitcoin`).
    static let bitcoin = "bitcoin/bitcoin:31.1"
    /// Lightning Labs' LND (data dir `/root/.lnd`, REST on 8080, P2P on 9735). The node
    /// checks its binaries against the signed release manifest before first start.
    static let lnd = "lightninglabs/lnd:v0.21.3-beta"
    /// LNbits on LND REST (port 5000).
    static let lnbits = "lnbits/lnbits:v1.6.2"

    static let all: [(component: String, image: String)] = [
        ("Bitcoin Core", bitcoin), ("LND", lnd), ("LNbits", lnbits),
    ]
}

/// The three images one node runs: the pinned ones unless the operator chose others.
struct NodeImages: Sendable, Equatable {
    var bitcoin: String
    var lnd: String
    var lnbits: String

    static let pinned = NodeImages(bitcoin: NodeImageVersions.bitcoin, lnd: NodeImageVersions.lnd, lnbits: NodeImageVersions.lnbits)

    /// Each image with the setting that chooses it, in the order the node pulls them.
    var bySetting: [(setting: String, image: String)] {
        [("NODE_BITCOIN_IMAGE", bitcoin), ("NODE_LND_IMAGE", lnd), ("NODE_LNBITS_IMAGE", lnbits)]
    }

    /// What a valid reference looks like, for error messages.
    static let referenceForm = "repository[:tag][@sha256:<64 hex digits>], with a tag or a digest"

    /// Whether `reference` is `repository[:tag][@sha256:<64 hex>]` with at least a tag or a
    /// digest. The repository is Docker's: an optional registry host (with a `.` or `:port`,
    /// or `localhost`) and `/`-separated lower-case path components. The characters allowed
    /// leave nothing for a shell or a YAML file to interpret.
    static func isValidReference(_ reference: String) -> Bool {
        guard !reference.isEmpty, reference.utf8.count <= 255 else { return false }
        var name = Substring(reference)
        var hasDigest = false
        if let at = name.firstIndex(of: "@") {
            let digest = name[name.index(after: at)...]
            guard digest.hasPrefix("sha256:") else { return false }
            let hex = digest.dropFirst("sha256:".count)
            guard hex.count == 64, hex.unicodeScalars.allSatisfy(lowerHex.contains) else { return false }
            name = name[..<at]
            hasDigest = true
        }
        var hasTag = false
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            let tag = name[name.index(after: colon)...]
            guard let first = tag.unicodeScalars.first, tagFirst.contains(first), tag.count <= 128,
                tag.unicodeScalars.allSatisfy(tagRest.contains)
            else { return false }
            name = name[..<colon]
            hasTag = true
        }
        guard hasTag || hasDigest else { return false }
        var components = name.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 1, let host = components.first, host.contains(".") || host.contains(":") || host == "localhost" {
            guard isRegistryHost(host) else { return false }
            components.removeFirst()
        }
        return !components.isEmpty && components.allSatisfy(isPathComponent)
    }

    /// `[a-z0-9]+` runs joined by `.`, `_`, `__` or `-`s.
    private static func isPathComponent(_ component: Substring) -> Bool {
        guard let first = component.unicodeScalars.first, let last = component.unicodeScalars.last,
            lowerAlphanumeric.contains(first), lowerAlphanumeric.contains(last)
        else { return false }
        var separator = ""
        for scalar in component.unicodeScalars {
            if lowerAlphanumeric.contains(scalar) {
                guard separator.isEmpty || separator == "." || separator == "_" || separator == "__"
                    || separator.allSatisfy({ $0 == "-" })
                else { return false }
                separator = ""
            } else if scalar == "." || scalar == "_" || scalar == "-" {
                separator.unicodeScalars.append(scalar)
            } else {
                return false
            }
        }
        return true
    }

    private static func isRegistryHost(_ host: Substring) -> Bool {
        var name = host
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard (1...5).contains(port.count), port.unicodeScalars.allSatisfy(digits.contains) else { return false }
            name = host[..<colon]
        }
        return !name.isEmpty && name.count <= 253 && !name.hasPrefix("-") && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { hostCharacters.contains($0) }
    }

    private static let digits = ScalarSets.digits
    private static let lowerHex = ScalarSets.lowerHex
    private static let lowerAlphanumeric = ScalarSets.lowerAlphanumerics
    private static let tagFirst = ScalarSets.alphanumerics.union(["_"])
    private static let tagRest = tagFirst.union([".", "-"])
    private static let hostCharacters = ScalarSets.alphanumerics.union([".", "-"])
}
