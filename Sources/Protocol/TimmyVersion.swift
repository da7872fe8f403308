/// The version of timmyd's wire protocol and of the binaries built from this package.
public enum TimmyVersion {
    public static let string = "0.1.0"
}
