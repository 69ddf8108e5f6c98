using System.Security.Cryptography;
using System.Text;

namespace PatientStream.Consent.Attestation;

/// <summary>
/// What a device signs to prove possession of its key: the server nonce followed by the SHA-256 of its CSR (DER),
/// so the proof also binds the key the device asks to have certified.
/// </summary>
public static class AttestationProof
{
    public static byte[] Message(string nonce, string csrPem)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        var nonceBytes = Encoding.UTF8.GetBytes(nonce);
        var csrHash = SHA256.HashData(CsrDer(csrPem));
        return [.. nonceBytes, .. csrHash];
    }

    internal static byte[] CsrDer(string csrPem)
    {
        if (string.IsNullOrEmpty(csrPem) || !PemEncoding.TryFind(csrPem, out var fields)
            || !csrPem.AsSpan()[fields.Label].SequenceEqual("CERTIFICATE REQUEST"))
        {
            throw new AttestationException(AttestationError.InvalidRequest, "csr must be a PEM 'CERTIFICATE REQUEST'");
        }

        return Convert.FromBase64String(csrPem[fields.Base64Data]);
    }

    internal static byte[] Decode(string? base64, string what)
    {
        try
        {
            return Convert.FromBase64String(base64 ?? throw new FormatException());
        }
        catch (FormatException ex)
        {
            throw new AttestationException(AttestationError.InvalidRequest, $"{what} must be base64", ex);
        }
    }
}
