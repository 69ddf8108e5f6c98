using System.Threading.Channels;
using PatientStream.Kafka;

namespace PatientStream.Analytics.Tests.Kafka;

/// <summary>Hands every consumed record to a channel the test reads.</summary>
public sealed class CollectingHandler(ChannelWriter<KafkaRecord> received) : IRecordBatchHandler
{
    public Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            received.TryWrite(record);
        }

        return Task.FromResult(BatchOutcome.AllHandled);
    }
}
