/// The printed result: each figure, its baseline, their ratio and the target.
struct ResultTable {
    enum Target {
        case ratioAtMost(Double)
        case ratioAtLeast(Double)
        case valueAtMost(Double)

        var text: String {
            switch self {
            case .ratioAtMost(let limit): "<= \(format(limit))x"
            case .ratioAtLeast(let limit): ">= \(format(limit * 100))%"
            case .valueAtMost(let limit): "<= \(format(limit))"
            }
        }

        func met(value: Double, ratio: Double?) -> Bool {
            switch self {
            case .ratioAtMost(let limit): (ratio ?? .infinity) <= limit
            case .ratioAtLeast(let limit): (ratio ?? 0) >= limit
            case .valueAtMost(let limit): value <= limit
            }
        }
    }

    private var rows: [[String]] = []
    private var notes: [String] = []

    mutating func add(_ name: String, _ value: Double, _ baseline: Double?, target: Target?) {
        let ratio = baseline.flatMap { $0 > 0 ? value / $0 : nil }
        let ratioText: String
        if case .ratioAtLeast = target, let ratio {
            ratioText = format(ratio * 100) + "%"
        } else {
            ratioText = ratio.map { format($0) + "x" } ?? "-"
        }
        rows.append([
            name, format(value), baseline.map(format) ?? "-", ratioText, target?.text ?? "",
            target.map { $0.met(value: value, ratio: ratio) ? "yes" : "NO" } ?? "",
        ])
    }

    mutating func note(_ text: String) { notes.append(text) }

    func rendered() -> String {
        let header = ["figure", "timmyd", "baseline", "ratio", "target", "met"]
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? cell.padding(to: widths[index]) : cell.leftPadding(to: widths[index])
            }.joined(separator: " | ")
        }
        var lines = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-|-")]
        lines += rows.map(line)
        lines += notes.map { "note: " + $0 }
        return lines.joined(separator: "\n")
    }
}

/// Three significant figures at most, without exponent notation.
func format(_ value: Double) -> String {
    if value >= 1000 { return String(Int(value.rounded())) }
    let decimals = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3
    var scaled = (value * pow10(decimals)).rounded()
    let negative = scaled < 0
    if negative { scaled = -scaled }
    let digits = String(Int(scaled))
    guard decimals > 0 else { return (negative ? "-" : "") + digits }
    let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
    return (negative ? "-" : "") + padded.dropLast(decimals) + "." + padded.suffix(decimals)
}

private func pow10(_ exponent: Int) -> Double { (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

extension String {
    fileprivate func padding(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    fileprivate func leftPadding(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
