using System.Text.Json.Nodes;
using PatientStream.Ingest.Clinical;

namespace PatientStream.Ingest.Tests.Clinical;

public sealed class ClinicalMergeTests
{
    private const string OriginTag = "urn:patientstream:origin|ehr";

    [Fact]
    public async Task Record_is_merged_by_mrn_onto_the_patient_the_devices_report_for()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-dev", "MRN-100");
        await store.WriteDeviceObservationAsync("p-dev", "device-hr-1");

        var result = await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-100")), CancellationToken.None);

        Assert.True(result.Merged, result.Rejection?.Reason);
        Assert.Equal("p-dev", result.PatientId);
        Assert.False(result.PatientCreated);
        var everything = await store.Fhir.EverythingAsync("p-dev", CancellationToken.None);
        var types = everything.Select(r => r.Type).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["Condition", "Encounter", "MedicationStatement", "Observation", "Observation", "Patient"], types);
        Assert.Single(await store.SearchAsync("Patient", "_count=10"));
    }

    [Fact]
    public async Task Device_and_clinic_observations_of_one_patient_stay_distinguishable()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-dev", "MRN-101");
        await store.WriteDeviceObservationAsync("p-dev", "device-hr-1");

        await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-101")), CancellationToken.None);

        var all = await store.SearchAsync("Observation", "patient=Patient/p-dev");
        Assert.Equal(2, all.Count);
        var clinic = Assert.Single(await store.SearchAsync("Observation", $"patient=Patient/p-dev&_tag={OriginTag}"));
        Assert.Equal("85354-9", EhrRecords.Code(clinic));
        Assert.Null(clinic["device"]);
        Assert.NotNull(clinic["method"]);
        Assert.Equal(EhrRecords.Source, clinic["meta"]!["source"]!.GetValue<string>());
        var performer = await store.ReadAsync(clinic["performer"]![0]!["reference"]!.GetValue<string>());
        Assert.Equal("House", performer["name"]![0]!["family"]!.GetValue<string>());
        var device = Assert.Single(await store.SearchAsync("Observation", "patient=Patient/p-dev&device:missing=false"));
        Assert.Equal("device-hr-1", device["id"]!.GetValue<string>());
        Assert.Equal(clinic["id"]!.GetValue<string>(), Assert.Single(await store.SearchAsync("Observation", "patient=Patient/p-dev&device:missing=true"))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Clinic_observation_without_performer_or_method_gets_the_ehr_as_performer()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-lab", "MRN-102");

        await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.LabResult("MRN-102")), CancellationToken.None);

        var lab = Assert.Single(await store.SearchAsync("Observation", "patient=Patient/p-lab"));
        Assert.Equal(EhrRecords.Options.SourceDisplay, lab["performer"]![0]!["display"]!.GetValue<string>());
        Assert.NotNull(lab["method"]!["text"]);
        Assert.Equal(EhrRecords.Options.DefaultSource, lab["meta"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ehr_demographics_are_laid_over_the_enrolled_patient_without_losing_its_identifiers()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-dev", "MRN-103");

        await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-103")), CancellationToken.None);

        var patient = await store.ReadAsync("Patient/p-dev");
        Assert.Equal("Doe", patient["name"]![0]!["family"]!.GetValue<string>());
        Assert.Equal("1950-03-04", patient["birthDate"]!.GetValue<string>());
        Assert.True(patient["active"]!.GetValue<bool>());
        var systems = patient["identifier"]!.AsArray().Select(i => i!["system"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([EhrRecords.MrnSystem, "urn:patientstream:enrolment"], systems);
        Assert.Equal("2", patient["meta"]!["versionId"]!.GetValue<string>());
    }

    [Fact]
    public async Task References_inside_the_record_follow_the_resources_to_their_new_ids()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-dev", "MRN-104");

        await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-104")), CancellationToken.None);

        var condition = Assert.Single(await store.SearchAsync("Condition", "patient=Patient/p-dev"));
        Assert.Equal("Patient/p-dev", condition["subject"]!["reference"]!.GetValue<string>());
        Assert.NotEqual("cond-1", condition["id"]!.GetValue<string>());
        var encounter = await store.ReadAsync(condition["encounter"]!["reference"]!.GetValue<string>());
        Assert.Equal("Patient/p-dev", encounter["subject"]!["reference"]!.GetValue<string>());
        var medication = Assert.Single(await store.SearchAsync("MedicationStatement", "patient=Patient/p-dev"));
        Assert.Equal($"Condition/{condition["id"]!.GetValue<string>()}", medication["reasonReference"]![0]!["reference"]!.GetValue<string>());
        var observation = Assert.Single(await store.SearchAsync("Observation", "patient=Patient/p-dev"));
        Assert.Equal($"Encounter/{encounter["id"]!.GetValue<string>()}", observation["encounter"]!["reference"]!.GetValue<string>());
        Assert.Equal("Patient/p-dev", observation["subject"]!["reference"]!.GetValue<string>());
    }

    [Fact]
    public async Task Record_without_patient_resource_is_merged_by_the_mrn_of_its_references()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-lab", "MRN-105");

        var result = await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.LabResult("MRN-105")), CancellationToken.None);

        Assert.True(result.Merged, result.Rejection?.Reason);
        Assert.Equal(1, result.Skipped);
        var lab = Assert.Single(await store.SearchAsync("Observation", "patient=Patient/p-lab"));
        Assert.Equal("2160-0", EhrRecords.Code(lab));
        Assert.Equal(EhrRecords.MrnSystem, lab["subject"]!["identifier"]!["system"]!.GetValue<string>());
        Assert.Equal("1", (await store.ReadAsync("Patient/p-lab"))["meta"]!["versionId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replaying_a_record_updates_and_duplicates_nothing()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-dev", "MRN-106");
        var handler = store.Handler();

        await handler.MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-106")), CancellationToken.None);
        var first = await Snapshot(store);
        var replay = await handler.MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-106")), CancellationToken.None);

        Assert.True(replay.Merged, replay.Rejection?.Reason);
        Assert.Equal(first, await Snapshot(store));
        var observation = Assert.Single(await store.SearchAsync("Observation", "patient=Patient/p-dev"));
        Assert.Equal("2", observation["meta"]!["versionId"]!.GetValue<string>());
        Assert.Equal(2, handler.Counters.Merged);
    }

    [Fact]
    public async Task Unknown_mrn_is_refused_and_writes_nothing()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-dev", "MRN-107");

        var result = await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-999")), CancellationToken.None);

        Assert.Equal(ClinicalRejectCodes.UnknownPatient, result.Rejection?.Code);
        Assert.Empty(await store.SearchAsync("Condition", "_count=10"));
        Assert.Single(await store.SearchAsync("Patient", "_count=10"));
    }

    [Fact]
    public async Task Unknown_mrn_creates_the_patient_when_configured_and_a_replay_lands_on_the_same_one()
    {
        await using var store = await ClinicalStore.OpenAsync();
        var handler = store.Handler(EhrRecords.Options with { CreateMissingPatients = true });

        var created = await handler.MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-108")), CancellationToken.None);
        var replay = await handler.MergeAsync(EhrRecords.Bytes(EhrRecords.Visit("MRN-108")), CancellationToken.None);

        Assert.True(created.PatientCreated);
        Assert.False(replay.PatientCreated);
        Assert.Equal(created.PatientId, replay.PatientId);
        var patient = Assert.Single(await store.SearchAsync("Patient", $"identifier={EhrRecords.MrnSystem}|MRN-108"));
        Assert.Equal(created.PatientId, patient["id"]!.GetValue<string>());
        Assert.Equal("Doe", patient["name"]![0]!["family"]!.GetValue<string>());
        Assert.Single(await store.SearchAsync("Condition", $"patient=Patient/{created.PatientId}"));
        Assert.Equal(1, handler.Counters.PatientsCreated);
    }

    [Fact]
    public async Task Patient_created_for_a_record_without_patient_resource_carries_the_mrn()
    {
        await using var store = await ClinicalStore.OpenAsync();
        var handler = store.Handler(EhrRecords.Options with { CreateMissingPatients = true });

        var result = await handler.MergeAsync(EhrRecords.Bytes(EhrRecords.LabResult("MRN-109")), CancellationToken.None);

        Assert.True(result.PatientCreated, result.Rejection?.Reason);
        var patient = Assert.Single(await store.SearchAsync("Patient", $"identifier={EhrRecords.MrnSystem}|MRN-109"));
        Assert.Single(await store.SearchAsync("Observation", $"patient=Patient/{patient["id"]!.GetValue<string>()}"));
    }

    private static async Task<string> Snapshot(ClinicalStore store)
    {
        var counts = new List<string>();
        foreach (var type in new[] { "Patient", "Encounter", "Condition", "Observation", "MedicationStatement", "Practitioner" })
        {
            var ids = (await store.SearchAsync(type, "_count=100")).Select(r => r["id"]!.GetValue<string>()).Order(StringComparer.Ordinal);
            counts.Add($"{type}:{string.Join(',', ids)}");
        }
        return string.Join(' ', counts);
    }
}
