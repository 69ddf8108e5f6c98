using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Kafka;

namespace PatientStream.Ingest.Clinical;

/// <summary>
/// Sends a patient's EHR record (a FHIR Bundle) to <c>ps.clinical.records</c>, keyed by MRN so every record of one
/// patient lands on one partition, in order. What an EHR interface engine does; the demo uses it too.
/// </summary>
public sealed class ClinicalRecordPublisher(KafkaProducer producer, string mrnSystem = ClinicalOptions.DefaultMrnSystem,
    string topic = KafkaTopics.ClinicalRecords)
{
    private readonly KafkaProducer _producer = producer ?? throw new ArgumentNullException(nameof(producer));
    private readonly ClinicalOptions _options = ClinicalOptionsValidator.EnsureValid(new ClinicalOptions { MrnSystem = mrnSystem, Topic = topic });

    /// <summary>
    /// Sends <paramref name="bundle"/> keyed by the MRN it names (its Patient's, or its patient references').
    /// Throws <see cref="ArgumentException"/> when the Bundle names no single patient by MRN: the merge would refuse it.
    /// </summary>
    public Task<DeliveryReport> PublishAsync(JsonObject bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var read = ClinicalBundleReader.Read(bundle, _options);
        if (read.Record is not { } record)
        {
            throw new ArgumentException($"The Bundle cannot be merged: {read.Rejection!.Reason}", nameof(bundle));
        }
        return PublishAsync(record.Mrn, bundle, cancellationToken);
    }

    /// <summary>Sends <paramref name="bundle"/> as it is, keyed by <paramref name="mrn"/>.</summary>
    public Task<DeliveryReport> PublishAsync(string mrn, JsonObject bundle, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(mrn);
        ArgumentNullException.ThrowIfNull(bundle);
        return _producer.ProduceAsync(_options.Topic, mrn, Encoding.UTF8.GetBytes(bundle.ToJsonString()), cancellationToken);
    }

    /// <summary>A collection Bundle of <paramref name="resources"/> from <paramref name="source"/> (the EHR's URI, optional).</summary>
    public static JsonObject Collection(IEnumerable<JsonObject> resources, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var entries = new JsonArray();
        foreach (var resource in resources)
        {
            entries.Add(new JsonObject { ["resource"] = resource.DeepClone() });
        }
        var bundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "collection", ["entry"] = entries };
        if (source is not null)
        {
            bundle["meta"] = new JsonObject { ["source"] = source };
        }
        return bundle;
    }
}
