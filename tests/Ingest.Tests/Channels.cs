using System.Threading.Channels;
using PatientStream.Ingest.Cleaning;
using PatientStream.Kafka;

namespace PatientStream.Ingest.Tests;

/// <summary>A sink that hands every clean sample to the test, so tests await what the stage wrote.</summary>
internal sealed class ChannelSink : ICleanSampleSink
{
    private readonly Channel<CleanSample> _samples = Channel.CreateUnbounded<CleanSample>();

    public ChannelReader<CleanSample> Samples => _samples.Reader;

    public async Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken)
    {
        foreach (var sample in samples)
        {
            await _samples.Writer.WriteAsync(sample, cancellationToken);
        }
    }
}

/// <summary>Hands every consumed record to the test (for reading dead-letter topics).</summary>
internal sealed class ChannelHandler : IRecordBatchHandler
{
    private readonly Channel<KafkaRecord> _records = Channel.CreateUnbounded<KafkaRecord>();

    public ChannelReader<KafkaRecord> Records => _records.Reader;

    public async Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            await _records.Writer.WriteAsync(record, cancellationToken);
        }
        return BatchOutcome.AllHandled;
    }
}

internal static class ChannelReaderExtensions
{
    /// <summary>Reads <paramref name="count"/> items or fails when the deadline passes first.</summary>
    public static async Task<List<T>> ReadManyAsync<T>(this ChannelReader<T> reader, int count, TimeSpan deadline)
    {
        var read = 0;
        return await reader.ReadUntilAsync(_ => ++read == count, deadline);
    }

    /// <summary>Reads until an item matches, returning everything read, or fails when the deadline passes first.</summary>
    public static async Task<List<T>> ReadUntilAsync<T>(this ChannelReader<T> reader, Func<T, bool> last, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var items = new List<T>();
        while (true)
        {
            var item = await reader.ReadAsync(cts.Token);
            items.Add(item);
            if (last(item))
            {
                return items;
            }
        }
    }
}
