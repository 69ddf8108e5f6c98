using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PatientStream.Fhir.Service;
using PatientStream.Host.Commands;
using PatientStream.Ingest;
using PatientStream.Ingest.Clinical;
using PatientStream.Ingest.Fhir;
using PatientStream.Kafka;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class IngestCommandTests(KafkaFixture kafka, InfluxFixture influx)
{
    [Fact]
    public async Task Ingested_observations_are_served_by_serve_on_the_same_data_dir()
    {
        using var data = new TempFolder("ingest-cmd");
        var settings = new IngestSettings(kafka.BootstrapServers, influx.Url.ToString(), $"i{Guid.NewGuid():N}", data.Path, "sqlite", null);
        Assert.Equal(2, (await IngestOneBatchAsync(kafka, settings, "Patient/p-cmd")).Count);

        await using var server = ServerHost.Build(new ServerSettings(FreePort.Next(), data.Path, "sqlite", null));
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Urls.First()) };
        var bundle = await http.GetStringAsync(new Uri("/fhir/Observation?patient=Patient/p-cmd", UriKind.Relative));
        Assert.Contains("\"total\":2", bundle, StringComparison.Ordinal);
        Assert.Contains("8867-4", bundle, StringComparison.Ordinal);
        await server.StopAsync();
    }

    [Fact]
    public async Task Without_influxdb_raw_series_are_off_and_fhir_still_gets_every_observation()
    {
        using var data = new TempFolder("ingest-cmd");
        var settings = new IngestSettings(kafka.BootstrapServers, null, "patientstream", data.Path, "sqlite", null);
        Assert.Empty(settings.Problems());

        var observations = await IngestOneBatchAsync(kafka, settings, "Patient/p-no-influx");

        Assert.Equal(2, observations.Count);
        var output = new ReadyWriter();
        using var stop = new CancellationTokenSource();
        var run = IngestCommand.RunAsync(settings, output, stop.Token);
        Assert.Contains("raw series off", await output.Ready.WaitAsync(PipelineServers.Deadline), StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(PipelineServers.Deadline));
    }

    /// <summary>Runs the ingest host on its own topic until one batch of vitals has passed every sink; returns the patient's Observations.</summary>
    internal static async Task<IReadOnlyList<JsonObject>> IngestOneBatchAsync(KafkaFixture kafka, IngestSettings settings, string patient)
    {
        var topic = KafkaFixture.UniqueTopic("raw");
        var signal = new SignalSink();
        using var host = IngestHost.Build(settings,
            o => o with { Topic = topic, DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"), LateTopic = KafkaFixture.UniqueTopic("late"), GroupId = $"g-{Guid.NewGuid():N}" },
            s => s.AddSingleton<ICleanSampleSink>(signal));
        await host.StartAsync(CancellationToken.None);
        await host.Services.GetRequiredService<IngestService>().Started.WaitAsync(PipelineServers.Deadline);
        await Readings.ProduceVitalsAsync(kafka, topic, patient);
        await signal.First.WaitAsync(PipelineServers.Deadline);
        var found = (await host.Services.GetRequiredService<FhirService>().SearchAsync("Observation", $"patient={patient}")).MatchResources();
        await host.StopAsync(CancellationToken.None);
        return found;
    }

    [Fact]
    public async Task Ingest_prints_ready_and_stops_cleanly_when_cancelled()
    {
        using var data = new TempFolder("ingest-cmd");
        var settings = new IngestSettings(kafka.BootstrapServers, influx.Url.ToString(), $"i{Guid.NewGuid():N}", data.Path, "sqlite", null);
        var output = new ReadyWriter();
        using var stop = new CancellationTokenSource();
        var run = IngestCommand.RunAsync(settings, output, stop.Token);

        var ready = await output.Ready.WaitAsync(PipelineServers.Deadline);
        Assert.StartsWith("READY ingest", ready, StringComparison.Ordinal);
        await stop.CancelAsync();

        Assert.Equal(0, await run.WaitAsync(PipelineServers.Deadline));
        Assert.True(File.Exists(Path.Combine(data.Path, "fhir", "fhir.db")));
    }

    [Fact]
    public async Task Ingest_exits_with_failure_when_influxdb_cannot_be_reached()
    {
        using var data = new TempFolder("ingest-cmd");
        // Nothing listens on a fresh free port: creating the database is refused at start-up.
        var settings = new IngestSettings(kafka.BootstrapServers, $"http://127.0.0.1:{FreePort.Next()}/", "patientstream", data.Path, "sqlite", null);
        var output = new ReadyWriter();

        var exit = await IngestCommand.RunAsync(settings, output, CancellationToken.None).WaitAsync(PipelineServers.Deadline);

        Assert.Equal(1, exit);
        Assert.False(output.Ready.IsCompleted);
    }

    private const string MrnSystem = "https://hospital.example.org/mrn";

    [Fact]
    public async Task Ingest_merges_clinical_records_onto_the_patient_its_devices_report_for()
    {
        using var data = new TempFolder("ingest-clinical");
        var settings = new IngestSettings(kafka.BootstrapServers, influx.Url.ToString(), $"i{Guid.NewGuid():N}", data.Path, "sqlite", null, MrnSystem);
        var raw = KafkaFixture.UniqueTopic("raw");
        var clinicalTopic = KafkaFixture.UniqueTopic("clinical");
        var signal = new SignalSink();
        var writes = Channel.CreateUnbounded<JsonObject>();
        using (var host = IngestHost.Build(settings,
            o => o with { Topic = raw, DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"), LateTopic = KafkaFixture.UniqueTopic("late"), GroupId = $"g-{Guid.NewGuid():N}" },
            s => s.AddSingleton<ICleanSampleSink>(signal)
                .AddSingleton<IFhirWriter>(sp => new SignalingWriter(new FhirServiceWriter(sp.GetRequiredService<FhirService>()), writes.Writer)),
            tuneClinical: o => o with { Topic = clinicalTopic, DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"), GroupId = $"c-{Guid.NewGuid():N}" }))
        {
            await host.StartAsync(CancellationToken.None);
            await host.Services.GetRequiredService<IngestService>().Started.WaitAsync(PipelineServers.Deadline);
            await host.Services.GetRequiredService<ClinicalRecordsService>().Started.WaitAsync(PipelineServers.Deadline);
            // Enrolment registered the patient the device is bound to, with the hospital's MRN.
            await host.Services.GetRequiredService<FhirService>().UpdateAsync("Patient", "p-merge", new JsonObject
            {
                ["resourceType"] = "Patient", ["id"] = "p-merge",
                ["identifier"] = new JsonArray(new JsonObject { ["system"] = MrnSystem, ["value"] = "MRN-E2E" }),
            });

            await Readings.ProduceVitalsAsync(kafka, raw, "Patient/p-merge");
            using (var producer = new KafkaProducer(kafka.Options("ehr")))
            {
                var report = await new ClinicalRecordPublisher(producer, MrnSystem, clinicalTopic).PublishAsync(ClinicRecord(), CancellationToken.None);
                Assert.True(report.Delivered, report.Failure?.Reason);
            }
            await signal.First.WaitAsync(PipelineServers.Deadline);
            await writes.Reader.ReadAsync().AsTask().WaitAsync(PipelineServers.Deadline);
            await host.StopAsync(CancellationToken.None);
        }

        await using var server = ServerHost.Build(new ServerSettings(FreePort.Next(), data.Path, "sqlite", null));
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Urls.First()) };
        var everything = JsonNode.Parse(await http.GetStringAsync(new Uri("/fhir/Patient/p-merge/$everything", UriKind.Relative)))!;
        var resources = everything["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).ToList();
        var observations = resources.Where(r => r["resourceType"]!.GetValue<string>() == "Observation").ToList();
        Assert.Equal(3, observations.Count);
        Assert.Equal(2, observations.Count(o => o["device"] is not null));
        var clinic = Assert.Single(observations, o => o["device"] is null);
        Assert.Equal("Patient/p-merge", clinic["subject"]!["reference"]!.GetValue<string>());
        Assert.Equal("ehr", clinic["meta"]!["tag"]![0]!["code"]!.GetValue<string>());
        Assert.Contains(resources, r => r["resourceType"]!.GetValue<string>() == "Condition");
        var patient = Assert.Single(resources, r => r["resourceType"]!.GetValue<string>() == "Patient");
        Assert.Equal("Roe", patient["name"]![0]!["family"]!.GetValue<string>());
        var tagged = await http.GetStringAsync(new Uri("/fhir/Observation?patient=Patient/p-merge&_tag=urn:patientstream:origin|ehr", UriKind.Relative));
        Assert.Contains("\"total\":1", tagged, StringComparison.Ordinal);
        await server.StopAsync();
    }

    [Fact]
    public async Task Ingest_names_the_clinical_merge_in_its_ready_line()
    {
        using var data = new TempFolder("ingest-cmd");
        var settings = new IngestSettings(kafka.BootstrapServers, influx.Url.ToString(), $"i{Guid.NewGuid():N}", data.Path, "sqlite", null, MrnSystem, true);
        var output = new ReadyWriter();
        using var stop = new CancellationTokenSource();
        var run = IngestCommand.RunAsync(settings, output, stop.Token);

        var ready = await output.Ready.WaitAsync(PipelineServers.Deadline);
        await stop.CancelAsync();

        Assert.Contains($"clinical ps.clinical.records mrn {MrnSystem} create-patients", ready, StringComparison.Ordinal);
        Assert.Equal(0, await run.WaitAsync(PipelineServers.Deadline));
    }

    [Theory]
    [InlineData("not a uri")]
    [InlineData("")]
    [InlineData("mrn")]
    public void Mrn_system_that_is_not_an_absolute_uri_is_refused(string mrnSystem)
    {
        var problems = new IngestSettings("127.0.0.1:9092", "http://influx:8086", "patientstream", "/tmp", "sqlite", null, mrnSystem).Problems();

        Assert.Contains(problems, p => p.StartsWith("--mrn-system", StringComparison.Ordinal));
    }

    /// <summary>An EHR visit: the patient by MRN (EHR id ehr-5), heart failure, and a weight taken in clinic.</summary>
    private static JsonObject ClinicRecord() => ClinicalRecordPublisher.Collection(
    [
        new JsonObject
        {
            ["resourceType"] = "Patient", ["id"] = "ehr-5",
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = MrnSystem, ["value"] = "MRN-E2E" }),
            ["name"] = new JsonArray(new JsonObject { ["family"] = "Roe" }),
        },
        new JsonObject
        {
            ["resourceType"] = "Condition", ["id"] = "c-5",
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://snomed.info/sct", ["code"] = "84114007" }) },
            ["subject"] = new JsonObject { ["reference"] = "Patient/ehr-5" },
        },
        new JsonObject
        {
            ["resourceType"] = "Observation", ["id"] = "w-5", ["status"] = "final",
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "29463-7" }) },
            ["subject"] = new JsonObject { ["reference"] = "Patient/ehr-5" },
            ["effectiveDateTime"] = "2026-11-20T09:30:00Z",
            ["valueQuantity"] = new JsonObject { ["value"] = 81.5, ["unit"] = "kg", ["system"] = "http://unitsofmeasure.org", ["code"] = "kg" },
        },
    ], "https://ehr.example.org/fhir");

    /// <summary>The real FHIR writer, announcing each clinical transaction once it is durable.</summary>
    private sealed class SignalingWriter(IFhirWriter inner, ChannelWriter<JsonObject> written) : IFhirWriter
    {
        public async Task WriteTransactionAsync(JsonObject bundle, CancellationToken cancellationToken)
        {
            await inner.WriteTransactionAsync(bundle, cancellationToken);
            written.TryWrite(bundle);
        }
    }
}
