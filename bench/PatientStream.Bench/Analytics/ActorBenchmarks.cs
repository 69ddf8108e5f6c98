using System.Buffers;
using System.Diagnostics;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Output;
using PatientStream.Analytics.Patients;

namespace PatientStream.Bench.Analytics;

/// <summary>Figures of one throughput run.</summary>
/// <param name="Actors">Live actors.</param>
/// <param name="Messages">Messages delivered and handled.</param>
/// <param name="Elapsed">Wall time from first send to last message handled.</param>
/// <param name="CpuTime">Processor time the whole process used meanwhile (all threads).</param>
/// <param name="AllocatedBytesPerMessage">Managed bytes allocated per message by the runtime (messages are pre-built).</param>
public sealed record ThroughputFigures(int Actors, long Messages, TimeSpan Elapsed, TimeSpan CpuTime, double AllocatedBytesPerMessage)
{
    /// <summary>Messages per second of wall time.</summary>
    public double MessagesPerSecond => Messages / Elapsed.TotalSeconds;

    /// <summary>Messages per second of processor time: the per-core figure, robust to other load on a shared machine.</summary>
    public double MessagesPerCpuSecond => Messages / CpuTime.TotalSeconds;
}

/// <summary>Figures of one idle-memory run.</summary>
/// <param name="Actors">Passivated actors.</param>
/// <param name="BytesPerIdleActor">Managed heap growth per passivated actor (cell, key, in-memory snapshot, map entry).</param>
/// <param name="SnapshotBytes">Mean snapshot size.</param>
public sealed record IdleMemoryFigures(int Actors, double BytesPerIdleActor, double SnapshotBytes);

