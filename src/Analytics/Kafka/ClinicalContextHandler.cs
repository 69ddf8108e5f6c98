using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Kafka;

namespace PatientStream.Analytics.Kafka;

/// <summary>The key of the patient's actor (the <c>ps.readings.raw</c> key, <c>Patient/id</c>) an EHR record is about, or null when unknown.</summary>
public delegate Task<string?> ClinicalPatientResolver(JsonObject bundle, CancellationToken cancellationToken);

/// <summary>The Conditions the FHIR store holds for a patient (the problem list merged so far).</summary>
public delegate Task<IReadOnlyList<JsonObject>> StoredConditions(string patientKey, CancellationToken cancellationToken);

/// <summary>
/// Turns EHR records on <c>ps.clinical.records</c> into <see cref="ClinicalContext"/> for the patient's actor: for each
/// flag, the record's own Conditions decide when they mention it (present, or resolved/refuted); otherwise the
/// Conditions already in the FHIR store do, so a lab-only record never clears a diagnosis. Records without Conditions
/// change nothing. Like <see cref="ActorRecordHandler{TMessage}"/>, a batch counts as handled only once the actors
/// it touched have persisted their snapshots.
/// </summary>
/// <remarks>
/// The context goes to the actor of this instance (partition -1): correct with one analytics instance. With several,
/// the record may be read by an instance that does not own the patient's readings partition; delivering it there
/// needs the context on a topic co-partitioned with <c>ps.readings.raw</c> (keyed by patient).
/// </remarks>
public sealed class ClinicalContextHandler(ActorRuntime<PatientInput> runtime, ClinicalPatientResolver resolvePatient, StoredConditions storedConditions,
    ClinicalConditionCodes? codes = null) : IRecordBatchHandler
{
    /// <summary>Dead-letter reason of a record that is not a FHIR Bundle.</summary>
    public const string NotABundle = "clinical.not-a-bundle";

    /// <summary>Dead-letter reason of a record whose patient no Patient in the store matches.</summary>
    public const string UnknownPatient = "clinical.unknown-patient";

    private readonly ActorRuntime<PatientInput> _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
    private readonly ClinicalPatientResolver _resolve = resolvePatient ?? throw new ArgumentNullException(nameof(resolvePatient));
    private readonly StoredConditions _stored = storedConditions ?? throw new ArgumentNullException(nameof(storedConditions));
    private readonly ClinicalConditionCodes _codes = codes ?? ClinicalConditionCodes.Default;
    private long _contexts;

    /// <summary>Clinical contexts sent to patient actors.</summary>
    public long Contexts => Interlocked.Read(ref _contexts);

    public async Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var rejected = new List<RejectedRecord>();
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (Bundle(record) is not { } bundle)
            {
                rejected.Add(new RejectedRecord(record, $"{NotABundle}: the value is not a FHIR Bundle"));
                continue;
            }
            var conditions = (bundle["entry"] as JsonArray ?? [])
                .Select(e => (e as JsonObject)?["resource"] as JsonObject)
                .OfType<JsonObject>()
                .Where(r => r["resourceType"] is JsonValue type && type.TryGetValue<string>(out var name) && name == "Condition")
                .ToList();
            if (conditions.Count == 0)
            {
                continue;
            }
            if (await _resolve(bundle, cancellationToken).ConfigureAwait(false) is not { } patient)
            {
                rejected.Add(new RejectedRecord(record, $"{UnknownPatient}: no Patient in the store matches the record's patient"));
                continue;
            }
            var context = await ContextAsync(patient, conditions, record.Timestamp, cancellationToken).ConfigureAwait(false);
            await _runtime.SendAsync(patient, context, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _contexts);
            touched.Add(patient);
        }
        await _runtime.CheckpointAsync(touched, cancellationToken).ConfigureAwait(false);
        return rejected.Count == 0 ? BatchOutcome.AllHandled : new BatchOutcome(rejected);
    }

    private async Task<ClinicalContext> ContextAsync(string patient, List<JsonObject> conditions, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var (hypercapnic, heartFailure) = _codes.Evaluate(conditions);
        if (hypercapnic == ConditionFinding.NotMentioned || heartFailure == ConditionFinding.NotMentioned)
        {
            var (storedHypercapnic, storedHeartFailure) = _codes.Evaluate(await _stored(patient, cancellationToken).ConfigureAwait(false));
            hypercapnic = hypercapnic == ConditionFinding.NotMentioned ? storedHypercapnic : hypercapnic;
            heartFailure = heartFailure == ConditionFinding.NotMentioned ? storedHeartFailure : heartFailure;
        }
        return new ClinicalContext(patient, time, hypercapnic == ConditionFinding.Present, heartFailure == ConditionFinding.Present);
    }

    private static JsonObject? Bundle(KafkaRecord record)
    {
        try
        {
            return JsonNode.Parse(record.Value) is JsonObject o && o["resourceType"] is JsonValue type && type.TryGetValue<string>(out var name)
                && name == "Bundle" ? o : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
