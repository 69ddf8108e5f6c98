using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Kafka;

/// <summary>Settings of one consumer loop.</summary>
/// <param name="GroupId">Consumer group: members split the partitions.</param>
/// <param name="Topics">Topics to subscribe to.</param>
/// <param name="Stage">Name of the stage, written into dead letters.</param>
public sealed record ConsumerLoopOptions(string GroupId, IReadOnlyList<string> Topics, string Stage)
{
    /// <summary>Attempts at a batch (then at each of its records alone) before a record is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>First back-off after a failed attempt; doubles per attempt.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Dead-letter topic for rejected and poison records.</summary>
    public string DeadLetterTopic { get; init; } = KafkaTopics.ReadingsDlq;
}

/// <summary>
/// At-least-once consumption on a dedicated thread: consume a batch, hand it to the sink, dead-letter what the sink
/// rejects, and only then commit the batch's offsets. Cancellation stops the loop without committing work in
/// progress; the group reassigns those records. Rebalances drop uncommitted records of revoked partitions.
/// The consumer handle lives on the loop's thread and is closed (leaving the group) when the loop stops.
/// </summary>
public sealed class ConsumerLoop
{
    private readonly KafkaOptions _kafka;
    private readonly ConsumerLoopOptions _options;
    private readonly IRecordBatchHandler _handler;
    private readonly KafkaProducer _deadLetters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<KafkaRecord> _pending = [];
    private readonly HashSet<PartitionRef> _assignment = [];
    private readonly Lock _assignmentLock = new();
    private CancellationToken _runToken;
    private string _lastFailure = "";
    private long _handled;
    private long _deadLettered;
    private long _commits;

    public ConsumerLoop(KafkaOptions kafka, ConsumerLoopOptions options, IRecordBatchHandler handler, KafkaProducer deadLetters,
        ILogger<ConsumerLoop>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _kafka = KafkaOptionsValidator.EnsureValid(kafka);
        if (_kafka.IsEmbedded)
        {
            throw new ArgumentException("ConsumerLoop needs bootstrap servers; start an EmbeddedKafkaCluster for embedded mode.", nameof(kafka));
        }
        ArgumentException.ThrowIfNullOrEmpty(options.GroupId);
        if (options.Topics.Count == 0)
        {
            throw new ArgumentException("ConsumerLoop needs at least one topic.", nameof(options));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _options = options;
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _deadLetters = deadLetters ?? throw new ArgumentNullException(nameof(deadLetters));
        _logger = logger ?? NullLogger<ConsumerLoop>.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Records handled and committed.</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Records sent to the dead-letter topic.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Successful offset commits.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>The partitions this member owns now.</summary>
    public IReadOnlyList<PartitionRef> Assignment
    {
        get
        {
            lock (_assignmentLock)
            {
                return [.. _assignment];
            }
        }
    }

    /// <summary>Runs the loop on its own thread until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(cancellationToken);
                completion.TrySetResult();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                completion.TrySetResult();
            }
            catch (Exception e)
            {
                completion.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"kafka-{_options.Stage}",
        };
        thread.Start();
        return completion.Task;
    }

