using System.Text.Json.Nodes;
using PatientStream.Consent.Audit;
using PatientStream.Consent.Records;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;

namespace PatientStream.Testing.Records;

/// <summary>
/// The consent service's records as production keeps them: <see cref="FhirConsentRecords"/> over a real FHIR store
/// (SQLite in a temp folder). Tests set Consents up and read AuditEvents back through FHIR, as a clinician would.
/// </summary>
/// <remarks>
/// The store keeps the system clock so that the change feed (history by last update) moves on even when the service
/// under test runs on a hand-moved clock.
/// </remarks>
public sealed class ConsentRecordsStore : IAsyncDisposable
{
    private readonly TempFolder _dir;
    private readonly SqlFhirStore _store;

    private ConsentRecordsStore(TempFolder dir, SqlFhirStore store)
    {
        _dir = dir;
        _store = store;
        Fhir = new FhirService(store, FhirDefinitions.R4, TimeProvider.System);
        Records = new FhirConsentRecords(Fhir, TimeProvider.System);
    }

    public FhirService Fhir { get; }

    public FhirConsentRecords Records { get; }

    public static async Task<ConsentRecordsStore> OpenAsync()
    {
        var dir = new TempFolder("consent-records");
        var store = new SqlFhirStore(new SqliteDialect(dir.Combine("fhir.db")), FhirDefinitions.R4);
        try
        {
            await store.InitializeAsync(CancellationToken.None);
        }
        catch
        {
            await store.DisposeAsync();
            dir.Dispose();
            throw;
        }
        return new ConsentRecordsStore(dir, store);
    }

    /// <summary>Creates or replaces a Consent (by its id), as the FHIR API's PUT does.</summary>
    public Task PutConsentAsync(JsonObject consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        return Fhir.UpdateAsync("Consent", consent["id"]!.GetValue<string>(), consent, null, CancellationToken.None);
    }

    /// <summary>The AuditEvents of one PatientStream subtype, oldest first.</summary>
    public async Task<IReadOnlyList<JsonObject>> AuditOfAsync(string subtype)
    {
        var found = await Fhir.SearchAsync("AuditEvent", $"subtype={AuditTrail.SubtypeSystem}|{subtype}&_sort=_lastUpdated&_count=1000",
            strict: true, CancellationToken.None);
        return found.MatchResources().ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }
}
