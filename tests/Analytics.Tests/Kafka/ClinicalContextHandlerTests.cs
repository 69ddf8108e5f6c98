using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Kafka;
using PatientStream.Analytics.News2;
using PatientStream.Analytics.Output;
using PatientStream.Analytics.Patients;
using PatientStream.Analytics.Tests.Patients;
using PatientStream.Analytics.Tests.Support;
using PatientStream.Kafka;

namespace PatientStream.Analytics.Tests.Kafka;

public sealed class ClinicalContextHandlerTests
{
    private const string Patient = "Patient/p-clin";
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 2, 6, 0, 0, TimeSpan.Zero);
    private static readonly ActorRuntimeOptions s_runtimeOptions = new() { IdleTimeout = TimeSpan.FromHours(2) };

    [Fact]
    public async Task Hypercapnic_failure_in_an_ehr_record_rescores_spo2_on_scale_2()
    {
        await using var patient = await ActorPath.StartAsync();
        var first = await patient.VitalsAsync();
        Assert.Equal((SpO2Scale.Scale1, 3), (first.Result.Scale, first.Result.AggregateScore));

        var outcome = await patient.Handler().HandleAsync([Record(Condition(ClinicalConditionCodes.Icd10Cm, "J96.12"))], CancellationToken.None);

        Assert.Empty(outcome.Rejected);
        var rescored = await patient.NextRiskAsync();
        Assert.Equal((SpO2Scale.Scale2, 0), (rescored.Result.Scale, rescored.Result.AggregateScore));
    }

    [Fact]
    public async Task Record_without_the_diagnosis_keeps_what_the_store_holds()
    {
        await using var patient = await ActorPath.StartAsync();
        await patient.VitalsAsync();
        StoredConditions stored = (_, _) => Task.FromResult<IReadOnlyList<JsonObject>>([Condition(ClinicalConditionCodes.Snomed, "426896000")]);

        // A diabetes Condition says nothing about respiratory failure: the merged problem list decides.
        await patient.Handler(stored).HandleAsync([Record(Condition(ClinicalConditionCodes.Snomed, "44054006"))], CancellationToken.None);

        Assert.Equal(SpO2Scale.Scale2, (await patient.NextRiskAsync()).Result.Scale);
    }

    [Fact]
    public async Task Resolved_diagnosis_in_the_record_overrides_the_store_and_returns_to_scale_1()
    {
        await using var patient = await ActorPath.StartAsync();
        await patient.VitalsAsync();
        var handler = patient.Handler((_, _) => Task.FromResult<IReadOnlyList<JsonObject>>([Condition(ClinicalConditionCodes.Icd10, "J96.11")]));
        await handler.HandleAsync([Record(Condition(ClinicalConditionCodes.Icd10, "J96.11"))], CancellationToken.None);
        Assert.Equal(SpO2Scale.Scale2, (await patient.NextRiskAsync()).Result.Scale);

        await handler.HandleAsync([Record(Condition(ClinicalConditionCodes.Icd10, "J96.11", "resolved"))], CancellationToken.None);

        var back = await patient.NextRiskAsync();
        Assert.Equal((SpO2Scale.Scale1, 3), (back.Result.Scale, back.Result.AggregateScore));
    }

    [Fact]
    public async Task Records_that_are_not_bundles_or_name_an_unknown_patient_are_rejected_with_their_reason()
    {
        await using var patient = await ActorPath.StartAsync();
        var handler = patient.Handler(resolve: (_, _) => Task.FromResult<string?>(null));
        var notJson = new KafkaRecord("t", 0, 0, "MRN-1", Encoding.UTF8.GetBytes("{not json"), s_t0);
        var unknown = Record(Condition(ClinicalConditionCodes.Snomed, "84114007"));
        var noCondition = Record(new JsonObject { ["resourceType"] = "Observation", ["status"] = "final" });

        var outcome = await handler.HandleAsync([notJson, unknown, noCondition], CancellationToken.None);

        Assert.Equal(
            [(0L, ClinicalContextHandler.NotABundle), (unknown.Offset, ClinicalContextHandler.UnknownPatient)],
            outcome.Rejected.Select(r => (r.Record.Offset, r.Reason[..r.Reason.IndexOf(':', StringComparison.Ordinal)])));
        Assert.Equal(0, handler.Contexts);
    }

    [Fact]
    public async Task Malformed_entries_and_codes_are_ignored_rather_than_failing_the_batch()
    {
        await using var patient = await ActorPath.StartAsync();
        var value = """{"resourceType":"Bundle","type":"collection","entry":[42,{"resource":{"resourceType":"Condition","code":"x","clinicalStatus":{"coding":{}}}}]}""";
        var handler = patient.Handler();

        var outcome = await handler.HandleAsync([new KafkaRecord("t", 0, 1, "MRN-1", Encoding.UTF8.GetBytes(value), s_t0)], CancellationToken.None);

        Assert.Empty(outcome.Rejected);
        Assert.Equal(1, handler.Contexts);
    }

    [Theory]
    [InlineData(ClinicalConditionCodes.Snomed, "426896000", null, ConditionFinding.Present, ConditionFinding.NotMentioned)]
    [InlineData(ClinicalConditionCodes.Icd10, "J96.01", null, ConditionFinding.Present, ConditionFinding.NotMentioned)]
    [InlineData(ClinicalConditionCodes.Icd10Cm, "J96.01", null, ConditionFinding.NotMentioned, ConditionFinding.NotMentioned)]
    [InlineData(ClinicalConditionCodes.Icd10Cm, "J96.92", "remission", ConditionFinding.Absent, ConditionFinding.NotMentioned)]
    [InlineData(ClinicalConditionCodes.Snomed, "84114007", null, ConditionFinding.NotMentioned, ConditionFinding.Present)]
    [InlineData(ClinicalConditionCodes.Icd10, "I50.9", "active", ConditionFinding.NotMentioned, ConditionFinding.Present)]
    [InlineData(ClinicalConditionCodes.Icd10Cm, "I50.23", "resolved", ConditionFinding.NotMentioned, ConditionFinding.Absent)]
    [InlineData(ClinicalConditionCodes.Icd10, "I500", null, ConditionFinding.NotMentioned, ConditionFinding.NotMentioned)]
    public void Condition_codes_are_matched_by_system_and_status(string system, string code, string? status, ConditionFinding hypercapnic, ConditionFinding heartFailure)
    {
        Assert.Equal((hypercapnic, heartFailure), ClinicalConditionCodes.Default.Evaluate([Condition(system, code, status)]));
    }

    [Fact]
    public void Refuted_condition_rules_the_flag_out()
    {
        var refuted = Condition(ClinicalConditionCodes.Snomed, "84114007");
        refuted["verificationStatus"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["code"] = "refuted" }) };

        Assert.Equal(ConditionFinding.Absent, ClinicalConditionCodes.Default.Evaluate([refuted]).HeartFailure);
    }

    private static JsonObject Condition(string system, string code, string? clinicalStatus = null)
    {
        var condition = new JsonObject
        {
            ["resourceType"] = "Condition",
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = system, ["code"] = code }) },
            ["subject"] = new JsonObject { ["reference"] = "Patient/ehr-1" },
        };
        if (clinicalStatus is not null)
        {
            condition["clinicalStatus"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["code"] = clinicalStatus }) };
        }
        return condition;
    }

    private static long s_offset;

    private static KafkaRecord Record(params JsonObject[] resources)
    {
        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "collection",
            ["entry"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject { ["resource"] = r })]),
        };
        return new KafkaRecord("clinical", 0, Interlocked.Increment(ref s_offset), "MRN-1", Encoding.UTF8.GetBytes(bundle.ToJsonString()), s_t0);
    }

    /// <summary>A patient actor on the real runtime with a snapshot store, fed vitals and EHR records the way the host does.</summary>
    private sealed class ActorPath : IAsyncDisposable
    {
        private readonly TempFolder _folder;
        private readonly RecordingSink _sink;
        private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(60));

        private ActorPath(TempFolder folder, ActorRuntime<PatientInput> runtime, RecordingSink sink)
        {
            _folder = folder;
            Runtime = runtime;
            _sink = sink;
        }

        public ActorRuntime<PatientInput> Runtime { get; }

        public static async Task<ActorPath> StartAsync()
        {
            var folder = new TempFolder();
            var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), CancellationToken.None);
            var sink = new RecordingSink();
            var runtime = PatientAnalytics.CreateRuntime(new PatientAnalyticsOptions(), s_runtimeOptions, store, sink, (_, _) => ValueTask.CompletedTask);
            return new ActorPath(folder, runtime, sink);
        }

        public ClinicalContextHandler Handler(StoredConditions? stored = null, ClinicalPatientResolver? resolve = null) =>
            new(Runtime, resolve ?? ((_, _) => Task.FromResult<string?>(Patient)),
                stored ?? ((_, _) => Task.FromResult<IReadOnlyList<JsonObject>>([])));

        /// <summary>RR 18, SpO2 89 on air, SBP 125, HR 78, 37.0 °C, alert: 3 on scale 1, 0 on scale 2. Returns the complete assessment.</summary>
        public async Task<RiskAssessed> VitalsAsync()
        {
            (string Code, double Value, string Unit)[] vitals =
            [
                (MeasurementCodes.RespiratoryRate, 18, "/min"), (MeasurementCodes.OxygenSaturation, 89, "%"),
                (MeasurementCodes.InhaledOxygenFlowRate, 0, "L/min"), (MeasurementCodes.SystolicBloodPressure, 125, "mm[Hg]"),
                (MeasurementCodes.HeartRate, 78, "/min"), (MeasurementCodes.LevelOfConsciousness, 0, "{score}"),
                (MeasurementCodes.BodyTemperature, 37.0, "Cel"),
            ];
            foreach (var (code, value, unit) in vitals)
            {
                await Runtime.SendAsync(Patient, new Measurement(Patient, "dev-1", code, s_t0, value, unit), _deadline.Token);
            }
            while (true)
            {
                var risk = await NextRiskAsync();
                if (risk.Result.IsComplete)
                {
                    return risk;
                }
            }
        }

        public async Task<RiskAssessed> NextRiskAsync()
        {
            while (true)
            {
                if (await _sink.Reader.ReadAsync(_deadline.Token) is RiskAssessed risk)
                {
                    return risk;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Runtime.DisposeAsync();
            _deadline.Dispose();
            _folder.Dispose();
        }
    }
}