    private void Run(CancellationToken cancellationToken)
    {
        _runToken = cancellationToken;
        var config = new ConsumerConfig
        {
            GroupId = _options.GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = _kafka.SessionTimeoutMs,
            HeartbeatIntervalMs = Math.Max(100, _kafka.SessionTimeoutMs / 5),
            EnablePartitionEof = false,
        };
        _kafka.ApplyTo(config);
        using var consumer = new ConsumerBuilder<string?, byte[]>(config)
            .SetErrorHandler((_, error) => _logger.LogWarning("Kafka consumer error {Code} (fatal: {Fatal}): {Reason}", error.Code, error.IsFatal, error.Reason))
            .SetLogHandler((_, message) => _logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition)))
            .SetPartitionsLostHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition)))
            .Build();
        consumer.Subscribe(_options.Topics);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                FillBatch(consumer, cancellationToken);
                if (_pending.Count == 0)
                {
                    continue;
                }
                var batch = _pending.ToArray();
                _pending.Clear();
                HandleWithRetries(batch, cancellationToken);
                Commit(consumer, batch);
            }
        }
        finally
        {
            _pending.Clear();
            // Leave the group at once so the remaining members take over without waiting for the session timeout.
            try
            {
                consumer.Close();
            }
            catch (KafkaException e)
            {
                _logger.LogWarning("Kafka consumer close failed: {Reason}", e.Error.Reason);
            }
            lock (_assignmentLock)
            {
                _assignment.Clear();
            }
        }
    }

    private void FillBatch(IConsumer<string?, byte[]> consumer, CancellationToken cancellationToken)
    {
        var first = consumer.Consume(cancellationToken);
        if (first?.Message is null)
        {
            return;
        }
        _pending.Add(ToRecord(first));
        var deadline = _time.GetTimestamp() + (long)(_kafka.MaxBatchWaitMs * (_time.TimestampFrequency / 1000.0));
        while (_pending.Count < _kafka.MaxBatchSize)
        {
            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }
            var next = consumer.Consume(remaining);
            if (next?.Message is null)
            {
                break;
            }
            _pending.Add(ToRecord(next));
        }
    }

    private static KafkaRecord ToRecord(ConsumeResult<string?, byte[]> result) =>
        new(result.Topic, result.Partition.Value, result.Offset.Value, result.Message.Key, result.Message.Value ?? [],
            result.Message.Timestamp.UtcDateTime);

    private void HandleWithRetries(KafkaRecord[] batch, CancellationToken cancellationToken)
    {
        var outcome = TryHandle(batch, cancellationToken);
        if (outcome is not null)
        {
            DeadLetter(outcome.Rejected, cancellationToken);
            Interlocked.Add(ref _handled, batch.Length - outcome.Rejected.Count);
            return;
        }
        // The batch keeps failing: isolate the poison record(s) so the rest of the partition moves on.
        foreach (var record in batch)
        {
            var single = TryHandle([record], cancellationToken);
            if (single is null)
            {
                DeadLetter([new RejectedRecord(record, $"handler failed {_options.MaxAttempts} times: {_lastFailure}")], cancellationToken);
            }
            else
            {
                DeadLetter(single.Rejected, cancellationToken);
                Interlocked.Add(ref _handled, 1 - single.Rejected.Count);
            }
        }
    }

    private BatchOutcome? TryHandle(KafkaRecord[] records, CancellationToken cancellationToken)
    {
        var backoff = _options.RetryBackoff;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            try
            {
                return _handler.HandleAsync(records, cancellationToken).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _lastFailure = $"{e.GetType().Name}: {e.Message}";
                _logger.LogWarning("Stage {Stage} failed on {Count} record(s), attempt {Attempt}/{Max}: {Error}",
                    _options.Stage, records.Length, attempt, _options.MaxAttempts, _lastFailure);
                if (attempt < _options.MaxAttempts)
                {
                    Task.Delay(backoff, _time, cancellationToken).GetAwaiter().GetResult();
                    backoff *= 2;
                }
            }
        }
        return null;
    }

    private void DeadLetter(IReadOnlyList<RejectedRecord> rejected, CancellationToken cancellationToken)
    {
        foreach (var (record, reason) in rejected)
        {
            var letter = Contracts.DeadLetter.For(_options.Stage, reason, record.Value, _time.GetUtcNow(), record.Topic,
                record.Partition, record.Offset, record.Key);
            var value = ContractsJson.Serialize(letter);
            var backoff = _options.RetryBackoff;
            while (true)
            {
                // The record's offset is committed only once its dead letter is durable: retry until it is.
                var report = _deadLetters.ProduceAsync(_options.DeadLetterTopic, record.Key, value, cancellationToken).GetAwaiter().GetResult();
                if (report.Delivered)
                {
                    break;
                }
                _logger.LogWarning("Dead letter for {Partition} not delivered: {Reason}", record.PartitionRef, report.Failure!.Reason);
                Task.Delay(backoff, _time, cancellationToken).GetAwaiter().GetResult();
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
            Interlocked.Increment(ref _deadLettered);
        }
    }

    private void Commit(IConsumer<string?, byte[]> consumer, KafkaRecord[] batch)
    {
        var offsets = batch
            .GroupBy(r => r.PartitionRef)
            .Where(g => IsAssigned(g.Key))
            .Select(g => new TopicPartitionOffset(g.Key.Topic, g.Key.Partition, g.Max(r => r.Offset) + 1))
            .ToList();
        if (offsets.Count == 0)
        {
            return;
        }
        try
        {
            consumer.Commit(offsets);
            Interlocked.Increment(ref _commits);
        }
        catch (KafkaException e)
        {
            // A rebalance can fence the commit; the records will be redelivered to the new owner (at-least-once).
            _logger.LogWarning("Offset commit failed for stage {Stage}: {Reason}", _options.Stage, e.Error.Reason);
        }
    }

    private bool IsAssigned(PartitionRef partition)
    {
        lock (_assignmentLock)
        {
            return _assignment.Contains(partition);
        }
    }

    private void OnAssigned(IEnumerable<TopicPartition> partitions)
    {
        var refs = partitions.Select(p => new PartitionRef(p.Topic, p.Partition.Value)).ToList();
        lock (_assignmentLock)
        {
            _assignment.UnionWith(refs);
        }
        _logger.LogInformation("Stage {Stage} assigned {Partitions}", _options.Stage, string.Join(", ", refs));
        _handler.OnPartitionsAssignedAsync(refs, _runToken).GetAwaiter().GetResult();
    }

    private void OnRevoked(IEnumerable<TopicPartition> partitions)
    {
        var refs = partitions.Select(p => new PartitionRef(p.Topic, p.Partition.Value)).ToList();
        var revoked = refs.ToHashSet();
        // Records consumed but not yet handled belong to the next owner now; it will receive them from the committed offset.
        _pending.RemoveAll(r => revoked.Contains(r.PartitionRef));
        lock (_assignmentLock)
        {
            _assignment.ExceptWith(revoked);
        }
        _logger.LogInformation("Stage {Stage} revoked {Partitions}", _options.Stage, string.Join(", ", refs));
        _handler.OnPartitionsRevokedAsync(refs, _runToken).GetAwaiter().GetResult();
    }
}
