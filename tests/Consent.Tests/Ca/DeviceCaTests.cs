using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Tests.Fixtures;

namespace PatientStream.Consent.Tests.Ca;

public sealed class DeviceCaTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private DeviceCa OpenCa() => DeviceCa.Open(new DeviceCaOptions { DataDirectory = _dir.Path }, _clock);

    [Fact]
    public void Issued_certificate_names_the_device_chains_to_the_CA_and_is_for_client_auth()
    {
        using var ca = OpenCa();
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-1");
        using var _ = key;

        var issued = ca.Issue("dev-1", csr);

        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        Assert.Equal("dev-1", certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal(issued.Serial, certificate.SerialNumber);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromHours(24), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        using var publicKey = certificate.GetECDsaPublicKey();
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), publicKey!.ExportSubjectPublicKeyInfo());
        Assert.Equal("dev-1", ca.VerifyOperational(certificate));
    }

    [Fact]
    public void CA_survives_a_restart_with_the_same_key_and_registry()
    {
        string caPem;
        using (var ca = OpenCa())
        {
            caPem = ca.CertificatePem;
            var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-1");
            key.Dispose();
            ca.Issue("dev-1", csr);
            ca.Revoke("dev-1", "lost");
        }

        using var reopened = OpenCa();
        Assert.Equal(caPem, reopened.CertificatePem);
        Assert.True(reopened.IsDeviceRevoked("dev-1"));
        Assert.Single(reopened.Revocations().Certificates);
    }

    [Fact]
    public void Revocation_is_published_in_the_CRL_and_the_edge_list()
    {
        using var ca = OpenCa();
        var (k1, csr1) = DeviceKeys.NewKeyAndCsr("dev-1");
        var (k2, csr2) = DeviceKeys.NewKeyAndCsr("dev-2");
        k1.Dispose();
        k2.Dispose();
        var kept = ca.Issue("dev-1", csr1);
        var revoked = ca.Issue("dev-2", csr2);

        var serials = ca.Revoke("dev-2", "stolen");

        Assert.Equal([revoked.Serial], serials);
        var crl = CertificateRevocationListBuilder.LoadPem(File.ReadAllText(ca.Options.CrlPath), out var crlNumber);
        Assert.True(crlNumber >= 2);
        Assert.False(crl.RemoveEntry(Convert.FromHexString(kept.Serial)));
        Assert.True(crl.RemoveEntry(Convert.FromHexString(revoked.Serial)));
        var list = ca.Revocations();
        Assert.True(list.IsRevoked("dev-2"));
        Assert.False(list.IsRevoked("dev-1"));
        using var revokedCertificate = X509Certificate2.CreateFromPem(revoked.CertificatePem);
        var error = Assert.Throws<CertificateAuthorityException>(() => ca.VerifyOperational(revokedCertificate));
        Assert.Equal(CaErrorCode.CertificateRevoked, error.Code);
    }

    [Fact]
    public void Revoked_device_cannot_get_a_new_certificate_until_reinstated()
    {
        using var ca = OpenCa();
        ca.Revoke("dev-1", "lost");
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-1");
        using var _ = key;

        var error = Assert.Throws<CertificateAuthorityException>(() => ca.Issue("dev-1", csr));
        Assert.Equal(CaErrorCode.DeviceRevoked, error.Code);

        Assert.True(ca.Reinstate("dev-1"));
        Assert.Equal("dev-1", ca.Issue("dev-1", csr).DeviceId);
    }

    [Fact]
    public void Renewal_opens_in_the_window_before_expiry_and_refuses_expired_certificates()
    {
        using var ca = OpenCa();
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-1");
        using var _ = key;
        using var first = X509Certificate2.CreateFromPem(ca.Issue("dev-1", csr).CertificatePem);

        Assert.Equal(CaErrorCode.RenewalTooEarly, Assert.Throws<CertificateAuthorityException>(() => ca.Renew(first, csr)).Code);

        _clock.Advance(TimeSpan.FromHours(17));
        var renewed = ca.Renew(first, csr);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromHours(24), renewed.NotAfter);

        _clock.Advance(TimeSpan.FromHours(8));
        Assert.Equal(CaErrorCode.CertificateExpired, Assert.Throws<CertificateAuthorityException>(() => ca.Renew(first, csr)).Code);
    }

    [Fact]
    public void Certificate_from_another_CA_is_unknown()
    {
        using var ca = OpenCa();
        using var foreignKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var foreign = new CertificateRequest("CN=dev-1", foreignKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(_clock.GetUtcNow().AddHours(-1), _clock.GetUtcNow().AddHours(1));

        Assert.Equal(CaErrorCode.UnknownCertificate, Assert.Throws<CertificateAuthorityException>(() => ca.VerifyOperational(foreign)).Code);
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("garbage")]
    [InlineData("bad-id")]
    public void Invalid_requests_are_refused_with_a_stable_code(string kind)
    {
        using var ca = OpenCa();
        using var rsa = RSA.Create(2048);
        var csr = kind switch
        {
            "rsa" => new CertificateRequest("CN=dev-1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem(),
            "garbage" => "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
            _ => DeviceKeys.NewKeyAndCsr("x").CsrPem,
        };
        var deviceId = kind == "bad-id" ? "dev/1#" : "dev-1";

        var error = Assert.Throws<CertificateAuthorityException>(() => ca.Issue(deviceId, csr));
        Assert.Equal(CaErrorCode.InvalidCertificateRequest, error.Code);
    }
}
