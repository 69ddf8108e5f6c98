using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PatientStream.Consent.Attestation.Tpm;

/// <summary>
/// The parts of a TPM2B_PUBLIC (TPM 2.0 Part 2 §12.2.5) that attestation needs: the object's name, attributes,
/// name algorithm and, for an RSA key, its symmetric parameters and public modulus.
/// </summary>
internal sealed record TpmPublic(
    byte[] Name, ushort Type, ushort NameAlg, uint Attributes, ushort SymmetricAlg, ushort SymmetricKeyBits, ushort SymmetricMode, byte[]? RsaModulus, uint RsaExponent)
{
    public const ushort AlgRsa = 0x0001;
    public const ushort AlgAes = 0x0006;
    public const ushort AlgSha256 = 0x000B;
    public const ushort AlgNull = 0x0010;
    public const ushort AlgCfb = 0x0043;

    public const uint FixedTpm = 1u << 1;
    public const uint FixedParent = 1u << 4;
    public const uint SensitiveDataOrigin = 1u << 5;
    public const uint Restricted = 1u << 16;
    public const uint Decrypt = 1u << 17;
    public const uint Sign = 1u << 18;

    public bool Has(uint attributes) => (Attributes & attributes) == attributes;

    public static TpmPublic Parse(byte[] tpm2bPublic)
    {
        try
        {
            return ParseUnchecked(tpm2bPublic);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new AttestationException(AttestationError.InvalidRequest, "a TPM public area is truncated", ex);
        }
    }

    private static TpmPublic ParseUnchecked(byte[] tpm2bPublic)
    {
        var size = BinaryPrimitives.ReadUInt16BigEndian(tpm2bPublic);
        if (size + 2 != tpm2bPublic.Length)
        {
            throw new AttestationException(AttestationError.InvalidRequest, "a TPM public area must be a complete TPM2B_PUBLIC");
        }

        var area = tpm2bPublic.AsSpan(2);
        var type = BinaryPrimitives.ReadUInt16BigEndian(area);
        var nameAlg = BinaryPrimitives.ReadUInt16BigEndian(area[2..]);
        var attributes = BinaryPrimitives.ReadUInt32BigEndian(area[4..]);
        if (nameAlg != AlgSha256)
        {
            throw new AttestationException(AttestationError.InvalidRequest, "only SHA-256 TPM objects are supported");
        }

        // Name = nameAlg || H(TPMT_PUBLIC) (Part 1 §16).
        byte[] name = [0x00, 0x0B, .. SHA256.HashData(area)];
        if (type != AlgRsa)
        {
            return new TpmPublic(name, type, nameAlg, attributes, AlgNull, 0, AlgNull, null, 0);
        }

        var offset = 8;
        offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(area[offset..]); // authPolicy
        var symAlg = BinaryPrimitives.ReadUInt16BigEndian(area[offset..]);
        offset += 2;
        ushort symBits = 0, symMode = AlgNull;
        if (symAlg != AlgNull)
        {
            symBits = BinaryPrimitives.ReadUInt16BigEndian(area[offset..]);
            symMode = BinaryPrimitives.ReadUInt16BigEndian(area[(offset + 2)..]);
            offset += 4;
        }

        var scheme = BinaryPrimitives.ReadUInt16BigEndian(area[offset..]);
        offset += scheme == AlgNull ? 2 : 4;
        offset += 2; // keyBits
        var exponent = BinaryPrimitives.ReadUInt32BigEndian(area[offset..]);
        offset += 4;
        var modulusSize = BinaryPrimitives.ReadUInt16BigEndian(area[offset..]);
        var modulus = area.Slice(offset + 2, modulusSize).ToArray();
        return new TpmPublic(name, type, nameAlg, attributes, symAlg, symBits, symMode, modulus, exponent == 0 ? 65537u : exponent);
    }
}
