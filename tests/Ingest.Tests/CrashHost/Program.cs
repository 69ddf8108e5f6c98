using PatientStream.Ingest;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Influx;
using PatientStream.Kafka;

// Usage: CrashHost <bootstrap> <topic> <dead-letter-topic> <group> <influx-url> <database> <state-path> <hang|run>
// "hang": after the first InfluxDB write the sample sink blocks forever, so the batch is never acknowledged and its
// offsets are never committed; the test kills the process there.
if (args.Length != 8)
{
    Console.Error.WriteLine("usage: CrashHost <bootstrap> <topic> <dlq> <group> <influx-url> <database> <state-path> <hang|run>");
    return 2;
}
var kafka = new KafkaOptions { BootstrapServers = args[0], ClientId = "crash-host", SessionTimeoutMs = 6_000 };
var ingest = new IngestOptions
{
    Topic = args[1], DeadLetterTopic = args[2], LateTopic = args[2], GroupId = args[3], StatePath = args[6],
    MaxSampleAge = TimeSpan.FromDays(3650),
};
var influx = new InfluxOptions { Url = new Uri(args[4]), Database = args[5] };
using var service = new IngestService(kafka, ingest, influx, [new SignalSink(args[7] == "hang")]);
await service.StartAsync(CancellationToken.None);
await service.Started;
Console.WriteLine("READY");
await service.ExecuteTask!;
return 0;

/// <summary>Tells the test (on stdout) what reached the sinks; optionally stops dead after the first write.</summary>
internal sealed class SignalSink(bool hang) : ICleanSampleSink
{
    public async Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken)
    {
        Console.WriteLine($"WRITTEN {samples.Count}");
        foreach (var _ in samples.Where(s => s.Type == SampleTypes.Steps))
        {
            Console.WriteLine("SENTINEL");
        }
        if (hang)
        {
            Console.WriteLine("HANGING");
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
