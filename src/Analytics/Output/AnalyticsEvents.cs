using System.Text.Json.Nodes;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.News2;

namespace PatientStream.Analytics.Output;

/// <summary>Something the analytics publish. The merger connects the sink to the FHIR store and to Kafka.</summary>
/// <param name="PatientId">Patient.</param>
/// <param name="Time">Patient data time it refers to.</param>
public abstract record AnalyticsEvent(string PatientId, DateTimeOffset Time);

/// <summary>The NEWS2 score or band changed: store the RiskAssessment (PUT by id: ids are stable across replays).</summary>
/// <param name="PatientId">Patient.</param>
/// <param name="Time">Evaluation time.</param>
/// <param name="Result">The evaluation.</param>
/// <param name="RiskAssessment">FHIR R4 RiskAssessment.</param>
public sealed record RiskAssessed(string PatientId, DateTimeOffset Time, News2Result Result, JsonObject RiskAssessment)
    : AnalyticsEvent(PatientId, Time);

/// <summary>An alert was raised, escalated or resolved: publish the record on <c>ps.alerts</c> and PUT the Flag.</summary>
/// <param name="Alert">The <c>ps.alerts</c> record.</param>
/// <param name="Flag">FHIR R4 Flag (id = alert id; status inactive once resolved).</param>
public sealed record AlertChanged(AlertRecord Alert, JsonObject Flag) : AnalyticsEvent(Alert.PatientId, Alert.Time);

/// <summary>Where the analytics publish. Implementations must be idempotent by resource id / alert id.</summary>
public interface IAnalyticsSink
{
    /// <summary>Publishes one event; a throw makes the actor retry the message that produced it.</summary>
    ValueTask PublishAsync(AnalyticsEvent analyticsEvent, CancellationToken cancellationToken);
}

/// <summary>Output could not be delivered; the actor retries the message and dead-letters it if this persists.</summary>
public sealed class AnalyticsOutputException : Exception
{
    /// <summary>An alert record did not reach Kafka.</summary>
    public const string AlertNotDeliveredCode = "analytics.alert-not-delivered";

    /// <summary>A dead letter did not reach Kafka.</summary>
    public const string DeadLetterNotDeliveredCode = "analytics.dead-letter-not-delivered";

    /// <summary>Creates the exception.</summary>
    public AnalyticsOutputException(string code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    /// <summary>Stable code.</summary>
    public string Code { get; }
}
