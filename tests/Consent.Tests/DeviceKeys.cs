using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.Consent.Tests;

/// <summary>What a device does on its side: make a key pair and a PKCS#10 request for it.</summary>
public static class DeviceKeys
{
    public static (ECDsa Key, string CsrPem) NewKeyAndCsr(string deviceId)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + deviceId, key, HashAlgorithmName.SHA256);
        return (key, request.CreateSigningRequestPem());
    }
}
