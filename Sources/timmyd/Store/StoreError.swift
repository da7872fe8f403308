/// A problem with the job database itself (not with a caller's request).
enum StoreError: Error, CustomStringConvertible {
    case corruptRow(column: String)

    var description: String {
        switch self {
        case .corruptRow(let column): "a jobs row has an unreadable \(column) column"
        }
    }
}
