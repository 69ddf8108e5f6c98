using System.Text.Json.Serialization;

namespace PatientStream.Kafka.Contracts;

/// <summary>
/// The value on <c>ps.readings.raw</c>: a device batch that passed the edge gate, with the patient it belongs to,
/// when the edge received it and the consent decision that let it through. Key = <see cref="Patient"/>.
/// </summary>
public sealed record RawReading
{
    [JsonPropertyName("v")] public int Version { get; init; } = 1;
    [JsonPropertyName("device")] public required string Device { get; init; }
    [JsonPropertyName("patient")] public required string Patient { get; init; }
    [JsonPropertyName("received")] public DateTimeOffset Received { get; init; }
    /// <summary>Device clock minus edge clock at receipt (sent − received), when the device stated a send time.</summary>
    [JsonPropertyName("skewMs")] public double? ClockSkewMs { get; init; }
    [JsonPropertyName("consent")] public required ConsentStamp Consent { get; init; }
    [JsonPropertyName("batch")] public required DeviceBatch Batch { get; init; }
}

/// <summary>The edge's consent decision for a forwarded batch.</summary>
/// <param name="Decision">permit or partial (denied batches are never forwarded).</param>
/// <param name="RemovedTypes">Sample types removed from a partially permitted batch.</param>
/// <param name="Consents">The Consent resources that decided.</param>
public sealed record ConsentStamp(
    [property: JsonPropertyName("decision")] string Decision,
    [property: JsonPropertyName("removed")] IReadOnlyList<string>? RemovedTypes = null,
    [property: JsonPropertyName("consents")] IReadOnlyList<string>? Consents = null);
