using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Kafka;

namespace PatientStream.EdgeAgent.Buffer;

/// <summary>How the forwarder drains the buffer to Kafka.</summary>
public sealed record ForwarderOptions
{
    public string Topic { get; init; } = KafkaTopics.ReadingsRaw;

    /// <summary>Batches read from the buffer and produced together.</summary>
    public int Window { get; init; } = 500;

    /// <summary>Windows produced and awaiting their delivery reports at once: reading and producing overlap the acks.</summary>
    public int WindowsInFlight { get; init; } = 8;

    /// <summary>First pause after a failed delivery; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Topic);
        if (Window < 1 || WindowsInFlight < 1)
        {
            throw new ArgumentException("ForwarderOptions.Window and WindowsInFlight must be positive.", nameof(Window));
        }
        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException("ForwarderOptions.InitialBackoff must be positive and not above MaxBackoff.", nameof(InitialBackoff));
        }
    }
}

/// <summary>
/// Drains the buffer to Kafka: reads batches in arrival order, produces them (key = patient id, so a device's
/// batches share a partition and the idempotent producer keeps their order), and deletes each batch only after its
/// delivery report. Several windows are in flight at once. After a failed delivery it lets the windows in flight
/// finish, rebuilds the producer from the factory, and starts again from the oldest batch still held:
/// at-least-once, and a Kafka outage only makes the buffer grow.
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
            while (true)
            {
                var failure = await PumpUntilFailureAsync(producer, cancellationToken).ConfigureAwait(false);
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

    private async Task<KafkaFailure> PumpUntilFailureAsync(KafkaProducer producer, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<Window>();
        long lastRead = 0;
        KafkaFailure? failure = null;
        while (failure is null)
        {
            if (inFlight.Count < _options.WindowsInFlight)
            {
                var next = _buffer.ReadAfter(lastRead, _options.Window);
                if (next.Count > 0)
                {
                    lastRead = next[^1].Id;
                    inFlight.Enqueue(Produce(producer, next, cancellationToken));
                    continue;
                }
            }
            if (inFlight.Count == 0)
            {
                await _buffer.WaitForAppendAfterAsync(lastRead, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var oldest = inFlight.Peek();
            if (inFlight.Count < _options.WindowsInFlight)
            {
                // Whichever comes first: the oldest window's acks, or new batches to send alongside it.
                await Task.WhenAny(oldest.Delivered, _buffer.WaitForAppendAfterAsync(lastRead, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (!oldest.Delivered.IsCompleted)
                {
                    continue;
                }
            }
            failure = await CompleteAsync(inFlight.Dequeue()).ConfigureAwait(false);
        }
        // Nothing new is produced after a failure; what is in flight still settles, so delivered batches are deleted.
        while (inFlight.Count > 0)
        {
            await CompleteAsync(inFlight.Dequeue()).ConfigureAwait(false);
        }
        return failure;
    }

    private Window Produce(KafkaProducer producer, IReadOnlyList<BufferedBatch> batches, CancellationToken cancellationToken)
    {
        // Produce calls are issued one after another so librdkafka queues them in arrival order. They are not
        // cancellable one by one (that costs a registration per record); the window as a whole is. The producer never
        // waits for room here: the options keep Window × WindowsInFlight within its queue.
        var reports = new Task<DeliveryReport>[batches.Count];
        for (var i = 0; i < batches.Count; i++)
        {
            reports[i] = producer.ProduceAsync(_options.Topic, batches[i].Key, batches[i].Value, CancellationToken.None);
        }
        return new Window(batches, reports, Task.WhenAll(reports).WaitAsync(cancellationToken));
    }

    private async Task<KafkaFailure?> CompleteAsync(Window window)
    {
        await window.Delivered.ConfigureAwait(false);
        var delivered = new List<BufferedBatch>(window.Batches.Count);
        KafkaFailure? failure = null;
        for (var i = 0; i < window.Batches.Count; i++)
        {
            var report = window.Reports[i].Result;
            if (report.Delivered)
            {
                delivered.Add(window.Batches[i]);
            }
            else
            {
                failure ??= report.Failure;
            }
        }
        var now = _time.GetUtcNow();
        foreach (var batch in delivered)
        {
            _metrics.OnForwardLatency((now - batch.Received).TotalMilliseconds);
        }
        // Deleted with the buffer's next group commit: the forwarder does not wait for the disk.
        _buffer.DeleteWithNextCommit(delivered);
        _metrics.OnForwarded(delivered.Count);
        if (failure is not null)
        {
            _metrics.OnForwardFailed(window.Batches.Count - delivered.Count);
        }
        return failure;
    }

    private sealed record Window(IReadOnlyList<BufferedBatch> Batches, Task<DeliveryReport>[] Reports, Task Delivered);
}
