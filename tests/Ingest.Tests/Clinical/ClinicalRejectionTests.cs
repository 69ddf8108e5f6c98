using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Ingest.Clinical;

namespace PatientStream.Ingest.Tests.Clinical;

public sealed class ClinicalRejectionTests
{
    private const string Mrn = "MRN-200";

    public static TheoryData<string, string> Records => new()
    {
        { "{not json", ClinicalRejectCodes.Unparseable },
        { "[1,2]", ClinicalRejectCodes.NotABundle },
        { """{"resourceType":"Patient","id":"x"}""", ClinicalRejectCodes.NotABundle },
        { """{"resourceType":"Bundle","type":"searchset","entry":[]}""", ClinicalRejectCodes.BundleType },
        { Bundle("42"), ClinicalRejectCodes.InvalidEntry },
        { Bundle("""{"resource":{"id":"x"}}"""), ClinicalRejectCodes.InvalidEntry },
        { Bundle(), ClinicalRejectCodes.NoPatient },
        { """{"resourceType":"Bundle","type":"collection","meta":"not an object","entry":[{"resource":{"resourceType":"Condition","id":"c","subject":"x"}}]}""", ClinicalRejectCodes.NoPatient },
        { Bundle("""{"resource":{"resourceType":"Practitioner","id":"dr"}}"""), ClinicalRejectCodes.NoPatient },
        { Bundle("""{"resource":{"resourceType":"Patient","id":"a","identifier":[{"system":"urn:other","value":"1"}]}}"""), ClinicalRejectCodes.NoMrn },
        { Conditions("""{"reference":"Patient/ehr-1"}"""), ClinicalRejectCodes.NoMrn },
        { Bundle(PatientEntry("a"), PatientEntry("b")), ClinicalRejectCodes.SeveralPatients },
        { Bundle(PatientEntry("a"), """{"resource":{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/other"}}}"""), ClinicalRejectCodes.SeveralPatients },
        { Conditions(Logical("MRN-1"), Logical("MRN-2")), ClinicalRejectCodes.SeveralPatients },
        { Bundle(PatientEntry("a"), """{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/a"}}}"""), ClinicalRejectCodes.NoResourceIdentity },
        {
            Bundle(PatientEntry("a"), """{"resource":{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/a"},"encounter":{"reference":"urn:uuid:33333333-3333-4333-8333-333333333333"}}}"""),
            ClinicalRejectCodes.UnresolvedReference
        },
        // Condition.subject is required: the store's validation refuses the record.
        { Bundle(PatientEntry("a"), """{"resource":{"resourceType":"Condition","id":"c","recorder":{"reference":"Patient/a"}}}"""), ClinicalRejectCodes.Invalid },
        {
            Bundle(PatientEntry("a"), """{"resource":{"resourceType":"Observation","id":"o","status":"bogus","code":{"text":"x"},"subject":{"reference":"Patient/a"}}}"""),
            ClinicalRejectCodes.Invalid
        },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public async Task Bad_record_is_refused_with_its_stable_reason_and_writes_nothing(string value, string code)
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-1", Mrn);
        var handler = store.Handler();

        var result = await handler.MergeAsync(Encoding.UTF8.GetBytes(value), CancellationToken.None);

        Assert.Equal(code, result.Rejection?.Code);
        Assert.StartsWith(code + ": ", result.Rejection!.Reason, StringComparison.Ordinal);
        Assert.Equal("1", (await store.ReadAsync("Patient/p-1"))["meta"]!["versionId"]!.GetValue<string>());
        Assert.Empty(await store.SearchAsync("Condition", "_count=10"));
        Assert.Empty(await store.SearchAsync("Observation", "_count=10"));
        Assert.Equal(1, handler.Counters.Rejected);
    }

    [Fact]
    public async Task Record_larger_than_the_limit_is_refused()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-1", Mrn);

        var result = await store.Handler(EhrRecords.Options with { MaxEntries = 3 })
            .MergeAsync(EhrRecords.Bytes(EhrRecords.Visit(Mrn)), CancellationToken.None);

        Assert.Equal(ClinicalRejectCodes.TooLarge, result.Rejection?.Code);
    }

    [Fact]
    public async Task Mrn_shared_by_two_patients_is_refused_as_ambiguous()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-1", Mrn);
        await store.EnrolAsync("p-2", Mrn);

        var result = await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.Visit(Mrn)), CancellationToken.None);

        Assert.Equal(ClinicalRejectCodes.AmbiguousPatient, result.Rejection?.Code);
        Assert.Empty(await store.SearchAsync("Condition", "_count=10"));
    }

    [Fact]
    public async Task Unknown_patient_reason_does_not_depend_on_the_record_shape()
    {
        await using var store = await ClinicalStore.OpenAsync();

        var result = await store.Handler().MergeAsync(EhrRecords.Bytes(EhrRecords.LabResult("MRN-404")), CancellationToken.None);

        Assert.Equal(ClinicalRejectCodes.UnknownPatient, result.Rejection?.Code);
    }

    private static string Bundle(params string[] entries) =>
        "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[" + string.Join(',', entries) + "]}";

    private static string PatientEntry(string id) =>
        new JsonObject
        {
            ["resource"] = new JsonObject
            {
                ["resourceType"] = "Patient", ["id"] = id,
                ["identifier"] = new JsonArray(new JsonObject { ["system"] = EhrRecords.MrnSystem, ["value"] = Mrn }),
            },
        }.ToJsonString();

    private static string Logical(string mrn) =>
        new JsonObject { ["identifier"] = new JsonObject { ["system"] = EhrRecords.MrnSystem, ["value"] = mrn } }.ToJsonString();

    private static string Conditions(params string[] subjects) =>
        Bundle([.. subjects.Select((s, i) => new JsonObject
        {
            ["resource"] = new JsonObject { ["resourceType"] = "Condition", ["id"] = $"c{i}", ["subject"] = JsonNode.Parse(s) },
        }.ToJsonString())]);
}
