using Confluent.Kafka;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Tests;

/// <summary>
/// Reads a test topic from the beginning on a background thread and lets a test await a condition over everything
/// read so far (a signal, never a sleep).
/// </summary>
internal sealed class RawTopicWatcher : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<(string Key, RawReading Reading)> _seen = [];
    private readonly List<(Func<IReadOnlyList<(string Key, RawReading Reading)>, bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RawTopicWatcher(string bootstrapServers, string topic)
    {
        _loop = Task.Factory.StartNew(() => Consume(bootstrapServers, topic), TaskCreationOptions.LongRunning);
    }

    public IReadOnlyList<(string Key, RawReading Reading)> Seen
    {
        get
        {
            lock (_lock)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>Completes once <paramref name="condition"/> holds over the records read; fails the test at the deadline.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<(string Key, RawReading Reading)>, bool> condition, TimeSpan deadline, string what)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (condition(_seen))
            {
                return;
            }
            _waiters.Add((condition, done));
        }
        try
        {
            await done.Task.WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what}: not reached within {deadline.TotalSeconds:0} s ({Seen.Count} records read)");
        }
    }

    private void Consume(string bootstrapServers, string topic)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "watcher-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            // The topic may not exist yet when the watcher starts: let the subscription create it and notice it soon.
            AllowAutoCreateTopics = true,
            TopicMetadataRefreshIntervalMs = 1_000,
        };
        using var consumer = new ConsumerBuilder<string, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        try
        {
            while (true)
            {
                var record = consumer.Consume(_stop.Token);
                if (!ContractsJson.TryParse(record.Message.Value, out RawReading? reading, out _))
                {
                    continue;
                }
                lock (_lock)
                {
                    _seen.Add((record.Message.Key, reading!));
                    for (var i = _waiters.Count - 1; i >= 0; i--)
                    {
                        if (_waiters[i].Condition(_seen))
                        {
                            _waiters[i].Done.TrySetResult();
                            _waiters.RemoveAt(i);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            consumer.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
