using System.Diagnostics;
using Confluent.Kafka;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Bench.Ingest;

/// <summary>Produces synthetic device batches for the ingest stage and measures raw librdkafka consumption of them.</summary>
internal sealed class IngestLoad(KafkaProducer producer)
{
    public const int Devices = 200;
    private static readonly string[] s_types = ["heart-rate", "spo2", "respiratory-rate", "body-temperature"];
    private static readonly string[] s_units = ["/min", "%", "/min", "Cel"];
    private static readonly double[] s_values = [72, 97, 16, 37];
    private readonly long[] _seq = new long[Devices];

    /// <summary>Produces <paramref name="count"/> readings spread over the devices, samples a second apart per series.</summary>
    public async Task ProduceBatchesAsync(string topic, int count, int perReading, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var pending = new List<Task<DeliveryReport>>(count);
        for (var i = 0; i < count; i++)
        {
            var device = i % Devices;
            var first = start.AddSeconds(i / Devices * perReading);
            var reading = Reading(device, perReading, first, first.AddSeconds(perReading));
            pending.Add(producer.ProduceAsync(topic, reading.Patient, ContractsJson.Serialize(reading), cancellationToken));
        }
        var reports = await Task.WhenAll(pending).ConfigureAwait(false);
        if (reports.Any(r => !r.Delivered))
        {
            throw new InvalidOperationException("bench records were not delivered");
        }
    }

    /// <summary>Produces readings at a steady rate whose samples are stamped with the production time; returns how many.</summary>
    public async Task<int> ProduceSteadyAsync(string topic, int samplesPerSecond, int perReading, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var produced = 0;
        var pending = new List<Task<DeliveryReport>>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var due = (int)(clock.Elapsed.TotalSeconds * samplesPerSecond / perReading);
            while (produced < due)
            {
                var now = DateTimeOffset.UtcNow;
                var reading = Reading(produced % Devices, perReading, now, now, spacingTicks: 1);
                pending.Add(producer.ProduceAsync(topic, reading.Patient, ContractsJson.Serialize(reading), cancellationToken));
                produced++;
            }
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        return produced;
    }

    /// <summary>Records per second librdkafka alone (Confluent.Kafka, no parsing, auto-commit) reads from the topic, after the first record.</summary>
    public static double RawConsume(string bootstrap, string topic, int count, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = $"raw-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = true,
        };
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
        consumer.Subscribe(topic);
        _ = consumer.Consume(cancellationToken);
        var watch = Stopwatch.StartNew();
        for (var seen = 1; seen < count;)
        {
            if (consumer.Consume(cancellationToken) is not null)
            {
                seen++;
            }
        }
        watch.Stop();
        consumer.Close();
        return (count - 1) / watch.Elapsed.TotalSeconds;
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
}
