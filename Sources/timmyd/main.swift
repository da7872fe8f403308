import Protocol
print("timmyd \(TimmyVersion.string)")
