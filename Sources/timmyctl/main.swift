import Protocol
print("timmyctl \(TimmyVersion.string)")
