import COpenSSL

/// Authenticated encryption with AES-256-GCM under a 32-byte master key.
/// Sealed format: 12-byte random nonce || ciphertext || 16-byte tag.
struct SecretBox: Sendable {
    static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16

    private let key: [UInt8]

    init(masterKey: [UInt8]) throws {
        guard masterKey.count == Self.keyLength else { throw KeyError.invalidMasterKeyLength(masterKey.count) }
        key = masterKey
    }

    func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        try Self.checkSize(plaintext.count)
        try Self.checkSize(associatedData.count)
        let nonce = CryptoRandom.bytes(Self.nonceLength)
        OpenSSLError.clear()
        guard let ctx = EVP_CIPHER_CTX_new() else { throw Self.failure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }  // also cleanses the key schedule

        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else {
            throw Self.failure("EVP_EncryptInit_ex")
        }
        var outLength: Int32 = 0
        if !associatedData.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &outLength, associatedData, Int32(associatedData.count)) == 1 else {
                throw Self.failure("EVP_EncryptUpdate(aad)")
            }
        }
        var out = [UInt8](repeating: 0, count: Self.nonceLength + plaintext.count + Self.tagLength)
        out.replaceSubrange(0..<Self.nonceLength, with: nonce)
        let ok: Bool = out.withUnsafeMutableBufferPointer { buffer in
            let body = buffer.baseAddress! + Self.nonceLength
            var written: Int32 = 0
            if !plaintext.isEmpty {
                guard EVP_EncryptUpdate(ctx, body, &written, plaintext, Int32(plaintext.count)) == 1,
                      Int(written) == plaintext.count else { return false }
            }
            var finalLength: Int32 = 0
            guard EVP_EncryptFinal_ex(ctx, body + plaintext.count, &finalLength) == 1, finalLength == 0 else { return false }
            return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagLength), body + plaintext.count) == 1
        }
        guard ok else { throw Self.failure("AES-256-GCM encryption") }
        return out
    }

    func open(_ sealed: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= Self.nonceLength + Self.tagLength else { throw KeyError.sealedDataTooShort(sealed.count) }
        try Self.checkSize(sealed.count)
        try Self.checkSize(associatedData.count)
        let nonce = Array(sealed[0..<Self.nonceLength])
        let ciphertext = Array(sealed[Self.nonceLength..<(sealed.count - Self.tagLength)])
        var tag = Array(sealed[(sealed.count - Self.tagLength)...])

        OpenSSLError.clear()
        guard let ctx = EVP_CIPHER_CTX_new() else { throw Self.failure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else {
            throw Self.failure("EVP_DecryptInit_ex")
        }
        var outLength: Int32 = 0
        if !associatedData.isEmpty {
            guard EVP_DecryptUpdate(ctx, nil, &outLength, associatedData, Int32(associatedData.count)) == 1 else {
                throw Self.failure("EVP_DecryptUpdate(aad)")
            }
        }
        // One spare byte so the Final call always has a valid output pointer.
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 1)
        var written: Int32 = 0
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(ctx, &plaintext, &written, ciphertext, Int32(ciphertext.count)) == 1,
                  Int(written) == ciphertext.count else {
                secureZero(&plaintext)
                throw Self.failure("EVP_DecryptUpdate")
            }
        }
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagLength), &tag) == 1 else {
            secureZero(&plaintext)
            throw Self.failure("EVP_CIPHER_CTX_ctrl(set tag)")
        }
        var finalLength: Int32 = 0
        let verified = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(ctx, buffer.baseAddress! + ciphertext.count, &finalLength)
        }
        guard verified > 0, finalLength == 0 else {
            secureZero(&plaintext)
            OpenSSLError.clear()
            throw KeyError.authenticationFailed
        }
        plaintext.removeLast()
        return plaintext
    }

    private static func checkSize(_ count: Int) throws {
        guard count < Int(Int32.max) - 64 else { throw KeyError.sealedDataTooLong(count) }
    }

    private static func failure(_ operation: String) -> KeyError {
        KeyError.openSSL(operation: operation, detail: OpenSSLError.lastMessage())
    }
}
