using System.Text.Json.Nodes;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Audit;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Devices;
using PatientStream.Consent.Records;
using PatientStream.Consent.Tests.Fixtures;
using PatientStream.Consent.Tests.Policy;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Testing;
using P = PatientStream.Consent.Tests.Policy.ProvisionBuilder;

namespace PatientStream.Consent.Tests.Records;

/// <summary>The consent service's records in the real FHIR store (SQLite file).</summary>
public sealed class FhirConsentRecordsTests : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _dir = new("consent-fhir");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
    private SqlFhirStore _store = null!;
    private FhirService _fhir = null!;
    private FhirConsentRecords _records = null!;

    public async Task InitializeAsync()
    {
        _store = new SqlFhirStore(new SqliteDialect(_dir.Combine("fhir.db")), FhirDefinitions.R4);
        await _store.InitializeAsync(CancellationToken.None);
        _fhir = new FhirService(_store, FhirDefinitions.R4, _clock);
        _records = new FhirConsentRecords(_fhir, _clock);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Consents_of_a_patient_are_found_by_patient_search()
    {
        await PutConsent(ConsentBuilder.Given("c1", P.Permit()));
        await PutConsent(ConsentBuilder.Given("c2", P.Deny(), patient: "Patient/999"));

        var consents = await _records.ConsentsOfAsync("Patient/123", CancellationToken.None);

        Assert.Equal(["c1"], consents.Select(c => c.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Device_is_stored_as_Device_with_the_device_id()
    {
        Assert.Null(await _records.FindDeviceAsync("dev-1", CancellationToken.None));
        var devices = new DeviceRegistry(_records, new AuditTrail(_records, _clock));

        await devices.BindToPatientAsync("dev-1", "Patient/123", "Practitioner/dr-a", CancellationToken.None);

        var stored = await _fhir.ReadAsync("Device", "dev-1", CancellationToken.None);
        var device = JsonNode.Parse(stored.Json)!;
        Assert.Equal("Patient/123", device["patient"]!["reference"]!.GetValue<string>());
        Assert.Equal("dev-1", device["identifier"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("Patient/123", (await devices.FindAsync("dev-1", CancellationToken.None))!.Patient);
    }

    [Fact]
    public async Task Refused_attestation_is_an_AuditEvent_found_by_FHIR_search()
    {
        var audit = new AuditTrail(_records, _clock);
        using var maker = new Manufacturer("Acme Medical", _clock.GetUtcNow());
        var ca = DeviceCa.Open(new DeviceCaOptions { DataDirectory = _dir.Combine("ca") }, _clock);
        using var _ = ca;
        var enrollment = new DeviceEnrollment(ca, new DeviceRegistry(_records, audit), audit, new AttestationOptions { ManufacturerRootsPem = [maker.RootPem] }, _clock);
        using var device = maker.MakeDevice("dev-1", _clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddYears(1));
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-1");
        using var __ = key;

        await Assert.ThrowsAsync<AttestationException>(() =>
            enrollment.EnrollX509Async(EnrollmentHarness.Request(device, enrollment.IssueNonce().Nonce, csr), CancellationToken.None));

        var found = await _fhir.SearchAsync("AuditEvent", $"subtype={AuditTrail.SubtypeSystem}|attestation-x509&outcome=4", strict: true);
        var auditEvent = Assert.Single(found.MatchResources());
        Assert.Contains("device-not-bound", auditEvent.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Change_feed_names_the_patients_and_devices_that_changed()
    {
        var start = await _records.ChangesSinceAsync(null, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));

        await PutConsent(ConsentBuilder.Given("c1", P.Permit()));
        await new DeviceRegistry(_records, new AuditTrail(_records, _clock)).BindToPatientAsync("dev-1", "Patient/123", "Practitioner/dr-a", CancellationToken.None);
        var changes = await _records.ChangesSinceAsync(start.Cursor, CancellationToken.None);

        Assert.Equal(["Patient/123"], changes.Patients);
        Assert.Equal(["dev-1"], changes.Devices);
        Assert.False(changes.Reset);

        _clock.Advance(TimeSpan.FromSeconds(1));
        var quiet = await _records.ChangesSinceAsync(changes.Cursor, CancellationToken.None);
        Assert.Equal(changes.Cursor, quiet.Cursor);
    }

    private Task<WriteOutcome> PutConsent(JsonObject consent) =>
        _fhir.UpdateAsync("Consent", consent["id"]!.GetValue<string>(), consent, null, CancellationToken.None);
}
