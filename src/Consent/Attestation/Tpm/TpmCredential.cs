using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace PatientStream.Consent.Attestation.Tpm;

/// <summary>
/// TPM2_MakeCredential done in software (TPM 2.0 Part 1 §24, Part 3 §12.6): wraps a secret so that only the TPM
/// holding the endorsement key, and only for the attestation key with the given name, can recover it with
/// TPM2_ActivateCredential. The output is the file layout tpm2-tools' tpm2_activatecredential reads.
/// </summary>
internal static class TpmCredential
{
    private const uint FileMagic = 0xBADCC0DE;
    private const uint FileVersion = 1;

    public static byte[] Make(TpmPublic endorsementKey, byte[] attestationKeyName, byte[] secret)
    {
        if (endorsementKey.Type != TpmPublic.AlgRsa || endorsementKey.RsaModulus is null
            || endorsementKey.SymmetricAlg != TpmPublic.AlgAes || endorsementKey.SymmetricMode != TpmPublic.AlgCfb)
        {
            throw new AttestationException(AttestationError.InvalidRequest, "the endorsement key must be an RSA storage key with AES-CFB (the TCG default EK template)");
        }

        var seed = RandomNumberGenerator.GetBytes(32);
        var encryptedSeed = RsaOaepEncrypt(endorsementKey.RsaModulus, endorsementKey.RsaExponent, seed, "IDENTITY\0"u8);

        var symmetricKey = KdfA(seed, "STORAGE", attestationKeyName, [], endorsementKey.SymmetricKeyBits);
        byte[] credential = [.. BigEndian16(secret.Length), .. secret];
        var encryptedIdentity = AesCfb(symmetricKey, credential);
        var hmacKey = KdfA(seed, "INTEGRITY", [], [], 256);
        byte[] signed = [.. encryptedIdentity, .. attestationKeyName];
        var integrity = HMACSHA256.HashData(hmacKey, signed);

        byte[] idObject = [.. BigEndian16(2 + integrity.Length + encryptedIdentity.Length), .. BigEndian16(integrity.Length), .. integrity, .. encryptedIdentity];
        byte[] encryptedSecret = [.. BigEndian16(encryptedSeed.Length), .. encryptedSeed];
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, FileMagic);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), FileVersion);
        return [.. header, .. idObject, .. encryptedSecret];
    }

    /// <summary>KDFa with HMAC-SHA256 (Part 1 §11.4.10.2): SP 800-108 counter mode, the label with its terminating zero.</summary>
    internal static byte[] KdfA(byte[] key, string label, byte[] contextU, byte[] contextV, int bits)
    {
        var labelBytes = Encoding.ASCII.GetBytes(label + "\0");
        var output = new List<byte>();
        for (uint counter = 1; output.Count * 8 < bits; counter++)
        {
            var block = new byte[4 + labelBytes.Length + contextU.Length + contextV.Length + 4];
            BinaryPrimitives.WriteUInt32BigEndian(block, counter);
            labelBytes.CopyTo(block, 4);
            contextU.CopyTo(block, 4 + labelBytes.Length);
            contextV.CopyTo(block, 4 + labelBytes.Length + contextU.Length);
            BinaryPrimitives.WriteUInt32BigEndian(block.AsSpan(block.Length - 4), (uint)bits);
            output.AddRange(HMACSHA256.HashData(key, block));
        }

        return output.Take(bits / 8).ToArray();
    }

    /// <summary>RSAES-OAEP with SHA-256 and a label (RFC 8017 §7.1.1); .NET's OAEP has no label, the TPM's needs one.</summary>
    internal static byte[] RsaOaepEncrypt(byte[] modulus, uint exponent, byte[] message, ReadOnlySpan<byte> label)
    {
        const int HashLength = 32;
        var k = modulus.Length;
        if (message.Length > k - (2 * HashLength) - 2)
        {
            throw new ArgumentException("message too long for the RSA key", nameof(message));
        }

        var db = new byte[k - HashLength - 1];
        SHA256.HashData(label).CopyTo(db, 0);
        db[db.Length - message.Length - 1] = 0x01;
        message.CopyTo(db, db.Length - message.Length);
        var seed = RandomNumberGenerator.GetBytes(HashLength);
        Xor(db, Mgf1(seed, db.Length));
        Xor(seed, Mgf1(db, HashLength));

        byte[] encoded = [0x00, .. seed, .. db];
        var m = new BigInteger(encoded, isUnsigned: true, isBigEndian: true);
        var n = new BigInteger(modulus, isUnsigned: true, isBigEndian: true);
        var c = BigInteger.ModPow(m, exponent, n).ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[k];
        c.CopyTo(result, k - c.Length);
        return result;
    }

    private static byte[] Mgf1(byte[] seed, int length)
    {
        var output = new List<byte>(length + 32);
        var block = new byte[seed.Length + 4];
        seed.CopyTo(block, 0);
        for (uint counter = 0; output.Count < length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(block.AsSpan(seed.Length), counter);
            output.AddRange(SHA256.HashData(block));
        }

        return output.Take(length).ToArray();
    }

    private static byte[] AesCfb(byte[] key, byte[] plaintext)
    {
        // CFB is a stream mode: encrypt whole blocks and keep the plaintext's length.
        using var aes = Aes.Create();
        aes.Key = key;
        var padded = new byte[(plaintext.Length + 15) / 16 * 16];
        plaintext.CopyTo(padded, 0);
        var cipher = aes.EncryptCfb(padded, new byte[16], PaddingMode.None, feedbackSizeInBits: 128);
        return cipher.AsSpan(0, plaintext.Length).ToArray();
    }

    private static void Xor(byte[] target, byte[] mask)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] ^= mask[i];
        }
    }

    private static byte[] BigEndian16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, checked((ushort)value));
        return bytes;
    }
}
