using System.Security.Cryptography;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Audit;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Devices;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>A device CA, registry, audit trail and enrollment service over a temp folder and a hand-moved clock.</summary>
public sealed class EnrollmentHarness : IDisposable
{
    private readonly TempDirectory _dir = new();

    public EnrollmentHarness()
    {
        Clock = new ManualClock(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
        Maker = new Manufacturer("Acme Medical", Clock.GetUtcNow());
        Ca = DeviceCa.Open(new DeviceCaOptions { DataDirectory = _dir.File("ca") }, Clock);
        Audit = new AuditTrail(Records, Clock);
        Devices = new DeviceRegistry(Records, Audit);
        Enrollment = new DeviceEnrollment(Ca, Devices, Audit, new AttestationOptions { ManufacturerRootsPem = [Maker.RootPem] }, Clock);
    }

    public ManualClock Clock { get; }

    public Manufacturer Maker { get; }

    public DeviceCa Ca { get; }

    public RecordedConsentRecords Records { get; } = new();

    public AuditTrail Audit { get; }

    public DeviceRegistry Devices { get; }

    public DeviceEnrollment Enrollment { get; }

    public string Folder => _dir.Path;

    public ManufacturedDevice MakeDevice(string deviceId) =>
        Maker.MakeDevice(deviceId, Clock.GetUtcNow().AddDays(-30), Clock.GetUtcNow().AddYears(5));

    /// <summary>Makes, binds and enrolls a device; returns its operational certificate, key and CSR.</summary>
    public async Task<(IssuedCertificate Issued, ECDsa Key, string CsrPem)> EnrollBoundAsync(string deviceId)
    {
        using var device = MakeDevice(deviceId);
        await Devices.BindToPatientAsync(deviceId, "Patient/123", "Practitioner/dr-a", CancellationToken.None);
        var (key, csr) = DeviceKeys.NewKeyAndCsr(deviceId);
        var issued = await Enrollment.EnrollX509Async(Request(device, Enrollment.IssueNonce().Nonce, csr), CancellationToken.None);
        return (issued, key, csr);
    }

    /// <summary>What the device sends: its chain, the nonce, its signature over nonce + CSR hash, and the CSR.</summary>
    public static X509EnrollmentRequest Request(ManufacturedDevice device, string nonce, string csrPem, ECDsa? signWith = null) =>
        new(device.CertificatePem, nonce, Sign(signWith ?? device.Key, nonce, csrPem), csrPem);

    public static string Sign(ECDsa key, string nonce, string csrPem) =>
        Convert.ToBase64String(key.SignData(AttestationProof.Message(nonce, csrPem), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    public void Dispose()
    {
        Ca.Dispose();
        Maker.Dispose();
        _dir.Dispose();
    }
}
