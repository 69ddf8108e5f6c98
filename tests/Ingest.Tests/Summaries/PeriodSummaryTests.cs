using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Fhir;
using PatientStream.Ingest.Influx;
using PatientStream.Ingest.Mapping;
using PatientStream.Ingest.State;
using PatientStream.Ingest.Tests.Influx;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;
using static PatientStream.Ingest.Tests.Readings;

namespace PatientStream.Ingest.Tests.Summaries;

/// <summary>The handler against real InfluxDB, a real FHIR store (SQLite) and the Kafka mock for dead letters.</summary>
[Collection(ServerTestGroup.Name)]
public sealed class PeriodSummaryTests(KafkaFixture kafka, InfluxFixture influx) : IDisposable
{
    private static readonly DateTimeOffset s_hour = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new("summary");
    private readonly HttpClient _http = new();
    private readonly string _database = InfluxQuery.NewDatabase();
    private long _offset;

    private IngestOptions Options => new()
    {
        StatePath = _folder.Combine("state", "ingest.db"), DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"), LateTopic = KafkaFixture.UniqueTopic("late"),
        AllowedLateness = TimeSpan.FromHours(2), MaxSampleAge = TimeSpan.FromDays(3650),
    };

    [Fact]
    public async Task Steps_are_summed_per_patient_and_hour_across_batches_restarts_replays_and_late_samples()
    {
        var fhir = await OpenFhirAsync();
        using var producer = new KafkaProducer(kafka.Options("dlq"));
        var first = Reading("dev-1", "Patient/p1", 1,
            [Steps(100, s_hour.AddMinutes(5)), Steps(200, s_hour.AddMinutes(20)), Steps(7, s_hour.AddMinutes(61)), Scalar("heart-rate", 70, "/min", s_hour)]);
        using (var state = IngestStateStore.Open(Options.StatePath))
        {
            await HandleAsync(state, producer, fhir, [first]);
        }

        // Restarted: the totals come back from the state file; a replayed batch and a retransmitted sample count nothing.
        using (var state = IngestStateStore.Open(Options.StatePath))
        {
            await HandleAsync(state, producer, fhir,
            [
                first,
                Reading("dev-1", "Patient/p1", 2, [Steps(200, s_hour.AddMinutes(20)), Steps(50, s_hour.AddMinutes(40))]),
                Reading("dev-2", "Patient/p1", 1, [Steps(30, s_hour.AddMinutes(50))]),
            ]);
            await HandleAsync(state, producer, fhir, [Reading("dev-1", "Patient/p1", 3, [Steps(20, s_hour.AddMinutes(10))])]);
        }

        var summaries = (await fhir.SearchAsync("Observation", "patient=Patient/p1&code=55423-8&_count=50")).MatchResources()
            .OrderBy(o => (string?)o["effectivePeriod"]!["start"], StringComparer.Ordinal).ToList();
        Assert.Equal(2, summaries.Count);
        var eight = summaries[0];
        Assert.Equal("2026-11-21T08:00:00.0000000Z", (string?)eight["effectivePeriod"]!["start"]);
        Assert.Equal("2026-11-21T09:00:00.0000000Z", (string?)eight["effectivePeriod"]!["end"]);
        Assert.Equal(400, (double)eight["valueQuantity"]!["value"]!);
        Assert.Equal("{steps}", (string?)eight["valueQuantity"]!["code"]);
        Assert.Equal((20.0, 200.0, 5L), Statistics(eight));
        // Two devices fed the window: it names none, and it carries the out-of-order flag of the late sample.
        Assert.Null(eight["device"]);
        Assert.Equal("out-of-order", (string?)eight["interpretation"]![0]!["coding"]![0]!["code"]);
        var nine = summaries[1];
        Assert.Equal(7, (double)nine["valueQuantity"]!["value"]!);
        Assert.Equal((7.0, 7.0, 1L), Statistics(nine));
        Assert.Equal("Device/dev-1", (string?)nine["device"]!["reference"]);
        Assert.Equal(ObservationBuilder.SummaryId("Patient/p1", SampleTypes.Steps, s_hour.UtcTicks), (string?)eight["id"]);
        Assert.Single((await fhir.SearchAsync("Observation", "patient=Patient/p1&code=8867-4")).Page.Matches);
        Assert.Equal(3, (await fhir.SearchAsync("Provenance", "_count=50")).Page.Matches.Count);
        // InfluxDB keeps every sample; only FHIR is summarised.
        Assert.Equal(6, (await InfluxQuery.RowsAsync(influx, _database, "SELECT value FROM steps")).Count);
    }

