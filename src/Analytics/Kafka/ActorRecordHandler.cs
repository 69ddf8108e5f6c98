using PatientStream.Analytics.Actors;
using PatientStream.Kafka;

namespace PatientStream.Analytics.Kafka;

/// <summary>Turns a consumed record into an actor message, or says why it cannot.</summary>
/// <typeparam name="TMessage">Actor message type.</typeparam>
public delegate bool RecordDecoder<TMessage>(KafkaRecord record, out TMessage message, out string? error);

/// <summary>
/// Turns a consumed record into any number of actor messages for the record's key (a device batch carries many
/// readings), appending them to <paramref name="messages"/>, or says why it cannot.
/// </summary>
/// <typeparam name="TMessage">Actor message type.</typeparam>
public delegate bool RecordExpander<TMessage>(KafkaRecord record, List<TMessage> messages, out string? error);

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
    private readonly RecordExpander<TMessage> _expand;

    /// <summary>Creates the handler for records that each carry one message.</summary>
    public ActorRecordHandler(ActorRuntime<TMessage> runtime, RecordDecoder<TMessage> decode)
        : this(runtime, Single(decode))
    {
    }

    /// <summary>Creates the handler for records that carry several messages each, sent in order to the record's actor.</summary>
    public ActorRecordHandler(ActorRuntime<TMessage> runtime, RecordExpander<TMessage> expand)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(expand);
        _runtime = runtime;
        _expand = expand;
    }

    private static RecordExpander<TMessage> Single(RecordDecoder<TMessage> decode)
    {
        ArgumentNullException.ThrowIfNull(decode);
        return (KafkaRecord record, List<TMessage> messages, out string? error) =>
        {
            if (!decode(record, out var message, out error))
            {
                return false;
            }

            messages.Add(message);
            return true;
        };
    }

    /// <inheritdoc/>
    public async Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        List<RejectedRecord>? rejected = null;
        var touched = new HashSet<string>(StringComparer.Ordinal);
        var messages = new List<TMessage>();
        foreach (var record in records)
        {
            if (string.IsNullOrEmpty(record.Key))
            {
                (rejected ??= []).Add(new RejectedRecord(record, "record has no patient key"));
                continue;
            }

            messages.Clear();
            if (!_expand(record, messages, out var error))
            {
                (rejected ??= []).Add(new RejectedRecord(record, error ?? "record could not be decoded"));
                continue;
            }

            foreach (var message in messages)
            {
                await _runtime.SendAsync(record.Key, record.Partition, message, cancellationToken).ConfigureAwait(false);
            }

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
