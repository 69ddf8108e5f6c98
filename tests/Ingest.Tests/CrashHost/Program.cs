using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Ingest;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Fhir;
using PatientStream.Ingest.Influx;
using PatientStream.Kafka;

// Usage: CrashHost <bootstrap> <topic> <dead-letter-topic> <group> <influx-url> <database> <state-path> <fhir-db> <hang|run>
// Sinks in order: the FHIR store (SQLite file <fhir-db>), then a signal sink. "hang": after the first batch reached
// InfluxDB and FHIR, the signal sink blocks forever, so the batch is never acknowledged and its offsets are never
// committed; the test kills the process there.
if (args.Length != 9)
{
    Console.Error.WriteLine("usage: CrashHost <bootstrap> <topic> <dlq> <group> <influx-url> <database> <state-path> <fhir-db> <hang|run>");
    return 2;
}
var kafka = new KafkaOptions { BootstrapServers = args[0], ClientId = "crash-host", SessionTimeoutMs = 6_000 };
var ingest = new IngestOptions
{
    Topic = args[1], DeadLetterTopic = args[2], LateTopic = args[2], GroupId = args[3], StatePath = args[6],
    MaxSampleAge = TimeSpan.FromDays(3650),
};
var influx = new InfluxOptions { Url = new Uri(args[4]), Database = args[5] };
var store = new SqlFhirStore(new SqliteDialect(args[7]), FhirDefinitions.R4);
await store.InitializeAsync(CancellationToken.None);
var fhir = new FhirObservationSink(new FhirServiceWriter(new FhirService(store)));
using var service = new IngestService(kafka, ingest, influx, [fhir, new SignalSink(args[8] == "hang")]);
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
        foreach (var _ in samples.Where(s => s.Type == SampleTypes.Glucose))
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
