using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Output;
using PatientStream.Kafka;

namespace PatientStream.Analytics.Kafka;

/// <summary>
/// Publishes alert records on <c>ps.alerts</c> (key = patient id, value = <see cref="AlertRecord"/> JSON) and hands
/// every event on to the next sink (the FHIR store). Completes only once Kafka has the record, so a failed delivery
/// makes the actor retry the message that produced it.
/// </summary>
public sealed class KafkaAlertSink : IAnalyticsSink
{
    private readonly KafkaProducer _producer;
    private readonly IAnalyticsSink? _next;
    private readonly string _topic;

    /// <summary>Creates the sink.</summary>
    /// <param name="producer">Idempotent producer.</param>
    /// <param name="next">Receives every event after the alert is on Kafka, or null.</param>
    /// <param name="topic">Alert topic; <see cref="KafkaTopics.Alerts"/> unless a test isolates itself.</param>
    public KafkaAlertSink(KafkaProducer producer, IAnalyticsSink? next = null, string topic = KafkaTopics.Alerts)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        _producer = producer;
        _next = next;
        _topic = topic;
    }

    /// <inheritdoc/>
    public async ValueTask PublishAsync(AnalyticsEvent analyticsEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(analyticsEvent);
        if (analyticsEvent is AlertChanged changed)
        {
            var report = await _producer.ProduceAsync(_topic, changed.Alert.PatientId, changed.Alert.ToJsonUtf8(), cancellationToken).ConfigureAwait(false);
            if (!report.Delivered)
            {
                throw new AnalyticsOutputException(
                    AnalyticsOutputException.AlertNotDeliveredCode,
                    $"Alert record not delivered to {_topic}: {report.Failure!.Code} {report.Failure.Reason}");
            }
        }

        if (_next is not null)
        {
            await _next.PublishAsync(analyticsEvent, cancellationToken).ConfigureAwait(false);
        }
    }
}
