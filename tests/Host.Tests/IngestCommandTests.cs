using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PatientStream.Fhir.Service;
using PatientStream.Host.Commands;
using PatientStream.Ingest;
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
}
