/// Every container image a buyer's node runs, pinned here and nowhere else, so
/// a version change is one reviewed line (and shows in `timmyctl render-user-data`
/// and in the README's "What the buyer's node runs").
enum NodeImageVersions {
    /// Bitcoin Core release binaries, signature-checked at image build time
    /// (Docker Hub `bitcoin/bitcoin`, data dir `/home/bitcoin/.bitcoin`).
    static let bitcoin = "bitcoin/bitcoin:29.1"
    /// Lightning Labs' LND (data dir `/root/.lnd`, REST on 8080, P2P on 9735).
    static let lnd = "lightninglabs/lnd:v0.19.2-beta"
    /// LNbits on LND REST (port 5000).
    static let lnbits = "lnbits/lnbits:v1.6.2"

    static let all: [(component: String, image: String)] = [
        ("Bitcoin Core", bitcoin), ("LND", lnd), ("LNbits", lnbits),
    ]
}
