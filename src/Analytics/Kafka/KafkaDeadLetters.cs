using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Analytics.Kafka;

/// <summary>The actor runtime's dead-letter callback, writing to the dead-letter topic in the shared format.</summary>
public static class KafkaDeadLetters
{
    /// <summary>Stage name written into analytics dead letters.</summary>
    public const string Stage = "analytics";

    /// <summary>
    /// A callback for <see cref="ActorRuntime{TMessage}"/> that publishes each dead-lettered patient input (as
    /// <see cref="PatientInputJson"/>) and completes once Kafka has it. The reason names the exception type only:
    /// exception messages may carry patient data.
    /// </summary>
    public static Func<DeadLetter<PatientInput>, CancellationToken, ValueTask> ForPatients(
        KafkaProducer producer, string topic = KafkaTopics.ReadingsDlq, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var time = timeProvider ?? TimeProvider.System;
        return async (letter, cancellationToken) =>
        {
            var reason = $"patient actor failed {letter.Attempts} times: {letter.Error.GetType().Name}";
            var value = ContractsJson.Serialize(DeadLetter.For(Stage, reason, Payload(letter.Message), time.GetUtcNow(), key: letter.Key));
            var report = await producer.ProduceAsync(topic, letter.Key, value, cancellationToken).ConfigureAwait(false);
            if (!report.Delivered)
            {
                throw new Output.AnalyticsOutputException(
                    Output.AnalyticsOutputException.DeadLetterNotDeliveredCode,
                    $"Dead letter not delivered to {topic}: {report.Failure!.Code} {report.Failure.Reason}");
            }
        };
    }

    private static byte[] Payload(PatientInput input)
    {
        try
        {
            return PatientInputJson.Serialize(input);
        }
        catch (NotSupportedException)
        {
            // An input type without a wire form still deserves a dead letter that says what it was.
            return System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(
                new Dictionary<string, string> { ["type"] = input.GetType().Name, ["patientId"] = input.PatientId },
                KafkaDeadLetterJsonContext.Default.DictionaryStringString));
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class KafkaDeadLetterJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
