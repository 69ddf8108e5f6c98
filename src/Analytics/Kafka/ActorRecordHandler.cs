using PatientStream.Analytics.Actors;
using PatientStream.Kafka;

namespace PatientStream.Analytics.Kafka;

/// <summary>Turns a consumed record into an actor message, or says why it cannot.</summary>
/// <typeparam name="TMessage">Actor message type.</typeparam>
public delegate bool RecordDecoder<TMessage>(KafkaRecord record, out TMessage message, out string? error);

/// <summary>
/// Connects a <see cref="ConsumerLoop"/> to an <see cref="ActorRuntime{TMessage}"/>: records go to the actor of
/// their key, partition assignment and revocation place the actors, and a batch counts as handled only once the
/// actors it touched have handled it and persisted their snapshots, so the loop's offset commit never runs ahead
/// of the state. Subscribe the loop to one topic: actors are placed by partition number.
/// </summary>
/// <typeparam name="TMessage">Actor message type.</typeparam>
public sealed class ActorRecordHandler<TMessage> : IRecordBatchHandler
{
    private readonly ActorRuntime<TMessage> _runtime;
    private readonly RecordDecoder<TMessage> _decode;

    /// <summary>Creates the handler.</summary>
    public ActorRecordHandler(ActorRuntime<TMessage> runtime, RecordDecoder<TMessage> decode)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(decode);
        _runtime = runtime;
        _decode = decode;
    }

    /// <inheritdoc/>
    public async Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        List<RejectedRecord>? rejected = null;
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (string.IsNullOrEmpty(record.Key))
            {
                (rejected ??= []).Add(new RejectedRecord(record, "record has no patient key"));
                continue;
            }

            if (!_decode(record, out var message, out var error))
            {
                (rejected ??= []).Add(new RejectedRecord(record, error ?? "record could not be decoded"));
                continue;
            }

            await _runtime.SendAsync(record.Key, record.Partition, message, cancellationToken).ConfigureAwait(false);
            touched.Add(record.Key);
        }

        await _runtime.CheckpointAsync(touched, cancellationToken).ConfigureAwait(false);
        return rejected is null ? BatchOutcome.AllHandled : new BatchOutcome(rejected);
    }

    /// <inheritdoc/>
    public Task OnPartitionsAssignedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        _runtime.OnPartitionsAssigned(partitions.Select(p => p.Partition));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnPartitionsRevokedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        // Not cancellable: the loop revokes while it stops, with its token already cancelled, and the next owner
        // must not read a snapshot before it is written. The work is bounded by the store's own timeouts.
        _ = cancellationToken;
        return _runtime.OnPartitionsRevokedAsync(partitions.Select(p => p.Partition), CancellationToken.None);
    }
}
