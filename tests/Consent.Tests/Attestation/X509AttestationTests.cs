using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Tests.Fixtures;

namespace PatientStream.Consent.Tests.Attestation;

public sealed class X509AttestationTests : IAsyncLifetime
{
    private EnrollmentHarness _h = null!;

    public async Task InitializeAsync() => _h = await EnrollmentHarness.CreateAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Bound_device_with_a_manufacturer_certificate_gets_an_operational_certificate()
    {
        using var device = _h.MakeDevice("dev-1");
        await _h.Devices.BindToPatientAsync("dev-1", "Patient/123", "Practitioner/dr-a", CancellationToken.None);
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-1");
        using var _ = key;

        var issued = await _h.Enrollment.EnrollX509Async(EnrollmentHarness.Request(device, _h.Enrollment.IssueNonce().Nonce, csr), CancellationToken.None);

        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        Assert.Equal("dev-1", certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal("dev-1", _h.Ca.VerifyOperational(certificate));
        var attempt = Assert.Single((await _h.Store.AuditOfAsync("attestation-x509")));
        Assert.Equal("0", attempt["outcome"]!.GetValue<string>());
        var issuance = Assert.Single((await _h.Store.AuditOfAsync("certificate-issued")));
        Assert.Contains(issued.Serial, issuance.ToJsonString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, AttestationError> Failures => new()
    {
        { "unknown CA", AttestationError.UnknownCa },
        { "expired certificate", AttestationError.CertificateExpired },
        { "not yet valid certificate", AttestationError.CertificateNotYetValid },
        { "wrong signature", AttestationError.WrongSignature },
        { "signature over another CSR", AttestationError.WrongSignature },
        { "replayed nonce", AttestationError.NonceReplayed },
        { "expired nonce", AttestationError.NonceExpired },
        { "unknown nonce", AttestationError.NonceUnknown },
        { "revoked device", AttestationError.DeviceRevoked },
        { "device not bound", AttestationError.DeviceNotBound },
        { "unbound device", AttestationError.DeviceNotBound },
        { "garbage chain", AttestationError.InvalidRequest },
        { "device id not usable", AttestationError.InvalidRequest },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Every_failure_is_a_clear_typed_error_and_an_AuditEvent(string failure, AttestationError expected)
    {
        var now = _h.Clock.GetUtcNow();
        using var foreign = new Manufacturer("Counterfeit", now);
        using var device = failure switch
        {
            "unknown CA" => foreign.MakeDevice("dev-1", now.AddDays(-1), now.AddYears(1)),
            "expired certificate" => _h.Maker.MakeDevice("dev-1", now.AddYears(-3), now.AddDays(-1)),
            "not yet valid certificate" => _h.Maker.MakeDevice("dev-1", now.AddDays(1), now.AddYears(3)),
            "device id not usable" => _h.Maker.MakeDevice("Acme pump #5", now.AddDays(-1), now.AddYears(3)),
            _ => _h.MakeDevice("dev-1"),
        };
        if (failure != "device not bound")
        {
            await _h.Devices.BindToPatientAsync("dev-1", "Patient/123", "Practitioner/dr-a", CancellationToken.None);
        }

        if (failure == "unbound device")
        {
            await _h.Devices.UnbindFromPatientAsync("dev-1", "Practitioner/dr-a", CancellationToken.None);
        }

        if (failure == "revoked device")
        {
            await _h.Enrollment.RevokeAsync("dev-1", "reported lost", "Practitioner/dr-a", CancellationToken.None);
        }

        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-1");
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var _ = key;
        var nonce = _h.Enrollment.IssueNonce().Nonce;
        var request = failure switch
        {
            "wrong signature" => EnrollmentHarness.Request(device, nonce, csr, signWith: otherKey),
            "signature over another CSR" => EnrollmentHarness.Request(device, nonce, csr) with { CsrPem = DeviceKeys.NewKeyAndCsr("dev-1").CsrPem },
            "unknown nonce" => EnrollmentHarness.Request(device, "never-issued", csr),
            "garbage chain" => EnrollmentHarness.Request(device, nonce, csr) with { CertificateChainPem = "not a certificate" },
            _ => EnrollmentHarness.Request(device, nonce, csr),
        };
        if (failure == "replayed nonce")
        {
            await _h.Enrollment.EnrollX509Async(request, CancellationToken.None);
        }

        if (failure == "expired nonce")
        {
            _h.Clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        }

        var error = await Assert.ThrowsAsync<AttestationException>(() => _h.Enrollment.EnrollX509Async(request, CancellationToken.None));

        Assert.Equal(expected, error.Error);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        var audit = (await _h.Store.AuditOfAsync("attestation-x509"))[^1];
        Assert.Equal("4", audit["outcome"]!.GetValue<string>());
        Assert.Contains($"\"valueString\":\"{AttestationException.ToCode(expected)}\"", audit.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_renews_inside_the_window_by_signing_with_its_operational_key()
    {
        var (first, key, csr) = await _h.EnrollBoundAsync("dev-1");
        using var _ = key;

        var early = _h.Enrollment.IssueNonce().Nonce;
        var tooEarly = await Assert.ThrowsAsync<AttestationException>(() =>
            _h.Enrollment.RenewAsync(new RenewalRequest(first.CertificatePem, early, EnrollmentHarness.Sign(key, early, csr), csr), CancellationToken.None));
        Assert.Equal(AttestationError.RenewalTooEarly, tooEarly.Error);

        _h.Clock.Advance(TimeSpan.FromHours(20));
        var (nextKey, nextCsr) = DeviceKeys.NewKeyAndCsr("dev-1");
        using var __ = nextKey;
        var nonce = _h.Enrollment.IssueNonce().Nonce;
        var renewed = await _h.Enrollment.RenewAsync(new RenewalRequest(first.CertificatePem, nonce, EnrollmentHarness.Sign(key, nonce, nextCsr), nextCsr), CancellationToken.None);

        Assert.NotEqual(first.Serial, renewed.Serial);
        Assert.Equal(_h.Clock.GetUtcNow().AddHours(24), renewed.NotAfter);
        Assert.Equal(2, (await _h.Store.AuditOfAsync("certificate-issued")).Count);
    }

    [Fact]
    public async Task Renewal_signed_with_another_key_is_refused()
    {
        var (first, key, csr) = await _h.EnrollBoundAsync("dev-1");
        using var _ = key;
        _h.Clock.Advance(TimeSpan.FromHours(20));
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var nonce = _h.Enrollment.IssueNonce().Nonce;
        var error = await Assert.ThrowsAsync<AttestationException>(() =>
            _h.Enrollment.RenewAsync(new RenewalRequest(first.CertificatePem, nonce, EnrollmentHarness.Sign(stranger, nonce, csr), csr), CancellationToken.None));

        Assert.Equal(AttestationError.WrongSignature, error.Error);
        Assert.Equal("4", (await _h.Store.AuditOfAsync("attestation-renewal"))[^1]["outcome"]!.GetValue<string>());
    }
}