    [Fact]
    public async Task A_batch_that_failed_after_the_fhir_write_is_redone_without_counting_its_samples_twice()
    {
        var fhir = await OpenFhirAsync();
        using var producer = new KafkaProducer(kafka.Options("dlq"));
        var batch = Reading("dev-1", "Patient/p2", 1, [Steps(10, s_hour.AddMinutes(1)), Steps(15, s_hour.AddMinutes(2))]);
        using var state = IngestStateStore.Open(Options.StatePath);
        await Assert.ThrowsAsync<InvalidOperationException>(() => HandleAsync(state, producer, fhir, [batch], new FailingSink()));

        var retry = await HandleAsync(state, producer, fhir, [batch]);

        // The failed attempt's dedupe keys were rolled back: the retry is handled as new, not dropped as a repeat.
        Assert.Equal(0, retry.DuplicateBatches);
        Assert.Equal(2, retry.SamplesWritten);
        var summary = Assert.Single((await fhir.SearchAsync("Observation", "patient=Patient/p2")).MatchResources());
        Assert.Equal(25, (double)summary["valueQuantity"]!["value"]!);
        Assert.Equal((10.0, 15.0, 2L), Statistics(summary));
    }

    [Fact]
    public async Task Calculated_measurements_reach_influx_and_fhir_with_their_derivation()
    {
        var fhir = await OpenFhirAsync();
        using var producer = new KafkaProducer(kafka.Options("dlq"));
        using var state = IngestStateStore.Open(Options.StatePath);

        await HandleAsync(state, producer, fhir,
            [Reading("dev-1", "Patient/p3", 1, [Scalar("systolic", 120, "mm[Hg]", s_hour), Scalar("diastolic", 90, "mm[Hg]", s_hour)])]);

        var map = Assert.Single((await fhir.SearchAsync("Observation", "patient=Patient/p3&code=8478-0")).MatchResources());
        Assert.Equal(100, (double)map["valueQuantity"]!["value"]!);
        var panel = Assert.Single((await fhir.SearchAsync("Observation", "patient=Patient/p3&code=85354-9")).MatchResources());
        Assert.Equal($"Observation/{panel["id"]}", (string?)map["derivedFrom"]![0]!["reference"]);
        Assert.Equal(100.0, Assert.Single(await InfluxQuery.RowsAsync(influx, _database, "SELECT value FROM \"mean-arterial-pressure\""))[1].GetDouble());
    }

    public void Dispose()
    {
        _http.Dispose();
        _folder.Dispose();
    }

    private async Task<FhirService> OpenFhirAsync()
    {
        var store = new SqlFhirStore(new SqliteDialect(_folder.Combine("fhir.db")), FhirDefinitions.R4);
        await store.InitializeAsync(CancellationToken.None);
        return new FhirService(store);
    }

    private async Task<IngestCounters> HandleAsync(IngestStateStore state, KafkaProducer producer, FhirService fhir, RawReading[] readings, ICleanSampleSink? after = null)
    {
        var writer = new HttpInfluxWriter(_http, new InfluxOptions { Url = influx.Url, Database = _database });
        await writer.EnsureDatabaseAsync(CancellationToken.None);
        var catalogue = MappingLoader.Default();
        var options = Options;
        ICleanSampleSink[] sinks = after is null
            ? [new FhirObservationSink(new FhirServiceWriter(fhir))]
            : [new FhirObservationSink(new FhirServiceWriter(fhir)), after];
        var handler = new IngestHandler(options, state, writer, new KafkaDeadLetterWriter(producer), sinks, new SampleCleaner(options, catalogue),
            calculator: new MeasurementCalculator(catalogue.Calculations));
        var records = readings.Select(r => new KafkaRecord("raw", 0, _offset++, r.Patient, ContractsJson.Serialize(r), DateTimeOffset.UtcNow)).ToList();
        var outcome = await handler.HandleAsync(records, CancellationToken.None);
        Assert.Equal(BatchOutcome.AllHandled, outcome);
        return handler.Counters;
    }

    private static Sample Steps(double value, DateTimeOffset time) => Scalar("steps", value, "steps", time);

    private static (double Min, double Max, long Count) Statistics(JsonObject observation)
    {
        var components = observation["component"]!.AsArray();
        Assert.Equal(["minimum", "maximum", "count"], components.Select(c => (string?)c!["code"]!["coding"]![0]!["code"]));
        Assert.All(components, c => Assert.Equal(ObservationBuilder.StatisticsSystem, (string?)c!["code"]!["coding"]![0]!["system"]));
        return ((double)components[0]!["valueQuantity"]!["value"]!, (double)components[1]!["valueQuantity"]!["value"]!, (long)components[2]!["valueInteger"]!);
    }

    /// <summary>A sink after FHIR that fails, as a crash between the FHIR write and the commit would.</summary>
    private sealed class FailingSink : ICleanSampleSink
    {
        public Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the sink after FHIR failed");
    }
}
