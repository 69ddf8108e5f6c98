using System.Collections.Concurrent;
using System.Threading.Channels;

namespace PatientStream.Kafka.Tests;

/// <summary>A sink that records what it handled and signals assignment changes; optionally fails on chosen records.</summary>
internal sealed class RecordingHandler(Channel<KafkaRecord>? handled = null) : IRecordBatchHandler
{
    private readonly Channel<KafkaRecord> _handled = handled ?? Channel.CreateUnbounded<KafkaRecord>();
    private readonly Channel<IReadOnlyList<PartitionRef>> _assigned = Channel.CreateUnbounded<IReadOnlyList<PartitionRef>>();
    private readonly Channel<IReadOnlyList<PartitionRef>> _revoked = Channel.CreateUnbounded<IReadOnlyList<PartitionRef>>();

    /// <summary>Records whose value makes the handler throw, as a poison record would.</summary>
    public Func<KafkaRecord, bool> Throws { get; init; } = _ => false;

    /// <summary>Records the handler rejects with a reason (an expected outcome, not an exception).</summary>
    public Func<KafkaRecord, string?> Rejects { get; init; } = _ => null;

    /// <summary>When set, the handler blocks forever on the first batch (until cancelled), as a process that dies mid-batch.</summary>
    public bool HangOnFirstBatch { get; init; }

    public TaskCompletionSource FirstBatchStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentBag<KafkaRecord> All { get; } = [];

    public ChannelReader<KafkaRecord> Handled => _handled.Reader;

    public ChannelReader<IReadOnlyList<PartitionRef>> Assigned => _assigned.Reader;

    public ChannelReader<IReadOnlyList<PartitionRef>> Revoked => _revoked.Reader;

    public async Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        FirstBatchStarted.TrySetResult();
        if (HangOnFirstBatch)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        if (records.FirstOrDefault(Throws) is { } poison)
        {
            throw new InvalidOperationException($"cannot handle offset {poison.Offset}");
        }
        var rejected = new List<RejectedRecord>();
        foreach (var record in records)
        {
            if (Rejects(record) is { } reason)
            {
                rejected.Add(new RejectedRecord(record, reason));
                continue;
            }
            All.Add(record);
            await _handled.Writer.WriteAsync(record, cancellationToken);
        }
        return new BatchOutcome(rejected);
    }

    public Task OnPartitionsAssignedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken) =>
        _assigned.Writer.WriteAsync(partitions, cancellationToken).AsTask();

    public Task OnPartitionsRevokedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken) =>
        _revoked.Writer.WriteAsync(partitions, cancellationToken).AsTask();
}

internal static class ChannelReaderExtensions
{
    /// <summary>Reads <paramref name="count"/> items or fails when the deadline passes first.</summary>
    public static async Task<List<T>> ReadManyAsync<T>(this ChannelReader<T> reader, int count, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var items = new List<T>(count);
        while (items.Count < count)
        {
            items.Add(await reader.ReadAsync(cts.Token));
        }
        return items;
    }
}