/// <summary>
/// Measurements of the actor runtime for bench/ and the <c>bench</c> command. Not run by tests: figures are
/// reported, never asserted on.
/// </summary>
public static class ActorBenchmarks
{
    /// <summary>
    /// Sends <paramref name="messagesPerActor"/> messages to each of <paramref name="actors"/> counting actors from
    /// <paramref name="producers"/> concurrent senders (one key range each, as Kafka partitions would), and times
    /// until every message is handled.
    /// </summary>
    public static async Task<ThroughputFigures> ThroughputAsync(int actors, int messagesPerActor, int producers, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(actors, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(messagesPerActor, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(producers, 1);
        var total = (long)actors * messagesPerActor;
        using var warm = new CountdownEvent(actors);
        using var done = new CountdownEvent(actors);
        var keys = Enumerable.Range(0, actors).Select(i => "patient-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        await using var runtime = new ActorRuntime<object>(
            _ => new CountingActor(messagesPerActor, warm, done),
            new DiscardingSnapshotStore(),
            (_, _) => ValueTask.CompletedTask,
            new ActorRuntimeOptions { MailboxCapacity = 1024, Throughput = 256, SnapshotEvery = 1024, IdleTimeout = TimeSpan.FromHours(1) });
        var message = new object();

        // Warm-up: activates every actor, so the timed part measures delivery, not activation.
        foreach (var key in keys)
        {
            await runtime.SendAsync(key, message, cancellationToken).ConfigureAwait(false);
        }

        warm.Wait(cancellationToken);

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var senders = Enumerable.Range(0, producers).Select(p => Task.Run(
            async () =>
            {
                var from = (int)((long)actors * p / producers);
                var to = (int)((long)actors * (p + 1) / producers);
                // Bursts of 16 per key, as a consumer hands over a batch of one partition.
                for (var sent = 0; sent < messagesPerActor; sent += 16)
                {
                    var burst = Math.Min(16, messagesPerActor - sent);
                    for (var k = from; k < to; k++)
                    {
                        for (var b = 0; b < burst; b++)
                        {
                            var pending = runtime.SendAsync(keys[k], message, cancellationToken);
                            if (!pending.IsCompletedSuccessfully)
                            {
                                await pending.ConfigureAwait(false);
                            }
                        }
                    }
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(senders).ConfigureAwait(false);
        done.Wait(cancellationToken);
        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new ThroughputFigures(actors, total, clock.Elapsed, cpu, (double)allocated / total);
    }

    /// <summary>
    /// The floor under any mailbox: <paramref name="messages"/> through one bounded channel (the mailbox type) from
    /// one writer to one reader, with no actors. Actor figures are reported as a ratio to this.
    /// </summary>
    public static async Task<ThroughputFigures> ChannelBaselineAsync(long messages, CancellationToken cancellationToken)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<object>(
            new System.Threading.Channels.BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var message = new object();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var reader = Task.Run(
            async () =>
            {
                long read = 0;
                while (read < messages && await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (channel.Reader.TryRead(out _))
                    {
                        read++;
                    }
                }
            },
            cancellationToken);
        for (long i = 0; i < messages; i++)
        {
            if (!channel.Writer.TryWrite(message))
            {
                await channel.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }

        await reader.ConfigureAwait(false);
        clock.Stop();
        process.Refresh();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new ThroughputFigures(1, messages, clock.Elapsed, process.TotalProcessorTime - cpuBefore, (double)allocated / messages);
    }

    /// <summary>
    /// Activates <paramref name="actors"/> patient actors with a realistic state (a full NEWS2 set and a day of
    /// heart rates), passivates them all, and reports the managed heap each idle actor costs.
    /// </summary>
    public static async Task<IdleMemoryFigures> IdleMemoryAsync(int actors, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(actors, 1);
        var store = new DiscardingSnapshotStore();
        var observer = new PassivationCounter();
        var keys = Enumerable.Range(0, actors).Select(i => "patient-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var time = new SteppedTime();
        var options = new ActorRuntimeOptions { IdleTimeout = TimeSpan.FromHours(2), PassivationSweepInterval = TimeSpan.FromMinutes(1) };
        var baseline = Heap();
        await using var runtime = PatientAnalytics.CreateRuntime(new PatientAnalyticsOptions(), options, store, new NullSink(), (_, _) => ValueTask.CompletedTask, time, observer);
        var start = new DateTimeOffset(2026, 11, 21, 6, 0, 0, TimeSpan.Zero);
        foreach (var key in keys)
        {
            foreach (var m in SampleDay(key, start))
            {
                await runtime.SendAsync(key, m, cancellationToken).ConfigureAwait(false);
            }
        }

        await runtime.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        time.Advance(TimeSpan.FromHours(3));
        await observer.WaitAsync(actors, cancellationToken).ConfigureAwait(false);
        var used = Heap() - baseline;
        var figures = new IdleMemoryFigures(actors, (double)used / actors, store.MeanSnapshotBytes);
        GC.KeepAlive(keys);
        return figures;
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static IEnumerable<PatientInput> SampleDay(string patient, DateTimeOffset start)
    {
        string[] codes = [MeasurementCodes.RespiratoryRate, MeasurementCodes.OxygenSaturation, MeasurementCodes.InhaledOxygenFlowRate,
            MeasurementCodes.SystolicBloodPressure, MeasurementCodes.HeartRate, MeasurementCodes.LevelOfConsciousness, MeasurementCodes.BodyTemperature];
        double[] values = [16, 97, 0, 125, 72, 0, 37.0];
        for (var i = 0; i < codes.Length; i++)
        {
            yield return new Measurement(patient, "watch", codes[i], start, values[i], "1", ObservationReference: "Observation/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        for (var minute = 1; minute <= 30; minute++)
        {
            yield return new Measurement(patient, "watch", MeasurementCodes.HeartRate, start.AddMinutes(minute), 60 + (minute % 7), "/min");
        }
    }

    private sealed class CountingActor(int expected, CountdownEvent warm, CountdownEvent done) : IActor<object>
    {
        private int _count;

        public ValueTask ReceiveAsync(object message, ActorContext context)
        {
            // One warm-up message, then the timed ones.
            var count = ++_count;
            if (count == 1)
            {
                warm.Signal();
            }
            else if (count == expected + 1)
            {
                done.Signal();
            }

            return default;
        }

        public void WriteSnapshot(IBufferWriter<byte> output)
        {
            BitConverter.TryWriteBytes(output.GetSpan(4), _count);
            output.Advance(4);
        }

        public void RestoreSnapshot(ReadOnlySpan<byte> snapshot) => _count = BitConverter.ToInt32(snapshot);
    }

    private sealed class DiscardingSnapshotStore : ISnapshotStore
    {
        private long _saves;
        private long _bytes;

        public double MeanSnapshotBytes => _saves == 0 ? 0 : (double)Interlocked.Read(ref _bytes) / Interlocked.Read(ref _saves);

        public ValueTask<ActorSnapshot?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<ActorSnapshot?>(null);

        public ValueTask SaveAsync(string key, ActorSnapshot snapshot, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _saves);
            Interlocked.Add(ref _bytes, snapshot.Data.Length);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NullSink : IAnalyticsSink
    {
        public ValueTask PublishAsync(AnalyticsEvent analyticsEvent, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class PassivationCounter : IActorObserver
    {
        private readonly System.Threading.Channels.Channel<string> _passivated = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public void Activated(string key, bool fromSnapshot)
        {
        }

        public void Passivated(string key)
        {
            _passivated.Writer.TryWrite(key);
        }

        public void Restarted(string key, Exception exception, int attempt)
        {
        }

        public void Retired(string key)
        {
        }

        public async Task WaitAsync(int count, CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                await _passivated.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // A clock the benchmark moves by hand, so passivation happens exactly when asked.
    private sealed class SteppedTime : TimeProvider
    {
        private readonly List<(TimerCallback Callback, object? State)> _timers = [];
        private DateTimeOffset _now = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => _now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _timers.Add((callback, state));
            return new NoTimer();
        }

        public void Advance(TimeSpan by)
        {
            _now += by;
            foreach (var (callback, state) in _timers)
            {
                callback(state);
            }
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => default;
        }
    }
}
