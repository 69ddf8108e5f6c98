namespace PatientStream.Kafka;

/// <summary>One consumed record, detached from librdkafka.</summary>
public sealed record KafkaRecord(string Topic, int Partition, long Offset, string? Key, byte[] Value, DateTimeOffset Timestamp)
{
    public PartitionRef PartitionRef => new(Topic, Partition);
}

/// <summary>A topic partition.</summary>
public readonly record struct PartitionRef(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}[{Partition}]";
}

/// <summary>A record the handler refuses for good, with the reason that goes into the dead-letter topic.</summary>
public sealed record RejectedRecord(KafkaRecord Record, string Reason);

/// <summary>What a handler did with a batch: every record not listed in <see cref="Rejected"/> was handled durably.</summary>
public sealed record BatchOutcome(IReadOnlyList<RejectedRecord> Rejected)
{
    public static BatchOutcome AllHandled { get; } = new([]);
}

/// <summary>
/// A stage's sink for consumed records. <see cref="HandleAsync"/> completes only when its effects are durable:
/// the consumer commits the batch's offsets after it returns, and redelivers the batch (at-least-once) if the
/// process dies first — so handlers must be idempotent. Throwing means "try again"; a record that keeps failing
/// goes to the dead-letter topic.
/// </summary>
public interface IRecordBatchHandler
{
    Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken);

    /// <summary>Partitions this member now owns (before any of their records is handled).</summary>
    Task OnPartitionsAssignedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Partitions this member gives up; their committed records are all handled, the rest will be redelivered elsewhere.</summary>
    Task OnPartitionsRevokedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken) => Task.CompletedTask;
}
