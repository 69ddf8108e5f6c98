using PatientStream.Ingest.Influx;
using PatientStream.Ingest.Tests.Influx;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests;

/// <summary>Topics, database and state of one test, and ingest instances started on them.</summary>
internal sealed class IngestScenario(KafkaFixture kafka, InfluxFixture influx) : IDisposable
{
    private readonly TempFolder _folder = new("ingest");

    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public string Topic { get; } = KafkaFixture.UniqueTopic("raw");
    public string DeadLetterTopic { get; } = KafkaFixture.UniqueTopic("dlq");
    public string LateTopic { get; } = KafkaFixture.UniqueTopic("late");
    public string Group { get; } = $"ingest-{Guid.NewGuid():N}";
    public string Database { get; } = InfluxQuery.NewDatabase();
    public string StatePath => _folder.Combine("state", "ingest.db");
    public KafkaFixture Kafka => kafka;
    public InfluxFixture Influx => influx;

    public IngestOptions Options => new()
    {
        Topic = Topic, DeadLetterTopic = DeadLetterTopic, LateTopic = LateTopic, GroupId = Group, StatePath = StatePath,
        AllowedLateness = TimeSpan.FromMinutes(10), MaxSampleAge = TimeSpan.FromDays(3650),
    };

    public InfluxOptions InfluxOptions => new() { Url = influx.Url, Database = Database };

    public async Task<IngestInstance> StartAsync(ChannelSink sink)
    {
        var service = new IngestService(kafka.Options("ingest"), Options, InfluxOptions, [sink], new StderrLoggerFactory());
        await service.StartAsync(CancellationToken.None);
        await service.Started.WaitAsync(Deadline);
        return new IngestInstance(service);
    }

    public async Task ProduceAsync(KafkaProducer producer, params RawReading[] readings)
    {
        foreach (var reading in readings)
        {
            await ProduceAsync(producer, reading.Patient, ContractsJson.Serialize(reading));
        }
    }

    public async Task ProduceAsync(KafkaProducer producer, string key, byte[] value)
    {
        var report = await producer.ProduceAsync(Topic, key, value, CancellationToken.None);
        Assert.True(report.Delivered, report.Failure?.Reason);
    }

    /// <summary>Starts a reader of a dead-letter topic; dispose to stop it.</summary>
    public (ChannelHandler Handler, IAsyncDisposable Stop) ReadTopic(string topic, KafkaProducer producer)
    {
        var handler = new ChannelHandler();
        var cts = new CancellationTokenSource();
        var loop = new ConsumerLoop(kafka.Options("dlq-reader"), new ConsumerLoopOptions($"reader-{Guid.NewGuid():N}", [topic], "reader"),
            handler, producer);
        var run = loop.RunAsync(cts.Token);
        return (handler, new Stopper(cts, run));
    }

    public void Dispose() => _folder.Dispose();

    private sealed class Stopper(CancellationTokenSource cts, Task run) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await cts.CancelAsync();
            await run;
            cts.Dispose();
        }
    }
}

/// <summary>A running ingest instance, stopped on dispose.</summary>
internal sealed class IngestInstance(IngestService service) : IAsyncDisposable
{
    public IngestService Service => service;

    public IngestCounters Counters => service.Counters!;

    public async ValueTask DisposeAsync()
    {
        await service.StopAsync(CancellationToken.None);
        service.Dispose();
    }
}
