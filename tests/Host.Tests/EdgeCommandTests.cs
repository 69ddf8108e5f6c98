using Microsoft.Extensions.Logging;
using PatientStream.Host.Commands;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class EdgeCommandTests(KafkaFixture kafka, PlainMosquitto mosquitto)
{
    [Fact]
    public async Task Edge_prints_ready_once_subscribed_and_stops_cleanly_when_cancelled()
    {
        using var data = new TempFolder("edge-cmd");
        var ready = await RunUntilReadyAsync(consent => new EdgeSettings($"{MosquittoFixture.Host}:{mosquitto.Port}", null, null, null,
            kafka.BootstrapServers, consent, data.Path, $"edge-{Guid.NewGuid():N}"));

        Assert.Contains("$share/edge/ps/v1/devices/+/readings", ready, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data.Path, "buffer.db")));
    }

    [Fact]
    public async Task Edge_connects_to_a_tls_broker_with_its_pem_certificate_and_key()
    {
        await using var broker = new MosquittoFixture(new MosquittoOptions { Tls = true });
        await broker.InitializeAsync();
        using var data = new TempFolder("edge-tls");
        var clientId = $"edge-{Guid.NewGuid():N}";
        using var certificate = broker.IssueClientCertificate(clientId);
        var (cert, key) = TestPki.WritePem(certificate, data.Path, "edge");

        var ready = await RunUntilReadyAsync(consent => new EdgeSettings($"{MosquittoFixture.Host}:{broker.TlsPort}", broker.CaPemPath, cert, key,
            kafka.BootstrapServers, consent, data.Combine("agent"), clientId));

        Assert.StartsWith("READY edge", ready, StringComparison.Ordinal);
    }

    /// <summary>Runs the edge command against a consent server until READY, then cancels it and expects a clean exit.</summary>
    private static async Task<string> RunUntilReadyAsync(Func<string, EdgeSettings> settingsFor)
    {
        using var serverData = new TempFolder("edge-consent");
        await using var consent = ServerHost.Build(new ServerSettings(FreePort.Next(), serverData.Path, "sqlite", null));
        await consent.StartAsync();
        var settings = settingsFor(consent.Urls.First());
        Assert.Empty(settings.Problems());
        var output = new ReadyWriter();
        using var stop = new CancellationTokenSource();
        var run = EdgeCommand.RunAsync(settings, output, LogLevel.Warning, stop.Token);

        var ready = await output.Ready.WaitAsync(PipelineServers.Deadline);
        Assert.StartsWith("READY edge", ready, StringComparison.Ordinal);
        await stop.CancelAsync();

        Assert.Equal(0, await run.WaitAsync(PipelineServers.Deadline));
        await consent.StopAsync();
        return ready;
    }
}
