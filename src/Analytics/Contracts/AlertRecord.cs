using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatientStream.Analytics.Contracts;

/// <summary>What an alert is about. The string codes (<see cref="AlertKinds"/>) are the stable form on the wire.</summary>
public enum AlertKind
{
    News2Risk,
    RestingHeartRateRising,
    WeightGain,
    SpO2Drift,
    DeviceSilent,
    DeviceLowBattery,
    ImplausibleValues,
}

/// <summary>How an alert changed. Deduplicated repeats produce no record.</summary>
public enum AlertTransition
{
    [JsonStringEnumMemberName("raised")]
    Raised,
    [JsonStringEnumMemberName("escalated")]
    Escalated,
    [JsonStringEnumMemberName("resolved")]
    Resolved,
}

/// <summary>
/// The value of a record on Kafka topic <c>ps.alerts</c> (key = patient id). <see cref="AlertId"/> is the same for
/// every record of one alert episode and derived from its content, so a replay after a crash produces the same ids
/// and sinks can be idempotent.
/// </summary>
/// <param name="AlertId">Stable id of the alert episode (also the FHIR Flag id).</param>
/// <param name="PatientId">Patient.</param>
/// <param name="Kind">Stable kind code, see <see cref="AlertKinds"/>.</param>
/// <param name="Subject">What within the patient it concerns: a device id for device alerts, empty otherwise.</param>
/// <param name="Transition">raised, escalated or resolved.</param>
/// <param name="Severity">1 (warning), 2 (urgent), 3 (emergency).</param>
/// <param name="EscalationLevel">0 when raised, +1 per escalation.</param>
/// <param name="RaisedAt">Start of the episode.</param>
/// <param name="Time">Time of this transition (patient data time, not wall clock).</param>
/// <param name="Occurrences">How many evaluations found the condition during the episode (deduplicated repeats included).</param>
/// <param name="Summary">Clinician-facing one-liner, free of identifiers.</param>
public sealed record AlertRecord(
    string AlertId,
    string PatientId,
    string Kind,
    string Subject,
    AlertTransition Transition,
    int Severity,
    int EscalationLevel,
    DateTimeOffset RaisedAt,
    DateTimeOffset Time,
    int Occurrences,
    string Summary)
{
    /// <summary>Kafka topic of alert records.</summary>
    public const string Topic = "ps.alerts";

    /// <summary>UTF-8 JSON of the record (camelCase, transition as "raised" / "escalated" / "resolved").</summary>
    public byte[] ToJsonUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, AlertRecordJsonContext.Default.AlertRecord);

    /// <summary>Reads a record written by <see cref="ToJsonUtf8"/>.</summary>
    public static AlertRecord? FromJsonUtf8(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize(json, AlertRecordJsonContext.Default.AlertRecord);
}

/// <summary>Stable wire codes of <see cref="AlertKind"/>.</summary>
public static class AlertKinds
{
    /// <summary>The code of a kind.</summary>
    public static string Code(AlertKind kind) => kind switch
    {
        AlertKind.News2Risk => "news2-risk",
        AlertKind.RestingHeartRateRising => "resting-heart-rate-rising",
        AlertKind.WeightGain => "weight-gain",
        AlertKind.SpO2Drift => "spo2-drift",
        AlertKind.DeviceSilent => "device-silent",
        AlertKind.DeviceLowBattery => "device-low-battery",
        AlertKind.ImplausibleValues => "implausible-values",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown alert kind."),
    };

    /// <summary>Human-readable name of a kind.</summary>
    public static string Display(AlertKind kind) => kind switch
    {
        AlertKind.News2Risk => "NEWS2 clinical risk",
        AlertKind.RestingHeartRateRising => "Resting heart rate rising",
        AlertKind.WeightGain => "Weight gain",
        AlertKind.SpO2Drift => "SpO2 drifting down",
        AlertKind.DeviceSilent => "Device silent",
        AlertKind.DeviceLowBattery => "Device battery low",
        AlertKind.ImplausibleValues => "Many implausible readings",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown alert kind."),
    };

    /// <summary>Device alerts are about data quality, not about the patient's condition.</summary>
    public static bool IsDataQuality(AlertKind kind) => kind >= AlertKind.DeviceSilent;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(AlertRecord))]
internal sealed partial class AlertRecordJsonContext : JsonSerializerContext;
