using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.Testing;

/// <summary>A throw-away certificate authority for TLS fixtures: a CA, a loopback server certificate, client certificates.</summary>
public sealed class TestPki : IDisposable
{
    public TestPki(string commonName = "PatientStream Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 IssueServer(string dnsName = "localhost") =>
        Issue($"CN={dnsName}", serverAuth: true, san =>
        {
            san.AddDnsName(dnsName);
            san.AddIpAddress(IPAddress.Loopback);
        });

    public X509Certificate2 IssueClient(string commonName) => Issue($"CN={commonName}", serverAuth: false, configureSan: null);

    private X509Certificate2 Issue(string subject, bool serverAuth, Action<SubjectAlternativeNameBuilder>? configureSan)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        var usage = serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2";
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        if (configureSan is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            configureSan(san);
            request.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var withoutKey = request.Create(Ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return withoutKey.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate and (when present) its private key as PEM files; returns (certPath, keyPath).</summary>
    public static (string CertificatePath, string KeyPath) WritePem(X509Certificate2 certificate, string folder, string name)
    {
        var certPath = Path.Combine(folder, name + ".crt");
        var keyPath = Path.Combine(folder, name + ".key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey();
        if (key is not null)
        {
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        }
        return (certPath, keyPath);
    }

    public void Dispose() => Ca.Dispose();
}
