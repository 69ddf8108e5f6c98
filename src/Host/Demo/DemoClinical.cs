using System.Globalization;
using System.Text.Json.Nodes;
using PatientStream.Ingest.Clinical;
using PatientStream.Kafka;

namespace PatientStream.Host.Demo;

/// <summary>
/// The hospital's EHR in the demo: for each patient one record (a FHIR collection Bundle with the Patient by MRN,
/// a clinic Encounter, a Condition and a clinic weight) sent to <c>ps.clinical.records</c> as an interface engine
/// would. Ingest merges it onto the Patient the devices are bound to, so device and clinic data meet in one record.
/// </summary>
internal static class DemoClinical
{
    public const string Source = "https://ehr.demo.patientstream.example/fhir";

    // (SNOMED CT code, display): patient 4 has heart failure, which the analytics take into account.
    private static readonly (string Code, string Display)[] s_conditions =
    [
        ("38341003", "Hypertensive disorder"), ("44054006", "Diabetes mellitus type 2"), ("195967001", "Asthma"),
        ("73211009", "Diabetes mellitus"), ("84114007", "Heart failure"),
    ];

    /// <summary>Publishes every patient's EHR record; returns how many were delivered.</summary>
    public static async Task<int> PublishAsync(string kafka, DemoCohort cohort, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        using var producer = new KafkaProducer(KafkaOptionsValidator.EnsureValid(new KafkaOptions { BootstrapServers = kafka, ClientId = "patientstream-demo-ehr" }));
        var publisher = new ClinicalRecordPublisher(producer, DemoCohort.MrnSystem);
        var delivered = 0;
        foreach (var patient in cohort.Patients)
        {
            var report = await publisher.PublishAsync(Record(patient), cancellationToken).ConfigureAwait(false);
            if (!report.Delivered)
            {
                throw new DemoStartupException($"the EHR record could not be sent to Kafka: {report.Failure!.Reason}");
            }
            delivered++;
        }
        return delivered;
    }

    private static JsonObject Record(DemoPatient patient)
    {
        var ehrId = $"ehr-{patient.Index.ToString("D4", CultureInfo.InvariantCulture)}";
        var subject = new JsonObject { ["reference"] = $"Patient/{ehrId}" };
        var visit = DateTimeOffset.UtcNow.AddDays(-14 - patient.Index).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var (code, display) = s_conditions[patient.Index % s_conditions.Length];
        JsonObject[] resources =
        [
            new()
            {
                ["resourceType"] = "Patient",
                ["id"] = ehrId,
                ["identifier"] = new JsonArray(new JsonObject { ["system"] = DemoCohort.MrnSystem, ["value"] = patient.Mrn }),
                ["telecom"] = new JsonArray(new JsonObject { ["system"] = "phone", ["value"] = $"+41 44 555 {1000 + patient.Index}", ["use"] = "home" }),
            },
            new()
            {
                ["resourceType"] = "Encounter",
                ["id"] = $"{ehrId}-visit",
                ["status"] = "finished",
                ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = "AMB", ["display"] = "ambulatory" },
                ["subject"] = subject.DeepClone(),
                ["period"] = new JsonObject { ["start"] = $"{visit}T09:00:00Z", ["end"] = $"{visit}T09:30:00Z" },
            },
            new()
            {
                ["resourceType"] = "Condition",
                ["id"] = $"{ehrId}-problem",
                ["clinicalStatus"] = new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/condition-clinical", ["code"] = "active" }),
                },
                ["code"] = new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://snomed.info/sct", ["code"] = code, ["display"] = display }),
                    ["text"] = display,
                },
                ["subject"] = subject.DeepClone(),
                ["encounter"] = new JsonObject { ["reference"] = $"Encounter/{ehrId}-visit" },
            },
            new()
            {
                ["resourceType"] = "Observation",
                ["id"] = $"{ehrId}-weight",
                ["status"] = "final",
                ["category"] = new JsonArray(new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/observation-category", ["code"] = "vital-signs" }),
                }),
                ["code"] = new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "29463-7", ["display"] = "Body weight" }),
                },
                ["subject"] = subject.DeepClone(),
                ["encounter"] = new JsonObject { ["reference"] = $"Encounter/{ehrId}-visit" },
                ["effectiveDateTime"] = $"{visit}T09:10:00Z",
                ["valueQuantity"] = new JsonObject
                {
                    ["value"] = 62 + (patient.Index * 3 % 30), ["unit"] = "kg", ["system"] = "http://unitsofmeasure.org", ["code"] = "kg",
                },
            },
        ];
        return ClinicalRecordPublisher.Collection(resources, Source);
    }
}
