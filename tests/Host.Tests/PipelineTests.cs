using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatientStream.Fhir.Service;
using PatientStream.Host.Commands;
using PatientStream.Ingest;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class PipelineTests(KafkaFixture kafka, InfluxFixture influx)
{
    private const string Consent = """
        {"resourceType":"Consent","status":"active",
         "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"treatment"}]},
         "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
         "patient":{"reference":"Patient/pipe-0"},
         "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
         "provision":{"type":"permit"}}
        """;

    [Fact]
    public async Task Simulated_readings_pass_edge_and_ingest_into_fhir_observations_of_the_bound_patient()
    {
        // A broker of its own: no earlier agent's persistent shared-subscription session can take a share of the batches.
        await using var mosquitto = new PlainMosquitto();
        await mosquitto.InitializeAsync();
        using var serverData = new TempFolder("pipe-serve");
        await using var server = ServerHost.Build(new ServerSettings(FreePort.Next(), serverData.Path, "sqlite", null));
        await server.StartAsync();
        var prefix = $"p{Guid.NewGuid():N}"[..10];
        using (var http = new HttpClient { BaseAddress = new Uri(server.Urls.First()) })
        {
            using var bound = await http.PutAsJsonAsync($"/consent/v1/devices/{prefix}-0000/binding", new { patient = "Patient/pipe-0", clinician = "Practitioner/nurse" });
            Assert.True(bound.IsSuccessStatusCode, await bound.Content.ReadAsStringAsync());
            using var consent = await http.PostAsync(new Uri("/fhir/Consent", UriKind.Relative), new StringContent(Consent, Encoding.UTF8, "application/fhir+json"));
            Assert.True(consent.IsSuccessStatusCode, await consent.Content.ReadAsStringAsync());
        }

        using var ingestData = new TempFolder("pipe-ingest");
        var signal = new SignalSink();
        var settings = new IngestSettings(kafka.BootstrapServers, influx.Url.ToString(), $"p{Guid.NewGuid():N}", ingestData.Path, "sqlite", null);
        using var ingest = IngestHost.Build(settings,
            o => o with { DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"), LateTopic = KafkaFixture.UniqueTopic("late"), GroupId = $"g-{Guid.NewGuid():N}" },
            s => s.AddSingleton<ICleanSampleSink>(signal));
        await ingest.StartAsync(CancellationToken.None);
        await ingest.Services.GetRequiredService<IngestService>().Started.WaitAsync(PipelineServers.Deadline);

        using var edgeData = new TempFolder("pipe-edge");
        var edgeOutput = new ReadyWriter();
        using var stopEdge = new CancellationTokenSource();
        var edge = EdgeCommand.RunAsync(new EdgeSettings($"{MosquittoFixture.Host}:{mosquitto.Port}", null, null, null, kafka.BootstrapServers,
            server.Urls.First(), edgeData.Path, $"edge-{Guid.NewGuid():N}"), edgeOutput, LogLevel.Warning, stopEdge.Token);
        await edgeOutput.Ready.WaitAsync(PipelineServers.Deadline);

        var simulated = new StringWriter();
        var simulate = new SimulateSettings(1, $"{MosquittoFixture.Host}:{mosquitto.Port}", null, 0, false, 20, 3) { DevicePrefix = prefix };
        Assert.Equal(0, await SimulateCommand.RunAsync(simulate, simulated, CancellationToken.None).WaitAsync(PipelineServers.Deadline));
        Assert.Contains("published 3", simulated.ToString(), StringComparison.Ordinal);

        var first = await signal.First.WaitAsync(PipelineServers.Deadline);
        Assert.All(first, s => Assert.Equal("Patient/pipe-0", s.PatientId));
        var fhir = ingest.Services.GetRequiredService<FhirService>();
        var found = (await fhir.SearchAsync("Observation", "patient=Patient/pipe-0&code=http://loinc.org|8867-4")).MatchResources();
        Assert.NotEmpty(found);

        await stopEdge.CancelAsync();
        Assert.Equal(0, await edge.WaitAsync(PipelineServers.Deadline));
        await ingest.StopAsync(CancellationToken.None);
        await server.StopAsync();
    }
}
