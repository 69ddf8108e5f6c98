using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.News2;
using PatientStream.Analytics.Output;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Testing;

namespace PatientStream.Analytics.Tests.Patients;

public sealed class FhirAnalyticsSinkTests : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _folder = new("analytics-fhir");
    private FhirService _fhir = null!;

    public async Task InitializeAsync()
    {
        var store = new SqlFhirStore(new SqliteDialect(_folder.Combine("fhir.db")), FhirDefinitions.R4);
        await store.InitializeAsync(CancellationToken.None);
        _fhir = new FhirService(store, FhirDefinitions.R4);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_deteriorating_patient_leaves_valid_RiskAssessments_and_a_resolved_Flag_in_the_FHIR_store()
    {
        var driver = new PatientDriver(output: recording => new FhirAnalyticsSink(_fhir, recording));
        var t = new DateTimeOffset(2026, 11, 21, 6, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 6; i++, t = t.AddMinutes(5))
        {
            await driver.VitalsAsync(t, 16, 97, false, 125, 75, 37.0);
        }
        for (var i = 0; i < 12; i++, t = t.AddMinutes(5))
        {
            await driver.VitalsAsync(t, 26, 91, true, 95, 125, 39.2);
        }
        for (var i = 0; i < 12; i++, t = t.AddMinutes(5))
        {
            await driver.VitalsAsync(t, 16, 97, false, 125, 75, 37.0);
        }

        var risks = await _fhir.SearchAsync("RiskAssessment", $"subject=Patient/{PatientDriver.Patient}&_count=100");
        var stored = risks.MatchResources();
        Assert.Equal(driver.Sink.Risks.Select(r => (string)r.RiskAssessment["id"]!).Distinct().Order(), stored.Select(r => (string)r["id"]!).Order());
        Assert.Contains(driver.Sink.Risks, r => r.Result.Risk == ClinicalRisk.High);
        Assert.Contains(stored, r => r["prediction"]![0]!["qualitativeRisk"]!.ToJsonString().Contains("high", StringComparison.OrdinalIgnoreCase));

        var flags = (await _fhir.SearchAsync("Flag", $"patient=Patient/{PatientDriver.Patient}&_count=100")).MatchResources();
        var news2 = driver.Sink.Alerts.Where(a => a.Kind == "news2-risk").Select(a => a.AlertId).Distinct().Single();
        var flag = Assert.Single(flags, f => (string)f["id"]! == news2);
        Assert.Equal("inactive", (string?)flag["status"]);
        // Every transition was a PUT of the same Flag: one resource, several versions.
        var versions = await _fhir.HistoryAsync("Flag", news2, null, 100, CancellationToken.None);
        Assert.Equal(driver.Sink.Alerts.Count(a => a.AlertId == news2), versions.Count);
    }

    [Fact]
    public async Task Replaying_the_same_output_overwrites_instead_of_duplicating()
    {
        var driver = new PatientDriver(output: recording => new FhirAnalyticsSink(_fhir, recording));
        var t = new DateTimeOffset(2026, 11, 21, 6, 0, 0, TimeSpan.Zero);
        await driver.VitalsAsync(t, 26, 91, true, 95, 125, 39.2);
        var before = (await _fhir.SearchAsync("RiskAssessment", $"subject=Patient/{PatientDriver.Patient}")).MatchResources();
        var versionsBefore = long.Parse((string)before.Single()["meta"]!["versionId"]!, System.Globalization.CultureInfo.InvariantCulture);
        var sink = new FhirAnalyticsSink(_fhir);
        foreach (var published in driver.Sink.All)
        {
            await sink.PublishAsync(published, CancellationToken.None);
        }
        var risks = (await _fhir.SearchAsync("RiskAssessment", $"subject=Patient/{PatientDriver.Patient}")).MatchResources();
        // Still one resource: the replay added versions of it, never a second RiskAssessment.
        Assert.Single(risks);
        Assert.Equal(2 * versionsBefore, long.Parse((string)risks[0]["meta"]!["versionId"]!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
