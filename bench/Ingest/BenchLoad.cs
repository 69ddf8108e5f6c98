using System.Diagnostics;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Ingest.Bench;

/// <summary>Produces synthetic device batches and measures the raw consume baseline.</summary>
internal sealed class BenchLoad(KafkaProducer producer)
{
    private const int Devices = 200;
    private static readonly string[] s_types = ["heart-rate", "spo2", "respiratory-rate", "body-temperature"];
    private static readonly string[] s_units = ["/min", "%", "/min", "Cel"];
    private static readonly double[] s_values = [72, 97, 16, 37];
    private readonly long[] _seq = new long[Devices];

    /// <summary>Produces <paramref name="count"/> readings spread over the devices, samples a second apart per series.</summary>
    public async Task ProduceBatchesAsync(string topic, int count, int perReading, DateTimeOffset start)
    {
        var pending = new List<Task<DeliveryReport>>(count);
        for (var i = 0; i < count; i++)
        {
            var device = i % Devices;
            var reading = Reading(device, perReading, start.AddSeconds(i / Devices * perReading), start.AddSeconds(i / Devices * perReading + perReading));
            pending.Add(producer.ProduceAsync(topic, reading.Patient, ContractsJson.Serialize(reading), CancellationToken.None));
        }
        var reports = await Task.WhenAll(pending);
        if (reports.Any(r => !r.Delivered))
        {
            throw new InvalidOperationException("bench records were not delivered");
        }
    }

    /// <summary>Produces readings at a steady rate whose samples are stamped with the production time; returns how many.</summary>
    public async Task<int> ProduceSteadyAsync(string topic, int samplesPerSecond, int perReading, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var produced = 0;
        var pending = new List<Task<DeliveryReport>>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync())
        {
            var due = (int)(clock.Elapsed.TotalSeconds * samplesPerSecond / perReading);
            while (produced < due)
            {
                var now = DateTimeOffset.UtcNow;
                var reading = Reading(produced % Devices, perReading, now, now, spacingTicks: 1);
                pending.Add(producer.ProduceAsync(topic, reading.Patient, ContractsJson.Serialize(reading), CancellationToken.None));
                produced++;
            }
        }
        await Task.WhenAll(pending);
        return produced;
    }

    public static async Task<double> MeasureRawConsumeAsync(KafkaOptions kafka, string topic, KafkaProducer deadLetters, int expected)
    {
        var handler = new CountingHandler(expected);
        using var cts = new CancellationTokenSource();
        var loop = new ConsumerLoop(kafka, new ConsumerLoopOptions($"baseline-{Guid.NewGuid():N}", [topic], "baseline"), handler, deadLetters);
        var run = loop.RunAsync(cts.Token);
        await handler.Done.WaitAsync(TimeSpan.FromMinutes(5));
        await cts.CancelAsync();
        await run;
        return handler.Rate;
    }

    private RawReading Reading(int device, int perReading, DateTimeOffset first, DateTimeOffset received, long spacingTicks = TimeSpan.TicksPerSecond)
    {
        var samples = new Sample[perReading];
        for (var s = 0; s < perReading; s++)
        {
            var type = s % s_types.Length;
            samples[s] = new Sample
            {
                Type = s_types[type], Unit = s_units[type], Value = s_values[type] + (s % 3),
                Time = first.AddTicks(s / s_types.Length * spacingTicks),
            };
        }
        var deviceId = $"dev-{device}";
        return new RawReading
        {
            Device = deviceId, Patient = $"Patient/bench-{device}", Received = received, Consent = new ConsentStamp("permit"),
            Batch = new DeviceBatch { Device = deviceId, Seq = _seq[device]++, Sent = received, Samples = samples },
        };
    }

    private sealed class CountingHandler(int expected) : IRecordBatchHandler
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Stopwatch _clock = new();
        private int _count;
        private int _first;

        public Task Done => _done.Task;

        /// <summary>Records per second after the first batch (group join and assignment are not throughput).</summary>
        public double Rate => (_count - _first) / _clock.Elapsed.TotalSeconds;

        public Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
        {
            if (!_clock.IsRunning)
            {
                _clock.Start();
                _first = records.Count;
            }
            // Parse like the real stage does, so the baseline is the consume-and-decode cost without the sinks.
            foreach (var record in records)
            {
                _ = ContractsJson.TryParse(record.Value, out RawReading? _, out _);
            }
            if (Interlocked.Add(ref _count, records.Count) >= expected)
            {
                _clock.Stop();
                _done.TrySetResult();
            }
            return Task.FromResult(BatchOutcome.AllHandled);
        }
    }
}
