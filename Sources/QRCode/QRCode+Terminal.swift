extension QRCode {
    /// The code as terminal text: each character cell holds two rows of modules
    /// (upper and lower half blocks), so the code is about square on screen.
    ///
    /// The colours are set explicitly (light foreground on a dark background, reset at
    /// each line's end), so the code scans on light and dark terminal themes alike; a
    /// glyph's foreground is a light module.
    public func terminalText() -> String {
        let light = "\u{1B}[97;40m"
        let reset = "\u{1B}[0m"
        let range = -Self.quietZone..<(size + Self.quietZone)
        var text = ""
        for top in stride(from: range.lowerBound, to: range.upperBound, by: 2) {
            text += light
            for x in range {
                let upper = !isDark(x: x, y: top)
                let lower = top + 1 < range.upperBound ? !isDark(x: x, y: top + 1) : true
                switch (upper, lower) {
                case (true, true): text += "\u{2588}"  // █
                case (true, false): text += "\u{2580}"  // ▀
                case (false, true): text += "\u{2584}"  // ▄
                case (false, false): text += " "
                }
            }
            text += reset + "\n"
        }
        return text
    }
}
