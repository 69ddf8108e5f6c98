using System.Text;
using System.Text.Json.Serialization;

namespace PatientStream.Kafka.Contracts;

/// <summary>A record that a stage refused, with why and where it came from (value on <c>ps.readings.dlq</c>).</summary>
public sealed record DeadLetter
{
    [JsonPropertyName("stage")] public required string Stage { get; init; }
    [JsonPropertyName("reason")] public required string Reason { get; init; }
    [JsonPropertyName("topic")] public string? SourceTopic { get; init; }
    [JsonPropertyName("partition")] public int? SourcePartition { get; init; }
    [JsonPropertyName("offset")] public long? SourceOffset { get; init; }
    [JsonPropertyName("key")] public string? Key { get; init; }
    /// <summary>The original value when it is valid UTF-8 text.</summary>
    [JsonPropertyName("value")] public string? Value { get; init; }
    /// <summary>The original value in base64 when it is not valid UTF-8.</summary>
    [JsonPropertyName("valueBase64")] public string? ValueBase64 { get; init; }
    [JsonPropertyName("at")] public DateTimeOffset At { get; init; }

    private static readonly UTF8Encoding s_strictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Builds a dead letter carrying the original bytes as text when possible, base64 otherwise.</summary>
    public static DeadLetter For(string stage, string reason, ReadOnlySpan<byte> value, DateTimeOffset at,
        string? sourceTopic = null, int? partition = null, long? offset = null, string? key = null)
    {
        string? text = null;
        string? base64 = null;
        try
        {
            text = s_strictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            base64 = Convert.ToBase64String(value);
        }
        return new DeadLetter
        {
            Stage = stage, Reason = reason, SourceTopic = sourceTopic, SourcePartition = partition, SourceOffset = offset,
            Key = key, Value = text, ValueBase64 = base64, At = at,
        };
    }
}
