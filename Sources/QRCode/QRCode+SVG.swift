extension QRCode {
    /// The code as a standalone SVG document, one user unit per module, quiet zone
    /// included. It has a `viewBox` but no fixed size, so a page scales it to its box;
    /// `crispEdges` keeps scaled modules sharp.
    public func svg() -> String {
        let side = size + 2 * Self.quietZone
        var path = ""
        // One sub-path per run of dark modules in a row keeps the document small.
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else {
                    x += 1
                    continue
                }
                let start = x
                while x < size && isDark(x: x, y: y) { x += 1 }
                path += "M\(start + Self.quietZone) \(y + Self.quietZone)h\(x - start)v1h-\(x - start)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>

            """
    }
}
