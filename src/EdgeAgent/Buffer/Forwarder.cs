using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Kafka;

namespace PatientStream.EdgeAgent.Buffer;

/// <summary>How the forwarder drains the buffer to Kafka.</summary>
public sealed record ForwarderOptions
{
    public string Topic { get; init; } = KafkaTopics.ReadingsRaw;

    /// <summary>Most batches in flight to Kafka at once (one read of the buffer).</summary>
    public int Window { get; init; } = 1_000;

    /// <summary>First pause after a failed delivery; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Topic);
        if (Window < 1)
        {
            throw new ArgumentException("ForwarderOptions.Window must be positive.", nameof(Window));
        }
        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException("ForwarderOptions.InitialBackoff must be positive and not above MaxBackoff.", nameof(InitialBackoff));
        }
    }
}

/// <summary>
/// Drains the buffer to Kafka: reads the oldest batches, produces them in arrival order (key = patient id, so a
/// device's batches share a partition and the idempotent producer keeps their order), and deletes each batch only
/// after its delivery report. After a failed delivery the producer is rebuilt from the factory and the undelivered
/// batches are sent again, oldest first: at-least-once, and a Kafka outage only makes the buffer grow.
/// </summary>
public sealed class Forwarder
{
    private readonly DurableBuffer _buffer;
    private readonly Func<KafkaProducer> _producerFactory;
    private readonly ForwarderOptions _options;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private TaskCompletionSource<KafkaFailure> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="producerFactory">Builds a producer; called at start and again after each failed delivery.</param>
    public Forwarder(DurableBuffer buffer, Func<KafkaProducer> producerFactory, ForwarderOptions options, EdgeMetrics metrics,
        ILogger<Forwarder>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _buffer = buffer ?? throw new ArgumentNullException(nameof(buffer));
        _producerFactory = producerFactory ?? throw new ArgumentNullException(nameof(producerFactory));
        _options = options;
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? NullLogger<Forwarder>.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Completes with the failure the next time a delivery fails (a signal for status output and tests).</summary>
    public Task<KafkaFailure> NextFailure => Volatile.Read(ref _failed).Task;

    /// <summary>Runs until cancelled. Batches in flight at cancellation stay in the buffer and are sent again later.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var producer = _producerFactory();
        var backoff = _options.InitialBackoff;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await _buffer.WaitForDataAsync(cancellationToken).ConfigureAwait(false);
                var batches = _buffer.ReadOldest(_options.Window);
                if (batches.Count == 0)
                {
                    continue;
                }
                var failure = await SendAsync(producer, batches, cancellationToken).ConfigureAwait(false);
                if (failure is null)
                {
                    backoff = _options.InitialBackoff;
                    continue;
                }
                _logger.LogWarning("Forwarding to Kafka failed ({Code}: {Reason}); retrying in {Backoff}", failure.Code, failure.Reason, backoff);
                Interlocked.Exchange(ref _failed, new TaskCompletionSource<KafkaFailure>(TaskCreationOptions.RunContinuationsAsynchronously))
                    .TrySetResult(failure);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                // A producer that failed may hold a fatal error or a stale view of the cluster: start clean.
                producer.Dispose();
                producer = _producerFactory();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            producer.Dispose();
        }
    }

    private async Task<KafkaFailure?> SendAsync(KafkaProducer producer, IReadOnlyList<BufferedBatch> batches, CancellationToken cancellationToken)
    {
        // Produce calls are issued one after another so librdkafka queues them in arrival order.
        var reports = new Task<DeliveryReport>[batches.Count];
        for (var i = 0; i < batches.Count; i++)
        {
            reports[i] = producer.ProduceAsync(_options.Topic, batches[i].Key, batches[i].Value, cancellationToken);
        }
        var delivered = new List<BufferedBatch>(batches.Count);
        KafkaFailure? failure = null;
        for (var i = 0; i < batches.Count; i++)
        {
            var report = await reports[i].ConfigureAwait(false);
            if (report.Delivered)
            {
                delivered.Add(batches[i]);
            }
            else
            {
                failure ??= report.Failure;
            }
        }
        _buffer.Delete(delivered);
        _metrics.OnForwarded(delivered.Count);
        if (failure is not null)
        {
            _metrics.OnForwardFailed(batches.Count - delivered.Count);
        }
        return failure;
    }
}
