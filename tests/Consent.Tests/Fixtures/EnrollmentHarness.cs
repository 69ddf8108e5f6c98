using System.Security.Cryptography;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Audit;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Devices;
using PatientStream.Testing;
using PatientStream.Testing.Records;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>
/// A device CA, registry, audit trail and enrollment service over a temp folder, a hand-moved clock and the records in
/// a real FHIR store.
/// </summary>
public sealed class EnrollmentHarness : IAsyncDisposable
{
    private readonly TempFolder _dir = new("consent");

    private EnrollmentHarness(ConsentRecordsStore store)
    {
        Store = store;
        Clock = new ManualClock(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
        Maker = new Manufacturer("Acme Medical", Clock.GetUtcNow());
        Ca = DeviceCa.Open(new DeviceCaOptions { DataDirectory = _dir.Combine("ca") }, Clock);
        Audit = new AuditTrail(store.Records, Clock);
        Devices = new DeviceRegistry(store.Records, Audit);
        Enrollment = new DeviceEnrollment(Ca, Devices, Audit, new AttestationOptions { ManufacturerRootsPem = [Maker.RootPem] }, Clock);
    }

    public static async Task<EnrollmentHarness> CreateAsync() => new(await ConsentRecordsStore.OpenAsync());

    public ManualClock Clock { get; }

    public Manufacturer Maker { get; }

    public DeviceCa Ca { get; }

    /// <summary>Where Devices and AuditEvents land.</summary>
    public ConsentRecordsStore Store { get; }

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

    public async ValueTask DisposeAsync()
    {
        Ca.Dispose();
        Maker.Dispose();
        await Store.DisposeAsync();
        _dir.Dispose();
    }
}
