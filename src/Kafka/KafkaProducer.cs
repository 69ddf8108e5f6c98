using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PatientStream.Kafka;

/// <summary>Where a record landed, or why it did not.</summary>
public readonly record struct DeliveryReport(string Topic, int Partition, long Offset, KafkaFailure? Failure)
{
    public bool Delivered => Failure is null;
}

/// <summary>A Kafka error as a value: <see cref="IsFatal"/> means the client must be rebuilt.</summary>
public sealed record KafkaFailure(string Code, string Reason, bool IsFatal)
{
    internal static KafkaFailure From(Error error) => new(error.Code.ToString(), error.Reason, error.IsFatal);
}

/// <summary>
/// The idempotent producer (acks=all, enable.idempotence): per-partition order and no duplicates from retries.
/// Pushes back on the caller instead of failing when librdkafka's queue is full: at most
/// <see cref="KafkaOptions.MaxQueuedMessages"/> records are in flight, and <see cref="ProduceAsync"/> waits for room.
/// </summary>
public sealed class KafkaProducer : IDisposable
{
    private readonly IProducer<string?, byte[]> _producer;
    private readonly SemaphoreSlim _room;
    private readonly ILogger _logger;
    private long _delivered;
    private long _failed;

    public KafkaProducer(KafkaOptions options, ILogger<KafkaProducer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        KafkaOptionsValidator.EnsureValid(options);
        if (options.IsEmbedded)
        {
            throw new ArgumentException("KafkaProducer needs bootstrap servers; start an EmbeddedKafkaCluster for embedded mode.", nameof(options));
        }
        _ = KafkaNative.Version();
        _logger = logger ?? NullLogger<KafkaProducer>.Instance;
        var config = new ProducerConfig
        {
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = options.LingerMs,
            MessageTimeoutMs = options.MessageTimeoutMs,
            // librdkafka's own queue is larger than our in-flight bound, so Produce never sees Local_QueueFull
            // unless another producer shares the handle.
            QueueBufferingMaxMessages = options.MaxQueuedMessages + 1_000,
            EnableDeliveryReports = true,
        };
        options.ApplyTo(config);
        _room = new SemaphoreSlim(options.MaxQueuedMessages, options.MaxQueuedMessages);
        _producer = new ProducerBuilder<string?, byte[]>(config)
            .SetErrorHandler((_, error) => _logger.LogWarning("Kafka producer error {Code} (fatal: {Fatal}): {Reason}", error.Code, error.IsFatal, error.Reason))
            .SetLogHandler((_, message) => _logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
            .Build();
    }

    /// <summary>Records delivered since start.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Records whose delivery failed since start.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>
    /// Sends one record and completes when Kafka has it (all in-sync replicas) or delivery failed for good.
    /// Waits for room when too many records are in flight. Cancelling stops the wait, not a delivery under way.
    /// </summary>
    public async Task<DeliveryReport> ProduceAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken,
        IReadOnlyList<KeyValuePair<string, byte[]>>? headers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(value);
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        var completion = new TaskCompletionSource<DeliveryReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        var message = new Message<string?, byte[]> { Key = key, Value = value };
        if (headers is not null)
        {
            message.Headers = [];
            foreach (var (name, bytes) in headers)
            {
                message.Headers.Add(name, bytes);
            }
        }
        await ProduceWithBackoffAsync(topic, message, report => completion.TrySetResult(report), cancellationToken).ConfigureAwait(false);
        return await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ProduceWithBackoffAsync(string topic, Message<string?, byte[]> message, Action<DeliveryReport> onDelivery,
        CancellationToken cancellationToken)
    {
        var delay = 1;
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, result => Complete(result, onDelivery));
                return;
            }
            catch (ProduceException<string?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // librdkafka's queue is shared with anything else on this handle: wait for deliveries to drain it.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 100);
            }
            catch
            {
                _room.Release();
                throw;
            }
        }
    }

    private void Complete(DeliveryReport<string?, byte[]> result, Action<DeliveryReport> onDelivery)
    {
        _room.Release();
        if (result.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            onDelivery(new DeliveryReport(result.Topic, result.Partition.Value, -1, KafkaFailure.From(result.Error)));
        }
        else
        {
            Interlocked.Increment(ref _delivered);
            onDelivery(new DeliveryReport(result.Topic, result.Partition.Value, result.Offset.Value, null));
        }
    }

    /// <summary>Waits until every record in flight is delivered or failed, or the timeout passes.</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
        _room.Dispose();
    }
}
