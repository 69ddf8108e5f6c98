using System.Text.Json.Serialization;

namespace PatientStream.Kafka.Contracts;

/// <summary>
/// A batch of samples a device publishes on <c>ps/v1/devices/{deviceId}/readings</c> (DESIGN.md).
/// <c>(Device, Seq)</c> identifies the batch; devices retransmit after reconnects.
/// </summary>
public sealed record DeviceBatch
{
    [JsonPropertyName("v")] public int Version { get; init; } = 1;
    [JsonPropertyName("device")] public required string Device { get; init; }
    [JsonPropertyName("seq")] public required long Seq { get; init; }
    [JsonPropertyName("sent")] public DateTimeOffset Sent { get; init; }
    [JsonPropertyName("samples")] public required IReadOnlyList<Sample> Samples { get; init; }
}

/// <summary>
/// One sample: a scalar (<see cref="Value"/>) or a waveform (<see cref="PeriodMs"/> + <see cref="Data"/>).
/// </summary>
public sealed record Sample
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("t")] public DateTimeOffset Time { get; init; }
    [JsonPropertyName("v")] public double? Value { get; init; }
    [JsonPropertyName("unit")] public string? Unit { get; init; }
    [JsonPropertyName("periodMs")] public double? PeriodMs { get; init; }
    [JsonPropertyName("data")] public IReadOnlyList<double>? Data { get; init; }

    [JsonIgnore] public bool IsWaveform => Data is not null;
}
