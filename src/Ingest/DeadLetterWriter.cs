using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Ingest;

/// <summary>A refused sample on its way to the dead-letter topic or the late-data path.</summary>
public sealed record SampleDeadLetter(string Topic, string? Key, DeadLetter Letter);

/// <summary>Delivers per-sample dead letters; completes only when every one is durable, throws otherwise.</summary>
public interface IDeadLetterWriter
{
    Task WriteAsync(IReadOnlyList<SampleDeadLetter> letters, CancellationToken cancellationToken);
}

/// <summary>A dead letter Kafka did not take; the batch is retried, so nothing refused is lost silently.</summary>
public sealed class DeadLetterDeliveryException(string message) : Exception(message);

/// <summary><see cref="IDeadLetterWriter"/> on the idempotent Kafka producer; letters go out concurrently.</summary>
public sealed class KafkaDeadLetterWriter(KafkaProducer producer) : IDeadLetterWriter
{
    public async Task WriteAsync(IReadOnlyList<SampleDeadLetter> letters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letters);
        if (letters.Count == 0)
        {
            return;
        }
        var reports = await Task.WhenAll(letters.Select(l =>
            producer.ProduceAsync(l.Topic, l.Key, ContractsJson.Serialize(l.Letter), cancellationToken))).ConfigureAwait(false);
        var failed = reports.Where(r => !r.Delivered).ToList();
        if (failed.Count > 0)
        {
            throw new DeadLetterDeliveryException($"{failed.Count} of {reports.Length} dead letter(s) not delivered: {failed[0].Failure!.Reason}");
        }
    }
}
